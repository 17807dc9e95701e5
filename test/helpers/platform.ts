import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../agent/canonical-json.js';

/** A platform signing key (Ed25519) with its public half written as a PEM SPKI file. */
export interface PlatformSigner {
  keyId: string;
  publicKeyFile: string;
  privateKey: KeyObject;
  /**
   * The `auth` block for a request, signed exactly as DESIGN.md fixes it; with `site` also
   * `auth.site`, signed with the rest (the site-binding extension).
   */
  auth(
    verb: string,
    id: string,
    args: Record<string, unknown>,
    opts?: { ts?: string; nonce?: string; site?: string },
  ): { keyId: string; ts: string; nonce: string; sig: string; site?: string };
}

export function makeSigner(dir: string, keyId = 'platform-1'): PlatformSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyFile = join(dir, `${keyId}.pub.pem`);
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    keyId,
    publicKeyFile,
    privateKey,
    auth(verb, id, args, opts = {}) {
      const ts = opts.ts ?? new Date().toISOString();
      const nonce = opts.nonce ?? randomBytes(18).toString('base64url');
      const site = opts.site;
      const signed = site === undefined ? { verb, id, args, ts, nonce } : { verb, id, args, ts, nonce, site };
      const sig = sign(null, Buffer.from(canonicalJson(signed), 'utf8'), privateKey).toString('base64');
      return site === undefined ? { keyId, ts, nonce, sig } : { keyId, ts, nonce, sig, site };
    },
  };
}
