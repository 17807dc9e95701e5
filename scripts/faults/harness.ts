// Shared pieces of the fault-injection runs (scripts/faults/*, test/faults/*): the built
// agent as a child process, a mosquitto that can be stopped and started again on the same
// port with its sessions kept, a platform subscriber with a persistent session, requests,
// and read-only looks into the agent's database. Built with the scripts (dist/), so it
// imports nothing from test/helpers.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { verifyAccessRegister } from '../../agent/access/register.js';
import { freePort, MOSQUITTO_BINARY, portOpen } from '../bench/mosquitto.js';
import type { WireEvent } from '../platform-example/consumer.js';

/** The repository's bin/cea.js whether this file runs from dist/scripts/faults or scripts/faults (vitest). */
function ceaBin(): string {
  const here = fileURLToPath(import.meta.url);
  const root = here.includes('/dist/') ? here.slice(0, here.indexOf('/dist/')) : here.slice(0, here.indexOf('/scripts/faults/'));
  return join(root, 'bin', 'cea.js');
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------
// The agent

export interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running: () => boolean;
  /** SIGKILL if still running. */
  kill(): Promise<void>;
}

/**
 * `cea run --config FILE` as a child process (the built CLI: bin/cea.js → dist/). With
 * `namespace`, it runs inside that private mount namespace (nsenter; the child's pid is
 * node's), so it sees the namespace's tmpfs.
 */
export function spawnAgent(configFile: string, opts: { cwd: string; env?: NodeJS.ProcessEnv; logLevel?: string; namespace?: PrivateTmpfs }): AgentProcess {
  const argv = [process.execPath, ceaBin(), 'run', '--config', configFile, '--log-level', opts.logLevel ?? 'info'];
  const [cmd, ...args] = opts.namespace ? ['nsenter', `--target=${opts.namespace.pid}`, '--mount', '--', ...argv] : argv;
  const child = spawn(cmd as string, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => out,
    running,
    exited,
    async waitForLine(re, timeoutMs = 20_000) {
      let line: string | undefined;
      await waitUntil(`a line matching ${re} (output so far:\n${out.slice(-4000)})`, () => {
        line = out.split('\n').find((l) => re.test(l));
        return line !== undefined || !running();
      }, timeoutMs);
      if (line === undefined) throw new Error(`the agent exited before printing ${re}:\n${out.slice(-4000)}`);
      return line;
    },
    async kill() {
      if (running()) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything the run printed. */
  output: string;
}

/**
 * The box's service manager, emulated (systemd's Restart=on-failure, RestartSec=1): starts
 * the agent, and again a second after every non-zero exit, until stopped. Every exit is kept.
 */
export class ServiceManager {
  readonly exits: AgentExit[] = [];
  /** The latest agent started (running, or the last one to exit). */
  current: AgentProcess | null = null;
  private supervising = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly startAgent: () => AgentProcess,
    private readonly restartDelayMs = 1000,
  ) {}

  /** Starts supervising (again, after stop()). */
  start(): void {
    this.supervising = true;
    this.loop = this.run();
  }

  /** A clean stop: SIGTERM to the agent, no restart; resolves once its exit is recorded. */
  async stop(): Promise<void> {
    this.supervising = false;
    this.current?.child.kill('SIGTERM');
    await this.loop;
  }

  /** Cleanup: no restart, SIGKILL to the agent if it still runs. */
  async kill(): Promise<void> {
    this.supervising = false;
    await this.current?.kill();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.supervising) {
      const agent = this.startAgent();
      this.current = agent;
      const exit = await agent.exited;
      this.exits.push({ ...exit, output: agent.output() });
      if (!this.supervising || exit.code === 0) return;
      await sleep(this.restartDelayMs);
    }
  }
}

