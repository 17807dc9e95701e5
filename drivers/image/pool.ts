// A small pool of worker threads that decode JPEG snapshots and run an analyser on them,
// so that scoring 256 cameras never stalls the main event loop (MQTT keepalives, SQLite,
// the watchdog). Usage:
//
//   const pool = new ImageWorkerPool<FrameAnalysis>({ analyser: new URL('./metrics.js', import.meta.url) });
//   const r = await pool.analyse(jpegBytes);   // { width, height, sourceWidth, sourceHeight, analysis, decodeMs, analyseMs }
//   await pool.close();                        // terminates the workers
//
// Failures are ImageError: decode_error (not a JPEG, corrupt, truncated), too_large,
// timeout, worker_crashed (the worker died; a new one takes its place), busy (queue full),
// closed, unavailable (worker or analyser module missing: dist/ not built).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DEFAULT_MAX_INPUT_BYTES, WORKING_LONG_SIDE } from './decode.js';
import { ImageError, type ImageErrorCode } from './errors.js';
import type { AnalysedImage, WorkerData, WorkerReply, WorkerRequest } from './protocol.js';

export type { AnalysedImage } from './protocol.js';

export interface ImagePoolOptions {
  /** Module exporting `analyseFrame(planes)`; a .ts source URL is mapped to its compiled dist/ twin. */
  analyser: URL | string;
  /** Worker threads (default: min(2, cores)). */
  size?: number;
  longSide?: number;
  maxBytes?: number;
  /** Per-picture deadline; the worker is replaced when it is exceeded (default 10 s). */
  timeoutMs?: number;
  /** Pictures waiting beyond this are refused with `busy` (default 1024). */
  maxQueue?: number;
  /** V8 heap cap per worker, MB (default 256): a runaway picture kills its worker, not the agent. */
  maxHeapMb?: number;
  /** V8 young generation per worker, MB (default YOUNG_GENERATION_MB). */
  youngGenerationMb?: number;
}

interface Task {
  id: number;
  bytes: ArrayBuffer;
  resolve(v: AnalysedImage): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  dead: boolean;
  /** A request is out in the worker (its caller may already have been answered). */
  busy: boolean;
  /** Called when the worker answers or dies. */
  onIdle: (() => void) | null;
}

/**
 * The workers' pixels live in ArrayBuffers outside the V8 heap, so a small young
 * generation costs no measurable time; V8's default (sized for the machine) kept
 * ~6 MB more resident per worker (2 workers, 400 pictures: +64 MB RSS by default, +52 MB with 4).
 */
const YOUNG_GENERATION_MB = 4;

/** How long close() lets a worker finish the picture it is decoding before terminating it. */
const CLOSE_GRACE_MS = 2000;

/**
 * A runnable URL for a module: itself when it exists, else (running from TypeScript
 * sources, e.g. under vitest) the compiled twin under <package root>/dist/.
 */
export function runnableModuleUrl(url: URL | string): URL {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'file:') return u;
  const path = fileURLToPath(u);
  const js = path.replace(/\.ts$/, '.js');
  if (existsSync(js)) return pathToFileURL(js);
  let root = dirname(js);
  while (!existsSync(join(root, 'package.json'))) {
    const up = dirname(root);
    if (up === root) throw new ImageError('unavailable', `module not found: ${js}`);
    root = up;
  }
  const rel = relative(root, js);
  const built = join(root, 'dist', rel);
  if (!rel.startsWith(`dist${sep}`) && existsSync(built)) return pathToFileURL(built);
  throw new ImageError('unavailable', `module not found: ${js} (nor ${built}; run \`npm run build\`)`);
}

export class ImageWorkerPool<T = unknown> {
  private readonly workerUrl: URL;
  private readonly data: WorkerData;
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly maxHeapMb: number;
  private readonly youngGenerationMb: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Workers that died and were replaced (crash, heap limit, timeout). */
  restarts = 0;

