// The soak's side of its simulator processes: forks them, gives each a share of the
// cameras, switches cameras over IPC, and stops them (by PID if they do not go quietly).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../agent/package-root.js';
import type { FromSimulator, SimulatedCameraInfo, SimulatorOp, ToSimulator } from './simulator-protocol.js';

export interface SimulatorPool {
  cameras: SimulatedCameraInfo[];
  pids: number[];
  /** Switches one camera; rejects with the simulator's error. */
  command(camera: string, op: SimulatorOp): Promise<void>;
  stop(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  exited: Promise<void>;
  pending: Map<number, { resolve: () => void; reject: (err: Error) => void }>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** The compiled simulator process: beside this file in dist/, or (running from TypeScript sources under vitest) its twin in dist/. */
function simulatorScript(): string {
  const beside = fileURLToPath(new URL('./simulator-process.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = join(packageRoot(), 'dist', 'scripts', 'soak', 'simulator-process.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx tsc -p tsconfig.build.json)`);
  return built;
}

/**
 * Fixed ports below the kernel's ephemeral range (32768–60999 by default). A camera
 * switched offline closes its listener and reopens the same port when it comes back;
 * with a port from the ephemeral range any outgoing connection on the box may take it
 * meanwhile (seen in a 256-camera soak: EADDRINUSE). Ports below the range are never
 * handed out by the kernel, only taken by someone binding them on purpose.
 */
const PORT_FLOOR = 12_000;
const PORT_CEILING = 32_000;
const START_ATTEMPTS = 5;

/** `ids` split round-robin over `processes` forked simulators, on a free block of fixed ports. */
export async function startSimulators(ids: readonly string[], processes: number): Promise<SimulatorPool> {
  if (ids.length > PORT_CEILING - PORT_FLOOR) throw new RangeError('too many cameras');
  for (let attempt = 1; ; attempt++) {
    const base = PORT_FLOOR + Math.floor(Math.random() * (PORT_CEILING - PORT_FLOOR - ids.length));
    try {
      return await startOn(ids, processes, base);
    } catch (err) {
      // Someone holds a port of the block: try another block.
      if (attempt >= START_ATTEMPTS || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function startOn(ids: readonly string[], processes: number, basePort: number): Promise<SimulatorPool> {
  const script = simulatorScript();
  const n = Math.max(1, Math.min(processes, ids.length));
  const shares: { id: string; port: number }[][] = Array.from({ length: n }, () => []);
  ids.forEach((id, i) => shares[i % n]!.push({ id, port: basePort + i }));

  const workers: Worker[] = [];
  const owner = new Map<string, Worker>();
  let nextReq = 1;

  const stop = async () => {
    await Promise.all(
      workers.map(async (w) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) return;
        if (w.child.connected) w.child.send({ type: 'stop' } satisfies ToSimulator);
        else w.child.kill('SIGTERM');
        const timer = setTimeout(() => w.child.kill('SIGKILL'), STOP_GRACE_MS);
        await w.exited;
        clearTimeout(timer);
      }),
    );
  };

  try {
    const cameras = await Promise.all(
      shares.map(async (share) => {
        const child = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
        const worker: Worker = {
          child,
          exited: new Promise((resolve) => child.once('exit', () => resolve())),
          pending: new Map(),
        };
        workers.push(worker);
        for (const { id } of share) owner.set(id, worker);
        const ready = new Promise<SimulatedCameraInfo[]>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('a simulator process did not start in time')), START_TIMEOUT_MS);
          child.on('message', (msg: FromSimulator) => {
            if (msg.type === 'ready') {
              clearTimeout(timer);
              resolve(msg.cameras);
            } else if (msg.type === 'failed') {
              clearTimeout(timer);
              reject(new Error(`a simulator process failed to start: ${msg.error}`));
            } else if (msg.type === 'done') {
              const p = worker.pending.get(msg.req);
              worker.pending.delete(msg.req);
              if (msg.error) p?.reject(new Error(msg.error));
              else p?.resolve();
            }
          });
          child.once('exit', (code, signal) => {
            clearTimeout(timer);
            reject(new Error(`a simulator process exited (${signal ?? code})`));
            for (const p of worker.pending.values()) p.reject(new Error('simulator process exited'));
            worker.pending.clear();
          });
        });
        child.send({ type: 'start', cameras: share } satisfies ToSimulator);
        return ready;
      }),
    );
    return {
      cameras: cameras.flat(),
      pids: workers.map((w) => w.child.pid!).filter((p) => p !== undefined),
      command(camera, op) {
        const w = owner.get(camera);
        if (!w) return Promise.reject(new Error(`no simulated camera ${camera}`));
        if (!w.child.connected) return Promise.reject(new Error('simulator process gone'));
        const req = nextReq++;
        return new Promise<void>((resolve, reject) => {
          w.pending.set(req, { resolve, reject });
          w.child.send({ type: 'op', req, camera, ...op } as ToSimulator);
        });
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
