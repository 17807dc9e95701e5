// The agent under soak: the built CLI (`node bin/cea.js run --config F`) as a child
// process, exactly as systemd runs it, with a config written for the simulated site.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../agent/package-root.js';
import type { SimulatedCameraInfo } from './simulator-protocol.js';

export interface SoakAgentConfig {
  dir: string;
  site: string;
  cameras: SimulatedCameraInfo[];
  monitorIntervalSeconds: number;
  /** Periodic re-interrogation (the safety net behind ONVIF configuration events). */
  interrogateEverySeconds: number;
  broker: { kind: 'mosquitto'; url: string } | { kind: 'aedes'; port: number };
  /** A free port for the operator console (it takes no port 0). */
  consolePort: number;
}

/** The config file the agent runs with (JSON is YAML). Recording is off: the simulator serves no RTSP. */
export function writeAgentConfig(c: SoakAgentConfig): string {
  const config = {
    site: { id: c.site, name: `Soak ${c.site}`, timezone: 'Asia/Shanghai' },
    profile: 'liaoning-2008',
    language: 'en',
    ...(c.broker.kind === 'aedes'
      ? { broker: { listen: `127.0.0.1:${c.broker.port}`, anonymousRead: true } }
      : { mqtt: { url: c.broker.url, keepaliveSeconds: 30 } }),
    security: { requireSignedCommands: false, platformKeys: [] },
    database: join(c.dir, 'agent.db'),
    storage: { root: join(c.dir, 'recordings'), maxBytes: null },
    discovery: { enabled: false, intervalSeconds: c.interrogateEverySeconds },
    monitor: { intervalSeconds: c.monitorIntervalSeconds },
    cameras: c.cameras.map((cam) => ({
      id: cam.id,
      name: cam.id,
      onvif: { url: cam.deviceServiceUrl, username: cam.username, password: cam.password },
      location: { kind: 'street', description: `simulated ${cam.id}` },
      record: false,
    })),
    live: { listen: '127.0.0.1:0' },
    console: { listen: `127.0.0.1:${c.consolePort}` },
  };
  // An existing storage root, as on a box (retention reports a missing one as an unmounted disk).
  mkdirSync(config.storage.root, { recursive: true });
  const file = join(c.dir, 'agent.yaml');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export interface AgentProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves once the agent logged `agent running`; rejects if it exits first. */
  running: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Log lines at warn (40) or above: counts, and the last few errors / other lines, then the last few warnings. */
  problems(): { warn: number; error: number; other: number; last: string[] };
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended and how long it took. */
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/**
 * `nodeArgs` go to node before the CLI (e.g. `--cpu-prof`, `--heapsnapshot-signal=SIGUSR2`);
 * `env` is added to the child's environment (e.g. MALLOC_ARENA_MAX, as the systemd unit sets it).
 */
export function spawnAgent(configFile: string, cwd: string, nodeArgs: string[] = [], env: Record<string, string> = {}): AgentProcess {
  const cli = join(packageRoot(), 'bin', 'cea.js');
  const child = spawn(process.execPath, [...nodeArgs, cli, 'run', '--config', configFile, '--log-level', 'info'], {
    cwd,
    env: { ...process.env, ...env, CEA_LANG: 'en' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let warn = 0;
  let error = 0;
  let other = 0;
  const last: string[] = [];
  // Errors and non-log lines are kept apart, so a flood of warnings cannot push them out.
  const serious: string[] = [];
  let markRunning: () => void = () => undefined;
  const running = new Promise<void>((resolve, reject) => {
    markRunning = resolve;
    void exited.then(({ code, signal }) => reject(new Error(`the agent exited (${signal ?? code}) before it was running; last lines:\n${last.join('\n')}`)));
  });
  running.catch(() => undefined);
  const onLine = (line: string): void => {
    if (line.includes('"msg":"agent running"')) markRunning();
    if (!line.trim()) return;
    const m = /^\{"level":(\d+)/.exec(line);
    // Not the agent's log: Node's own warnings (e.g. MaxListenersExceededWarning) or a crash.
    if (!m) other += 1;
    const level = m ? Number(m[1]) : 40;
    if (level < 40) return;
    const ring = m && level < 50 ? last : serious;
    if (m && level >= 50) error += 1;
    else if (m) warn += 1;
    ring.push(line.length > 600 ? `${line.slice(0, 600)}…` : line);
    if (ring.length > 10) ring.shift();
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
  }
  return {
    child,
    pid: child.pid!,
    running,
    exited,
    problems: () => ({ warn, error, other, last: [...serious, ...last] }),
    async stop(graceMs) {
      const started = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const how = await exited;
      clearTimeout(timer);
      return { ...how, ms: Math.round(performance.now() - started) };
    },
  };
}