/**
 * A tmpfs of `bytes` at `path`, mounted in a private mount namespace (unshare --mount
 * --propagation private) that a small holder process keeps alive: nothing leaks to the
 * host's mounts, the tmpfs outlives agent restarts (spawnAgent's `namespace`), and it
 * vanishes with the holder. Needs root (CAP_SYS_ADMIN); fails saying so otherwise.
 */
export interface PrivateTmpfs {
  readonly pid: number;
  readonly path: string;
  /** `p` (an absolute path) as the namespace sees it, reachable from outside via /proc/<pid>/root. */
  view(p: string): string;
  close(): Promise<void>;
}

export async function startPrivateTmpfs(path: string, bytes: number): Promise<PrivateTmpfs> {
  mkdirSync(path, { recursive: true });
  const script = `mount -t tmpfs -o size=${bytes},mode=0755 fault-tmpfs "$1" || exit 97; echo MOUNTED; exec sleep 100000`;
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('error', (err) => (out += String(err)));
  const deadline = Date.now() + 10_000;
  while (!out.includes('MOUNTED')) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cannot mount a ${bytes}-byte tmpfs at ${path} in a private mount namespace (unshare --mount; needs root / CAP_SYS_ADMIN): ${out.trim() || `exit ${child.exitCode}`}`);
    }
    await sleep(20);
  }
  const pid = child.pid as number;
  return {
    pid,
    path,
    view: (p) => `/proc/${pid}/root${p}`,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface CameraYaml {
  id: string;
  url: string;
  username?: string;
  password?: string;
  record?: boolean;
}

export interface AgentYaml {
  site: string;
  brokerUrl: string;
  database: string;
  storageRoot: string;
  cameras: CameraYaml[];
  /** Ed25519 public key files of the platform: requests must be signed. Empty: unsigned. */
  platformKeys?: { id: string; publicKeyFile: string }[];
  monitorIntervalSeconds?: number;
  retention?: { floorDays: number; ceilingDays: number };
  storage?: { maxBytes?: number | null; deleteAbovePercent?: number; deleteDownToPercent?: number; stopAbovePercent?: number };
}

/** The config entry of a simulated camera (test/fakes/onvif-camera), with its own credentials. */
export function cameraYaml(c: { id: string; deviceServiceUrl: string; username: string; password: string }): CameraYaml {
  return { id: c.id, url: c.deviceServiceUrl, username: c.username, password: c.password };
}

/** Writes the agent's YAML (JSON is YAML): loopback only, live/console on free ports. */
export function writeAgentConfig(file: string, c: AgentYaml): void {
  const keys = c.platformKeys ?? [];
  const doc = {
    site: { id: c.site, name: `Fault test ${c.site}`, timezone: 'Asia/Shanghai' },
    profile: 'liaoning-2008',
    mqtt: { url: c.brokerUrl, keepaliveSeconds: 2, protocolVersion: 4 },
    security: keys.length > 0 ? { requireSignedCommands: true, platformKeys: keys.map((k) => ({ id: k.id, publicKey: k.publicKeyFile })) } : { requireSignedCommands: false, platformKeys: [] },
    database: c.database,
    storage: { root: c.storageRoot, ...c.storage },
    ...(c.retention ? { retention: c.retention } : {}),
    live: { listen: '127.0.0.1:0' },
    console: { listen: '127.0.0.1:0' },
    discovery: { enabled: false },
    monitor: { intervalSeconds: c.monitorIntervalSeconds ?? 1 },
    cameras: c.cameras.map((cam) => ({
      id: cam.id,
      name: cam.id,
      onvif: { url: cam.url, ...(cam.username ? { username: cam.username } : {}), ...(cam.password ? { password: cam.password } : {}) },
      location: { kind: 'street', description: cam.id },
      record: cam.record ?? false,
    })),
  };
  writeFileSync(file, JSON.stringify(doc, null, 2));
}

// ---------------------------------------------------------------------------------------
// mosquitto that survives its own restart

/**
 * mosquitto on a fixed port with persistence on: stop() and start() again keep the
 * platform subscriber's persistent session (its subscription and queued QoS 1 messages),
 * as a production broker does across a restart.
 */
export class RestartableMosquitto {
  readonly port: number;
  private child: ChildProcess | null = null;
  private stderr = '';
  private constructor(
    private readonly dir: string,
    port: number,
  ) {
    this.port = port;
  }

  static async create(): Promise<RestartableMosquitto> {
    const tmp = tempDir('cea-fault-mosq-');
    // mosquitto started as root drops to its own user before touching its files.
    chmodSync(tmp.dir, 0o755);
    mkdirSync(join(tmp.dir, 'data'), { mode: 0o777 });
    chmodSync(join(tmp.dir, 'data'), 0o777);
    const m = new RestartableMosquitto(tmp.dir, await freePort());
    writeFileSync(
      join(tmp.dir, 'mosquitto.conf'),
      [
        'persistence true',
        `persistence_location ${join(tmp.dir, 'data')}/`,
        'autosave_interval 1',
        `listener ${m.port} 127.0.0.1`,
        'allow_anonymous true',
        // A lagging or offline QoS 1 subscriber must not lose messages past the default limit.
        'max_queued_messages 0',
        'max_inflight_messages 0',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
    await m.start();
    return m;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.up) return;
    this.stderr = '';
    const child = spawn(MOSQUITTO_BINARY, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`mosquitto did not start on ${this.port}: ${this.stderr}`);
      }
      await sleep(50);
    }
  }

  /** SIGTERM (mosquitto saves its sessions), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.up) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The platform's side

/** An event as the platform receives it (the reference consumer's type). */
export type EventMsg = WireEvent;

export interface PlatformSubscriber {
  client: MqttClient;
  /** Every event message in arrival order (duplicates included). */
  events: EventMsg[];
  /** Raw payloads, same order as events. */
  payloads: string[];
  close(): Promise<void>;
}

/**
 * Subscribes to the site's events with a persistent session (clean: false, QoS 1): what
 * the broker queued while the subscriber was away (or restarting) reaches it afterwards.
 */
export async function platformSubscriber(url: string, site: string): Promise<PlatformSubscriber> {
  const client = await mqtt.connectAsync(url, {
    clientId: `fault-platform-${site}-${process.pid}`,
    clean: false,
    reconnectPeriod: 300,
    connectTimeout: 3000,
    protocolVersion: 4,
  });
  client.on('error', () => {});
  const events: EventMsg[] = [];
  const payloads: string[] = [];
  client.on('message', (topic, p) => {
    if (!topic.endsWith('/event')) return;
    payloads.push(p.toString());
    events.push(JSON.parse(p.toString()) as EventMsg);
  });
  await client.subscribeAsync(`psv/v1/${site}/event`, { qos: 1 });
  return {
    client,
    events,
    payloads,
    async close() {
      await client.endAsync(true);
    },
  };
}

/**
 * The seqs in order of first appearance must be exactly 1..k (no gap, never a newer seq
 * before an older one); a seq seen again is a whole duplicate (at-least-once). Returns k,
 * or throws with what is wrong.
 */
/**
 * The platform's side of a run: subscribed with its persistent session (before the agent
 * says anything, so nothing is missed) and a requester; `cleanups` closes both.
 */
export async function connectPlatform(
  url: string,
  site: string,
  cleanups: (() => unknown)[],
  signer: Signer | null = null,
): Promise<{ sub: PlatformSubscriber; requester: PlatformRequester }> {
  const sub = await platformSubscriber(url, site);
  cleanups.push(() => sub.close());
  const requester = await PlatformRequester.connect(url, site, signer);
  cleanups.push(() => requester.close());
  return { sub, requester };
}

export function checkEventStream(events: readonly EventMsg[], payloads: readonly string[]): { distinct: number; duplicates: number } {
  const bySeq = new Map<number, string>();
  const seqById = new Map<string, number>();
  const firstSeen: number[] = [];
  events.forEach((e, i) => {
    const prev = bySeq.get(e.seq);
    if (prev === undefined) {
      bySeq.set(e.seq, payloads[i] as string);
      firstSeen.push(e.seq);
    } else if (prev !== payloads[i]) {
      throw new Error(`seq ${e.seq} arrived twice with different payloads:\n${prev}\n${payloads[i]}`);
    }
    const s = seqById.get(e.id);
    if (s !== undefined && s !== e.seq) throw new Error(`event id ${e.id} arrived with seq ${s} and ${e.seq}`);
    seqById.set(e.id, e.seq);
  });
  firstSeen.forEach((s, i) => {
    if (s !== i + 1) throw new Error(`seqs out of order or with a gap: position ${i + 1} is seq ${s} (first appearances ${firstSeen.slice(Math.max(0, i - 5), i + 5).join(',')})`);
  });
  return { distinct: firstSeen.length, duplicates: events.length - firstSeen.length };
}

export interface Signer {
  keyId: string;
  auth(verb: string, id: string, args: Record<string, unknown>): Record<string, unknown>;
}

/** One request and its answer (by id), on a connection of its own. */
export class PlatformRequester {
  private readonly waiting = new Map<string, (res: Record<string, unknown>) => void>();
  private n = 0;
  private constructor(
    readonly client: MqttClient,
    private readonly site: string,
    private readonly signer: Signer | null,
  ) {
    client.on('message', (_t, p) => {
      try {
        const res = JSON.parse(p.toString()) as Record<string, unknown>;
        const w = this.waiting.get(String(res.id));
        if (w) {
          this.waiting.delete(String(res.id));
          w(res);
        }
      } catch {
        // not an answer of ours
      }
    });
  }

  static async connect(url: string, site: string, signer: Signer | null = null): Promise<PlatformRequester> {
    const client = await mqtt.connectAsync(url, { clientId: `fault-req-${site}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, reconnectPeriod: 300, connectTimeout: 3000, protocolVersion: 4 });
    client.on('error', () => {});
    await client.subscribeAsync(`psv/v1/${site}/res/#`, { qos: 1 });
    return new PlatformRequester(client, site, signer);
  }

  /** Resolves with the answer, or null after `timeoutMs` (the agent may be down: that is the point). */
  async request(verb: string, args: Record<string, unknown>, timeoutMs = 5000, id = `req-${process.pid}-${++this.n}-${Date.now()}`): Promise<Record<string, unknown> | null> {
    const body: Record<string, unknown> = { id, args };
    if (this.signer) body.auth = this.signer.auth(verb, id, args);
    const answer = new Promise<Record<string, unknown> | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(id, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
    });
    this.client.publish(`psv/v1/${this.site}/req/${verb}`, JSON.stringify(body), { qos: 1 }, () => {});
    return answer;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

// ---------------------------------------------------------------------------------------
// The database, read only

export interface DbLook {
  quickCheck: string;
  outbox: number;
  seq: number;
  register: { ok: boolean; rows: number; message?: string };
}

/** quick_check, outbox size, the site's event seq and the access register's chain, in one read transaction. */
export function lookIntoDb(file: string, site: string, opts: { quickCheck?: boolean } = {}): DbLook {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.transaction(() => {
      const quickCheck = opts.quickCheck === false ? 'skipped' : (db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map((r) => r.quick_check).join('; ');
      const outbox = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
      const row = db.prepare('SELECT value FROM sequences WHERE name = ?').get(`event_seq:${site}`) as { value: number } | undefined;
      const hasRegister = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'access_register'").get() !== undefined;
      const v = hasRegister ? verifyAccessRegister(db) : { ok: true as const, rows: 0 };
      return { quickCheck, outbox, seq: row?.value ?? 0, register: v.ok ? { ok: true, rows: v.rows } : { ok: false, rows: v.rows, message: v.message } };
    })();
  } finally {
    db.close();
  }
}