  constructor(options: ImagePoolOptions) {
    this.workerUrl = runnableModuleUrl(new URL('./worker.js', import.meta.url));
    this.data = {
      analyser: runnableModuleUrl(options.analyser).href,
      longSide: options.longSide ?? WORKING_LONG_SIDE,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES,
    };
    this.size = Math.max(1, options.size ?? Math.min(2, availableParallelism()));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxQueue = options.maxQueue ?? 1024;
    this.maxHeapMb = options.maxHeapMb ?? 256;
    this.youngGenerationMb = options.youngGenerationMb ?? YOUNG_GENERATION_MB;
  }

  /** Live worker threads (spawned on demand, up to `size`). */
  get workers(): number {
    return this.slots.filter((s) => !s.dead).length;
  }

  /** Decode and analyse one JPEG in a worker. The caller's buffer is copied, never detached. */
  analyse(bytes: Uint8Array): Promise<AnalysedImage<T>> {
    if (this.closed) return Promise.reject(new ImageError('closed', 'image pool is closed'));
    if (bytes.length > this.data.maxBytes) {
      return Promise.reject(new ImageError('too_large', `picture is ${bytes.length} bytes, more than the ${this.data.maxBytes}-byte cap`));
    }
    if (this.queue.length >= this.maxQueue) return Promise.reject(new ImageError('busy', `${this.queue.length} pictures already waiting`));
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return new Promise<AnalysedImage<T>>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, bytes: copy.buffer, resolve: resolve as (v: AnalysedImage) => void, reject, settled: false });
      this.dispatch();
    });
  }

  /** Refuses new work, fails waiting and running pictures with `closed`, terminates every worker. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const task of this.queue.splice(0)) this.settle(task, new ImageError('closed', 'image pool closed'));
      const slots = this.slots.splice(0);
      for (const slot of slots) {
        if (slot.task) this.settle(slot.task, new ImageError('closed', 'image pool closed'));
      }
      // Let a worker finish the picture it is decoding: libvips runs it on the process's
      // libuv threads, and a job still running there would hold up the process's exit.
      await Promise.all(
        slots.map(async (slot) => {
          if (slot.busy && !slot.dead) {
            await new Promise<void>((done) => {
              const timer = setTimeout(done, CLOSE_GRACE_MS);
              timer.unref();
              slot.onIdle = () => {
                clearTimeout(timer);
                done();
              };
            });
          }
          slot.dead = true;
          slot.task = null;
          await slot.worker.terminate().catch(() => undefined);
        }),
      );
    })();
    return this.closing;
  }

  private dispatch(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.dead && s.task === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.busy = true;
      slot.worker.ref();
      task.timer = setTimeout(() => {
        this.settle(task, new ImageError('timeout', `picture not analysed within ${this.timeoutMs} ms`));
        // A stuck worker cannot be trusted with the next picture.
        void slot!.worker.terminate();
      }, this.timeoutMs);
      task.timer.unref();
      const req: WorkerRequest = { id: task.id, bytes: task.bytes };
      slot.worker.postMessage(req, [task.bytes]);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, {
      workerData: this.data,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: this.youngGenerationMb },
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, task: null, dead: false, busy: false, onIdle: null };
    this.slots.push(slot);
    const idle = () => {
      slot.busy = false;
      const cb = slot.onIdle;
      slot.onIdle = null;
      cb?.();
    };
    worker.on('message', (reply: WorkerReply) => {
      idle();
      const task = slot.task;
      if (!task || task.id !== reply.id) return; // a late answer to a task that timed out
      slot.task = null;
      if (reply.ok) this.settle(task, null, reply.result);
      else this.settle(task, new ImageError(reply.code === 'internal' ? 'decode_error' : (reply.code as ImageErrorCode), reply.message));
      if (!this.closed) {
        worker.unref();
        this.dispatch();
      }
    });
    const died = (why: string) => {
      idle();
      if (slot.dead) return;
      slot.dead = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (slot.task) this.settle(slot.task, new ImageError('worker_crashed', `image worker died: ${why}`));
      slot.task = null;
      if (!this.closed) {
        this.restarts += 1;
        this.dispatch();
      }
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    worker.unref();
    return slot;
  }

  private settle(task: Task, err: unknown, result?: AnalysedImage): void {
    if (task.settled) return;
    task.settled = true;
    if (task.timer) clearTimeout(task.timer);
    if (err) task.reject(err);
    else task.resolve(result!);
  }
}
