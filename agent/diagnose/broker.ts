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
import { said, type Check } from './checks.js';

const NAME = 'broker';

type ConnectFailure = 'broker.refused' | 'broker.notFound' | 'broker.noRoute' | 'broker.credentials' | 'broker.forbidden' | 'broker.tls' | 'broker.connectFailed';

/** Why a connection failed, as the catalog names it (agent/i18n/diagnose.ts says what to do). */
function connectFailure(err: Error & { code?: unknown }): ConnectFailure {
  const code = typeof err.code === 'string' ? err.code : typeof err.code === 'number' ? err.code : undefined;
  const msg = err.message;
  if (code === 'ECONNREFUSED') return 'broker.refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'broker.notFound';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') return 'broker.noRoute';
  if (code === 4 || code === 134 || /bad user ?name or password/i.test(msg)) return 'broker.credentials';
  if (code === 5 || code === 135 || /not authori[sz]ed/i.test(msg)) return 'broker.forbidden';
  if (/certificate|self.signed|tls|ssl|CERT_|ERR_SSL/i.test(`${String(code)} ${msg}`)) return 'broker.tls';
  return 'broker.connectFailed';
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
    if ('error' in addr) return said(NAME, 'fail', 'broker.badListen', { error: addr.error });
    const { host, port } = addr;
    const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
    if (!(await tcpListening(target, port, Math.min(timeoutMs, 2_000)))) {
      return said(NAME, 'warn', 'broker.embeddedDown', { listen: config.broker.listen });
    }
    return said(NAME, 'pass', 'broker.embeddedUp', { listen: config.broker.listen });
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
    return said(NAME, 'fail', 'broker.tlsFile', { message: (err as Error).message });
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
      return said(NAME, 'fail', 'broker.subscribeRefused', { url: config.mqtt.url, topic });
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
    return said(NAME, 'pass', 'broker.ok', {
      url: config.mqtt.url,
      mqttVersion: config.mqtt.protocolVersion === 5 ? '5' : '3.1.1',
      connectMs,
      totalMs: Date.now() - started,
      topic,
    });
  } catch (err) {
    const message = (err as Error).message;
    if (stage === 'connect') return said(NAME, 'fail', connectFailure(err as Error & { code?: unknown }), { url: config.mqtt.url, message });
    return said(NAME, 'fail', 'broker.stepFailed', { url: config.mqtt.url, stage, message });
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
    return config.security.requireSignedCommands ? [said('platform keys', 'fail', 'keys.requiredMissing')] : [said('platform keys', 'warn', 'keys.none')];
  }
  return keys.map((k, i) => {
    const name = `platform key ${k.id}`;
    try {
      const key = createPublicKey(readFileSync(k.publicKey));
      if (key.asymmetricKeyType !== 'ed25519') {
        return said(name, 'fail', 'keys.wrongType', { file: k.publicKey, type: key.asymmetricKeyType ?? 'unknown', index: i });
      }
      return said(name, 'pass', 'keys.ok', { file: k.publicKey });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'EACCES'
        ? said(name, 'fail', 'keys.missingFile', { file: k.publicKey, errno: code, index: i })
        : said(name, 'fail', 'keys.unreadable', { file: k.publicKey, message: (err as Error).message, index: i });
    }
  });
}
