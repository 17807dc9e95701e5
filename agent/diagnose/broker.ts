// Linkage checks: the broker round trip with the configured URL, TLS and credentials
// (a short separate connection with its own client id, never the agent's), and the
// platform keys that verify signed requests.
import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { AgentConfig } from '../config/index.js';
import { parseListen } from '../config/index.js';
import { topicRoot } from '../linkage/topics.js';
import { check, type Check } from './checks.js';

const NAME = 'broker';

function brokerAdvice(err: Error & { code?: unknown }): { detail: string; advice: string } {
  const code = typeof err.code === 'string' ? err.code : typeof err.code === 'number' ? err.code : undefined;
  const msg = err.message;
  if (code === 'ECONNREFUSED') return { detail: `connection refused (${msg})`, advice: 'check mqtt.url (host and port) and that the broker runs and the firewall lets the box in' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { detail: `host not found (${msg})`, advice: 'check the host name in mqtt.url and the box\'s DNS settings' };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') return { detail: `no route to the broker (${msg})`, advice: 'check the box\'s network (gateway, VPN to the platform) and mqtt.url' };
  if (code === 4 || code === 134 || /bad user ?name or password/i.test(msg)) return { detail: `the broker refused the credentials (${msg})`, advice: 'update mqtt.username / mqtt.password (the platform issues them)' };
  if (code === 5 || code === 135 || /not authori[sz]ed/i.test(msg)) return { detail: `the broker refused this client (${msg})`, advice: 'ask the platform to authorise this site\'s user and client id; check mqtt.username and mqtt.clientId' };
  if (/certificate|self.signed|tls|ssl|CERT_|ERR_SSL/i.test(`${String(code)} ${msg}`)) return { detail: `TLS failed (${msg})`, advice: 'check mqtt.ca (the platform\'s CA), mqtt.cert / mqtt.key (this site\'s certificate) and the box\'s clock' };
  return { detail: msg, advice: 'check mqtt.url, the credentials and TLS files in the config, and the broker\'s log' };
}

