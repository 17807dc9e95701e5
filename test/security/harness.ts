// The attacker's-view harness shared by test/security/ and test/faults/hostile-camera*: the
// agent as a user runs it (the built CLI in a child process, so its RSS and its crash are
// its own), a real broker, and a platform client that can sign, mis-sign and send junk.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { waitFor } from '../helpers/broker.js';
import { spawnCea, type CeaProcess } from '../helpers/cli.js';
import type { PlatformSigner } from '../helpers/platform.js';

export { waitFor };

/** What the agent answers on res/<verb>. */
export interface Reply {
  id: string | null;
  status: 'ok' | 'error';
  data?: Record<string, unknown>;
  error?: { code: string; message: string; reason?: string; [k: string]: unknown };
}

export interface AgentProcess {
  proc: CeaProcess;
  pid: number;
  configFile: string;
  /** Everything the agent wrote (stdout: its JSON log lines; stderr). */
  output(): string;
  /** Resident set size now, in bytes (/proc/<pid>/status VmRSS). */
  rss(): number;
  /** SIGTERM, wait for the exit (SIGKILL after 8 s). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Writes `config` (JSON is YAML) to `<dir>/agent.yaml` and runs `cea run` on it at debug
 * level; resolves once the retained state says online.
 */
export async function startAgentProcess(opts: {
  dir: string;
  brokerUrl: string;
  site: string;
  config: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** mqtt options for the watcher that waits for `online` (TLS brokers). */
  watch?: IClientOptions;
}): Promise<AgentProcess> {
  const configFile = join(opts.dir, 'agent.yaml');
  writeFileSync(configFile, JSON.stringify(opts.config, null, 2));
  const proc = spawnCea(['run', '--config', configFile, '--log-level', 'debug'], { cwd: opts.dir, env: { CEA_LOG_LEVEL: 'debug', ...opts.env } });
  const watcher = await mqtt.connectAsync(opts.brokerUrl, { clientId: `watch-${randomUUID()}`, reconnectPeriod: 0, ...opts.watch });
  const states: string[] = [];
  watcher.on('message', (_t, p) => states.push((JSON.parse(p.toString()) as { state: string }).state));
  try {
    await watcher.subscribeAsync(`psv/v1/${opts.site}/state`, { qos: 1 });
    await waitFor('the agent to come online', () => {
      if (proc.child.exitCode !== null) throw new Error(`the agent exited ${proc.child.exitCode}:\n${proc.stdout()}\n${proc.stderr()}`);
      return states.includes('online');
    }, 30_000);
  } catch (err) {
    await proc.kill();
    throw err;
  } finally {
    await watcher.endAsync(true);
  }
  const pid = proc.child.pid!;
  return {
    proc,
    pid,
    configFile,
    output: () => `${proc.stdout()}\n${proc.stderr()}`,
    rss: () => rssBytes(pid),
    async stop() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGTERM');
        const timer = setTimeout(() => proc.child.kill('SIGKILL'), 8000);
        const exit = await proc.exited;
        clearTimeout(timer);
        return exit;
      }
      return proc.exited;
    },
  };
}

/** VmRSS of a process, in bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** The highest RSS seen while `work` runs (sampled every 100 ms), and work's result. */
export async function peakRssDuring<T>(pid: number, work: () => Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // the process is gone: the caller's assertions say so
    }
  }, 100);
  try {
    const result = await work();
    peak = Math.max(peak, rssBytes(pid));
    return { peak, result };
  } finally {
    clearInterval(timer);
  }
}

