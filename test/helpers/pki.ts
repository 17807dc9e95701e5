// mTLS for tests about the broker keeping sites apart: a throwaway CA with a broker
// certificate and one client certificate per CN (as README "Broker security" has each box
// hold its own), and mosquitto requiring them with the shipped psv ACL.
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMosquitto, type Mosquitto } from './mosquitto.js';

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A throwaway CA (`ca.pem`), a broker certificate for 127.0.0.1 and client certificates by CN (`<cn>.pem`, `<cn>.key`) in `dir`. */
export function makePki(dir: string, clients: string[]): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cea test CA']);
  const issue = (name: string, cn: string, ext: string) => {
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  };
  issue('broker', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  for (const cn of clients) issue(cn, cn, 'extendedKeyUsage=clientAuth\n');
  // mosquitto started as root drops to its own user before reading certificates.
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
}

/** mqtt.js TLS options for client `cn`: trusting the CA in `caDir`, with the certificate from `certDir` (another CA's, to test a rogue). */
export function clientTls(caDir: string, cn: string, certDir = caDir): { ca: Buffer; cert: Buffer; key: Buffer } {
  return {
    ca: readFileSync(join(caDir, 'ca.pem')),
    cert: readFileSync(join(certDir, `${cn}.pem`)),
    key: readFileSync(join(certDir, `${cn}.key`)),
  };
}

/**
 * mosquitto on TLS with the PKI in `pkiDir`: a client certificate required, its CN the
 * username (the site id), and config/mosquitto-acl.example confining each to its topics.
 */
export async function startAclMosquitto(pkiDir: string): Promise<Mosquitto> {
  const acl = join(pkiDir, 'psv.acl');
  writeFileSync(acl, readFileSync(new URL('../../config/mosquitto-acl.example', import.meta.url)));
  chmodSync(acl, 0o644);
  return startMosquitto({
    allowAnonymous: false,
    scheme: 'mqtts',
    extraConfig: [
      `cafile ${join(pkiDir, 'ca.pem')}`,
      `certfile ${join(pkiDir, 'broker.pem')}`,
      `keyfile ${join(pkiDir, 'broker.key')}`,
      'require_certificate true',
      'use_identity_as_username true',
      `acl_file ${acl}`,
    ],
  });
}