function tcpListening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function brokerCheck(config: AgentConfig, opts: { timeoutMs?: number } = {}): Promise<Check> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  if (config.broker) {
    // The agent runs the broker itself, with credentials it makes up per run: only reachability can be checked.
    const addr = parseListen(config.broker.listen);
    if ('error' in addr) return check(NAME, 'fail', `broker.listen: ${addr.error}`, 'fix broker.listen in the config (host:port)');
    const { host, port } = addr;
    const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
    if (!(await tcpListening(target, port, Math.min(timeoutMs, 2_000)))) {
      return check(NAME, 'warn', `the embedded broker does not listen on ${config.broker.listen}: the agent is not running`, 'start the agent (`systemctl start cea` or `cea run`)');
    }
    return check(NAME, 'pass', `the embedded broker listens on ${config.broker.listen} (the agent runs it; no round trip: its credentials are per run)`);
  }
  const options: IClientOptions = {
    clientId: `${config.mqtt.clientId ?? `cea-${config.site.id}`}-diagnose-${randomBytes(4).toString('hex')}`,
    protocolVersion: config.mqtt.protocolVersion,
    keepalive: 10,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  };
  if (config.mqtt.username !== undefined) options.username = config.mqtt.username;
  if (config.mqtt.password !== undefined) options.password = config.mqtt.password;
  try {
    if (config.mqtt.ca) options.ca = readFileSync(config.mqtt.ca);
    if (config.mqtt.cert) options.cert = readFileSync(config.mqtt.cert);
    if (config.mqtt.key) options.key = readFileSync(config.mqtt.key);
  } catch (err) {
    return check(NAME, 'fail', `cannot read a TLS file: ${(err as Error).message}`, 'check the paths of mqtt.ca / mqtt.cert / mqtt.key and that the agent\'s user can read them');
  }
  const topic = `${topicRoot(config.site.id)}/diagnose/${randomBytes(8).toString('hex')}`;
  const payload = randomBytes(16).toString('hex');
  const started = Date.now();
  let client: MqttClient | null = null;
  let stage = 'connect';
  try {
    const c = mqtt.connect(config.mqtt.url, options);
    client = c;
    c.on('error', () => {}); // reported through the stages below
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
        c.once('close', () => reject(Object.assign(new Error('connection closed before CONNACK'), { code: 'ECONNCLOSED' })));
      }),
      timeoutMs,
      'no CONNACK',
    );
    const connectMs = Date.now() - started;
    stage = 'subscribe';
    const granted = await withTimeout(c.subscribeAsync(topic, { qos: 1 }), timeoutMs, 'no SUBACK');
    if (granted.some((g) => g.qos >= 128)) {
      return check(NAME, 'fail', `connected to ${config.mqtt.url}, but subscribing to ${topic} was refused`, 'ask the platform to let this site\'s user subscribe under psv/v1/<site>/#');
    }
    stage = 'publish';
    const received = new Promise<void>((resolve) => {
      c.on('message', (t, p) => {
        if (t === topic && p.toString() === payload) resolve();
      });
    });
    await withTimeout(c.publishAsync(topic, payload, { qos: 1 }), timeoutMs, 'no PUBACK');
    stage = 'receive';
    await withTimeout(received, timeoutMs, 'the message did not come back');
    return check(NAME, 'pass', `${config.mqtt.url} (MQTT ${config.mqtt.protocolVersion === 5 ? '5' : '3.1.1'}): connected in ${connectMs} ms, published and received on ${topic} in ${Date.now() - started} ms`);
  } catch (err) {
    if (stage === 'connect') {
      const { detail, advice } = brokerAdvice(err as Error & { code?: unknown });
      return check(NAME, 'fail', `${config.mqtt.url}: ${detail}`, advice);
    }
    return check(
      NAME,
      'fail',
      `${config.mqtt.url}: connected, but the ${stage} step failed: ${(err as Error).message}`,
      'the broker\'s ACL likely blocks this site\'s own topics: ask the platform to allow publish and subscribe under psv/v1/<site>/#',
    );
  } finally {
    if (client) await client.endAsync(true).catch(() => {});
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`${what} within ${Math.round(ms / 1000)} s`), { code: 'ETIMEDOUT' })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function platformKeyChecks(config: AgentConfig): Check[] {
  const keys = config.security.platformKeys;
  if (keys.length === 0) {
    return config.security.requireSignedCommands
      ? [check('platform keys', 'fail', 'signed commands are required but no platform key is configured: every request is refused', 'add the platform\'s Ed25519 public key under security.platformKeys')]
      : [check('platform keys', 'warn', 'no platform key configured: requests are accepted unsigned', 'add the platform\'s key under security.platformKeys and set security.requireSignedCommands: true')];
  }
  return keys.map((k, i) => {
    const name = `platform key ${k.id}`;
    try {
      const key = createPublicKey(readFileSync(k.publicKey));
      if (key.asymmetricKeyType !== 'ed25519') {
        return check(name, 'fail', `${k.publicKey}: key type is ${key.asymmetricKeyType ?? 'unknown'}, want ed25519`, `replace it with the platform's Ed25519 public key (SPKI PEM), security.platformKeys[${i}].publicKey`);
      }
      return check(name, 'pass', `${k.publicKey}: Ed25519 public key loaded`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'EACCES'
        ? check(name, 'fail', `${k.publicKey}: ${code === 'ENOENT' ? 'no such file' : 'permission denied'}`, `put the platform's public key file there, or fix security.platformKeys[${i}].publicKey`)
        : check(name, 'fail', `${k.publicKey}: not a public key (${(err as Error).message})`, `security.platformKeys[${i}].publicKey must be an Ed25519 SPKI PEM ("-----BEGIN PUBLIC KEY-----")`);
    }
  });
}