/** `PRAGMA quick_check` on the agent's database, read-only, while it runs. */
export function quickCheck(dbFile: string): string {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('quick_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

export interface Platform {
  client: MqttClient;
  replies: { topic: string; body: Reply }[];
  /** Publishes a raw payload (object → JSON) on req/<verb>. */
  send(verb: string, payload: unknown, site?: string): Promise<void>;
  /** The n-th answer to `id` on res/<verb> (id null: answers that could not name one). */
  next(verb: string, id: string | null, n?: number, timeoutMs?: number): Promise<Reply>;
  /** The first answer on res/<verb> after reply number `mark` (replies.length before sending) that `match`es. */
  after(mark: number, verb: string, match: (r: Reply) => boolean, timeoutMs?: number): Promise<Reply>;
  /** A fresh id, sent signed by `signer` (or unsigned) and answered. */
  call(verb: string, args?: Record<string, unknown>, signer?: PlatformSigner): Promise<Reply>;
}

/** The police platform's side of the linkage: publishes requests, collects res/#. */
export async function platformClient(url: string, site: string, opts: IClientOptions = {}): Promise<Platform> {
  const client = await mqtt.connectAsync(url, { clientId: `platform-${randomUUID()}`, reconnectPeriod: 0, ...opts });
  const replies: Platform['replies'] = [];
  client.on('message', (topic, p) => {
    try {
      replies.push({ topic, body: JSON.parse(p.toString()) as Reply });
    } catch {
      replies.push({ topic, body: { id: null, status: 'error', error: { code: 'unparseable', message: p.toString().slice(0, 200) } } });
    }
  });
  await client.subscribeAsync(`psv/v1/${site}/res/#`, { qos: 1 });
  const send: Platform['send'] = async (verb, payload, toSite = site) => {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await client.publishAsync(`psv/v1/${toSite}/req/${verb}`, body, { qos: 1 });
  };
  const next: Platform['next'] = async (verb, id, n = 1, timeoutMs = 10_000) => {
    const mine = () => replies.filter((r) => r.topic === `psv/v1/${site}/res/${verb}` && r.body.id === id);
    await waitFor(`${n} answer(s) to ${verb} ${String(id)}`, () => mine().length >= n, timeoutMs);
    return mine()[n - 1]!.body;
  };
  return {
    client,
    replies,
    send,
    next,
    async after(mark, verb, match, timeoutMs = 10_000) {
      const find = () => replies.slice(mark).find((r) => r.topic === `psv/v1/${site}/res/${verb}` && match(r.body));
      await waitFor(`an answer on res/${verb}`, () => find() !== undefined, timeoutMs);
      return find()!.body;
    },
    async call(verb, args = {}, signer) {
      const id = `q-${randomUUID()}`;
      await send(verb, signer ? { id, args, auth: signer.auth(verb, id, args) } : { id, args });
      return next(verb, id, 1, 20_000);
    },
  };
}

/**
 * Waits until the agent has interrogated `camera` (its snapshot and stream URIs are known),
 * asking for snapshots until one comes (each ask is an access-register row, like any).
 */
export async function untilInterrogated(plat: Platform, camera: string, signer?: PlatformSigner, timeoutMs = 20_000): Promise<Reply> {
  const requester = { staff: ['test-harness'], purpose: 'wait for interrogation' };
  const deadline = Date.now() + timeoutMs;
  let snap = await plat.call('snapshot', { camera, requester }, signer);
  while (/not interrogated/.test(snap.error?.message ?? '') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    snap = await plat.call('snapshot', { camera, requester }, signer);
  }
  return snap;
}


/** The base agent config of the suites (JSON written as YAML); `over` replaces top-level keys. */
export async function agentConfig(dir: string, site: string, brokerUrl: string, over: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return {
    site: { id: site, name: `Security ${site}`, timezone: 'Asia/Shanghai' },
    profile: 'liaoning-2008',
    mqtt: { url: brokerUrl, keepaliveSeconds: 5 },
    database: join(dir, 'agent.db'),
    storage: { root: join(dir, 'recordings') },
    discovery: { enabled: false },
    live: { listen: '127.0.0.1:0' },
    console: { listen: '127.0.0.1:0' },
    cameras: [],
    ...over,
  };
}
