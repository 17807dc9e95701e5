import type { KeyObject, X509Certificate } from 'node:crypto';
import { checkCertificate, checkPrivateKey, readReferencedFile, type Checked } from './files.js';
import type { IssueSink } from './issues.js';
import { connectAddress, isLoopbackHost, type ListenAddress } from './listen.js';
import { DEFAULT_KEEPALIVE_SECONDS, type RawConfig } from './schema.js';
import { resolvePassword, type SecretContext } from './secrets.js';
import type { AgentConfig } from './types.js';

type TlsFiles = Pick<AgentConfig['mqtt'], 'ca' | 'cert' | 'key'>;

/**
 * The platform connection: url (or the embedded broker's address), credentials, and
 * TLS files checked for existence and content. Null when there is no url at all.
 */
export function resolveMqtt(
  cfg: RawConfig,
  brokerAddr: ListenAddress | null,
  secrets: SecretContext,
  fileAt: (name: string) => string,
  sink: IssueSink,
): AgentConfig['mqtt'] | null {
  let url = cfg.mqtt?.url;
  if (url === undefined) {
    if (!brokerAddr) {
      if (cfg.broker) return null; // broker.listen is invalid; the schema reported it
      sink.error(cfg.mqtt ? ['mqtt', 'url'] : ['mqtt'], 'missing required key "mqtt.url" (or set broker: to run the embedded broker)');
      return null;
    }
    url = `mqtt://${connectAddress(brokerAddr)}`;
  }
  const parsedUrl = new URL(url); // the schema accepted it
  const tls = parsedUrl.protocol === 'mqtts:' || parsedUrl.protocol === 'wss:';
  if (!tls && !isLoopbackHost(parsedUrl.hostname.replace(/^\[|\]$/g, ''))) {
    sink.warn(['mqtt', 'url'], 'unencrypted connection to a remote broker; use mqtts:// or wss:// (images and commands cross this link)');
  }

  const out: AgentConfig['mqtt'] = {
    url,
    keepaliveSeconds: cfg.mqtt?.keepaliveSeconds ?? DEFAULT_KEEPALIVE_SECONDS,
    protocolVersion: cfg.mqtt?.protocolVersion ?? 5,
  };
  if (cfg.mqtt) {
    const password = resolvePassword(cfg.mqtt, ['mqtt'], secrets);
    if (cfg.mqtt.username !== undefined) out.username = cfg.mqtt.username;
    if (password !== undefined) out.password = password;
    if (cfg.mqtt.clientId !== undefined) out.clientId = cfg.mqtt.clientId;
    Object.assign(out, tlsFiles(cfg.mqtt, url, tls, fileAt, sink));
  }
  return out;
}

function tlsFiles(
  m: NonNullable<RawConfig['mqtt']>,
  url: string,
  tls: boolean,
  fileAt: (name: string) => string,
  sink: IssueSink,
): TlsFiles {
  if (!tls) {
    for (const k of ['ca', 'cert', 'key'] as const) {
      if (m[k] !== undefined) sink.warn(['mqtt', k], `ignored: ${url} is not mqtts:// or wss://`);
    }
  }
  if ((m.cert === undefined) !== (m.key === undefined)) {
    const [present, missing] = m.cert === undefined ? (['key', 'cert'] as const) : (['cert', 'key'] as const);
    sink.error(['mqtt', present], `client TLS needs both cert and key; ${missing} is missing`, 'key');
  }
  /** Reads a referenced file and judges its content; the error goes to mqtt.<name>. */
  const checked = <T>(name: 'ca' | 'cert' | 'key', file: string, check: (data: Buffer) => Checked<T>): T | undefined => {
    const read = readReferencedFile(file);
    if (!read.ok) {
      sink.error(['mqtt', name], read.reason);
      return undefined;
    }
    const result = check(read.data);
    if (!result.ok) sink.error(['mqtt', name], `${file} ${result.reason}`);
    return result.ok ? result.value : undefined;
  };

  const out: TlsFiles = {};
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  if (m.ca !== undefined) checked('ca', (out.ca = fileAt(m.ca)), checkCertificate);
  if (m.cert !== undefined) cert = checked('cert', (out.cert = fileAt(m.cert)), checkCertificate);
  if (m.key !== undefined) key = checked('key', (out.key = fileAt(m.key)), checkPrivateKey);
  if (cert && key && !cert.checkPrivateKey(key)) {
    sink.error(['mqtt', 'key'], `${out.key ?? ''} is not the private key of ${out.cert ?? ''}`);
  }
  return out;
}
