import type { Statement } from 'better-sqlite3';
import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import type { CameraConfig } from '../config/types.js';
import type { EventRecorder } from '../events/index.js';
import { mapBounded } from '../lifecycle/bounded.js';
import type { Service } from '../lifecycle/service.js';
import type { FrameAnalysis } from './metrics.js';
import { createTracker, relearn, step, type ClaritySample, type ClarityTracker, type PolicyConfig } from './policy.js';

/** Key prefix in `meta` of an operator's request to re-learn a camera's baseline (`cea clarity relearn`). */
export const RELEARN_KEY = 'clarity.relearn:';

/** Asks the running agent (or the next one) to re-learn a camera's normal picture, e.g. after it was re-aimed. */
export function requestRelearn(db: Database, cameraId: string, at: Date): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(RELEARN_KEY + cameraId, at.toISOString());
}

/** The image worker pool's part the monitor needs (drivers/image ImageWorkerPool). */
export interface FrameAnalyser {
  analyse(bytes: Uint8Array): Promise<{ analysis: FrameAnalysis }>;
}

export interface ClarityServiceDeps {
  db: Database;
  recorder: EventRecorder;
  logger: Logger;
  now: () => Date;
  cameras: CameraConfig[];
  intervalMs: number;
  /** One picture from the camera now (snapshot URI, or a frame grabbed from RTSP). */
  snapshot: (camera: CameraConfig) => Promise<Uint8Array>;
  analyser: FrameAnalyser;
  /** Reachability evidence for the uptime ledger. */
  observe?: (cameraId: string, ok: boolean, at: Date, error?: string) => void;
  /** Each picture taken (the console's thumbnails); must not throw or block. */
  onSnapshot?: (cameraId: string, bytes: Uint8Array, atMs: number) => void;
  concurrency?: number;
  /** Trend buckets in the samples table. */
  bucketMs?: number;
  /** Overrides of the monitoring policy (tests shorten the baseline). */
  policy?: Partial<PolicyConfig>;
  /** Finished results are stored together at most this long after the first of them (default 500 ms). */
  flushMs?: number;
  /** ... or as soon as this many are waiting (default 32). */
  flushMax?: number;
}

/** A scored picture waiting to be stored (see ClarityService.flush). */
interface PendingResult {
  camera: CameraConfig;
  sample: ClaritySample;
  atMs: number;
}

interface SampleBucket {
  n: number;
  metrics: Record<string, number>;
  faults: Record<string, number>;
}

/**
 * Keeps every picture clear (Liaoning Art. 14 (ii)): samples each camera every
 * `monitor.intervalSeconds`, scores the picture off the main loop, and turns the scores
 * into faults with a per-camera baseline and hysteresis (agent/clarity/policy.ts), so an
 * operator hears of a fault once when it starts and once when it clears. A camera in a
 * prohibited place is never looked at.
 *
 * Each camera keeps its own schedule: its next sample is due `intervalMs` after its last
 * attempt started, and at most `concurrency` attempts run at once, the longest-due first.
 * A camera still in flight is skipped, never queued twice. (Rounds that waited for every
 * camera let one slow or slowloris camera cut every camera's sampling rate to its pace.)
 * An attempt that overran its interval waits a full interval after it ended, so a hanging
 * camera does not hold a pool slot back to back.
 */
export class ClarityService implements Service {
  readonly name = 'clarity';
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private started = false;
  private readonly trackers = new Map<string, ClarityTracker>();
  /** Next due time (ms) per watchable camera. */
  private readonly due = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private nextRelearnCheckMs = Number.NEGATIVE_INFINITY;
  /** Finished results not stored yet, in the order they finished. */
  private pending: PendingResult[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly upsertState: Statement<[string, string, string, string, string, number]>;
  private readonly selectBucket: Statement<[string, number], { n: number; metrics: string; faults: string }>;
  private readonly upsertBucket: Statement<[string, number, number, string, string]>;

  constructor(private readonly deps: ClarityServiceDeps) {
    // Prepared once: at 256 cameras a result arrives every few tens of milliseconds.
    this.upsertState = deps.db.prepare(
      `INSERT INTO clarity_state (camera_id, tracker, verdict, faults, metrics, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(camera_id) DO UPDATE SET tracker = excluded.tracker, verdict = excluded.verdict, faults = excluded.faults,
         metrics = excluded.metrics, updated_ms = excluded.updated_ms`,
    );
    this.selectBucket = deps.db.prepare('SELECT n, metrics, faults FROM clarity_samples WHERE camera_id = ? AND bucket_ms = ?');
    this.upsertBucket = deps.db.prepare(
      `INSERT INTO clarity_samples (camera_id, bucket_ms, n, metrics, faults) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(camera_id, bucket_ms) DO UPDATE SET n = excluded.n, metrics = excluded.metrics, faults = excluded.faults`,
    );
  }

  start(): void {
    const rows = this.deps.db.prepare<[], { camera_id: string; tracker: string }>('SELECT camera_id, tracker FROM clarity_state').all();
    for (const r of rows) {
      try {
        this.trackers.set(r.camera_id, JSON.parse(r.tracker) as ClarityTracker);
      } catch {
        this.deps.logger.warn({ camera: r.camera_id }, 'unreadable clarity state; learning the camera again');
      }
    }
    const t = this.deps.now().getTime();
    for (const c of this.watchable()) if (!this.due.has(c.id)) this.due.set(c.id, t);
    this.started = true;
    this.pump();
  }

  /** Stops sampling and stores the results already scored; attempts still in flight are dropped. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }

  /**
   * Samples every watchable camera not already in flight once and waits for them (tests, and
   * operator requests that cannot wait for the schedule); bounded by `concurrency` itself.
   */
  async round(): Promise<void> {
    if (this.stopped) return;
    this.applyRelearnRequests();
    const cameras = this.watchable().filter((c) => !this.inFlight.has(c.id));
    await mapBounded(cameras, this.concurrency, (c) => this.attempt(c));
    // The caller reads the results next: store them now rather than at the next flush.
    this.flush();
  }

  private get concurrency(): number {
    return Math.max(1, this.deps.concurrency ?? 8);
  }

  private watchable(): CameraConfig[] {
    return this.deps.cameras.filter((c) => !c.prohibited);
  }

  /** Starts whatever is due while the pool has room, then sleeps until the next camera is due. */
  private pump(): void {
    if (this.stopped || !this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const t = this.deps.now().getTime();
    if (t >= this.nextRelearnCheckMs) {
      this.nextRelearnCheckMs = t + Math.min(this.deps.intervalMs, 10_000);
      try {
        this.applyRelearnRequests();
      } catch (err) {
        this.deps.logger.error({ err }, 'clarity relearn requests not read');
      }
    }
    // Never further off than one interval: a clock stepped backwards must not stall sampling.
    const dueOf = (c: CameraConfig) => Math.min(this.due.get(c.id) ?? t, t + this.deps.intervalMs);
    const waiting = this.watchable()
      .filter((c) => !this.inFlight.has(c.id))
      .sort((a, b) => dueOf(a) - dueOf(b));
    let next = Number.POSITIVE_INFINITY;
    for (const c of waiting) {
      const dueAt = dueOf(c);
      if (dueAt <= t && this.inFlight.size < this.concurrency) {
        void this.attempt(c).finally(() => this.pump());
      } else {
        next = Math.min(next, Math.max(dueAt, t + 1));
      }
    }
    // A full pool is woken by the next attempt that ends (finally → pump), not by the timer.
    if (next !== Number.POSITIVE_INFINITY && this.inFlight.size < this.concurrency) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, next - t));
    }
  }

  /** One sample of one camera; never rejects. */
  private async attempt(camera: CameraConfig): Promise<void> {
    if (this.inFlight.has(camera.id)) return;
    this.inFlight.add(camera.id);
    const startedAt = this.deps.now().getTime();
    this.due.set(camera.id, startedAt + this.deps.intervalMs);
    try {
      await this.sample(camera);
    } catch (err) {
      this.deps.logger.error({ err, camera: camera.id }, 'clarity sample failed');
    } finally {
      this.inFlight.delete(camera.id);
      const endedAt = this.deps.now().getTime();
      if (endedAt > startedAt + this.deps.intervalMs) this.due.set(camera.id, endedAt + this.deps.intervalMs);
    }
  }

  /** Operator requests come through the database, so the CLI works whether or not the agent runs. */
  private applyRelearnRequests(): void {
    const rows = this.deps.db.prepare<[string], { key: string }>('SELECT key FROM meta WHERE key LIKE ?').all(`${RELEARN_KEY}%`);
    for (const { key } of rows) {
      const cameraId = key.slice(RELEARN_KEY.length);
      this.deps.db.transaction(() => {
        const tracker = this.trackers.get(cameraId);
        if (tracker) {
          const fresh = relearn(tracker);
          this.trackers.set(cameraId, fresh);
          this.deps.db.prepare('UPDATE clarity_state SET tracker = ? WHERE camera_id = ?').run(JSON.stringify(fresh), cameraId);
        }
        this.deps.db.prepare('DELETE FROM meta WHERE key = ?').run(key);
      })();
      this.deps.logger.info({ camera: cameraId }, 'clarity baseline will be learned again (operator request)');
    }
  }

  private async sample(camera: CameraConfig): Promise<void> {
    const { logger, now } = this.deps;
    let bytes: Uint8Array;
    try {
      bytes = await this.deps.snapshot(camera);
    } catch (err) {
      // No picture at all is the uptime ledger's business, not a clarity sample.
      this.deps.observe?.(camera.id, false, now(), (err as Error).message);
      logger.debug({ err, camera: camera.id }, 'no snapshot');
      return;
    }
    this.deps.observe?.(camera.id, true, now());
    try {
      this.deps.onSnapshot?.(camera.id, bytes, now().getTime());
    } catch (err) {
      logger.debug({ err, camera: camera.id }, 'snapshot listener failed');
    }
    let sample: ClaritySample;
    try {
      sample = { analysis: (await this.deps.analyser.analyse(bytes)).analysis };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'decode_error' && code !== 'too_large') {
        logger.warn({ err, camera: camera.id }, 'picture not scored (image pool)');
        return;
      }
      sample = { error: 'decode_error' };
    }
    if (this.stopped) return;
    try {
      this.record(camera, sample);
    } catch (err) {
      logger.error({ err, camera: camera.id }, 'clarity result not stored');
    }
  }

  /**
   * Queues a scored picture for the next batch. One commit per result (synchronous = FULL:
   * an fsync each) took a sixth of the main thread at 256 cameras, so results are stored
   * together every `flushMs` or `flushMax` results. What that costs: a crash or power loss
   * loses the results not flushed yet (under `flushMs`, 500 ms by default): a few samples
   * of a trend, never a fault already reported, since a fault's event commits with the
   * state that raised it.
   */
  private record(camera: CameraConfig, sample: ClaritySample): void {
    this.pending.push({ camera, sample, atMs: this.deps.now().getTime() });
    if (this.pending.length >= Math.max(1, this.deps.flushMax ?? 32)) {
      this.flush();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.flush();
      }, this.deps.flushMs ?? 500);
    }
  }

  /** Stores every queued result in one transaction; never throws. */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      this.store(batch);
    } catch (err) {
      if (batch.length === 1) {
        this.deps.logger.error({ err, camera: batch[0]?.camera.id }, 'clarity result not stored');
        return;
      }
      // One bad result must not cost the others: store them one by one.
      this.deps.logger.warn({ err, results: batch.length }, 'clarity results not stored together; storing them one by one');
      for (const item of batch) {
        try {
          this.store([item]);
        } catch (e) {
          this.deps.logger.error({ err: e, camera: item.camera.id }, 'clarity result not stored');
        }
      }
    }
  }

  /**
   * One transaction for the batch, in the order the results finished (so each camera's
   * events keep their order); each result's state row, trend bucket and events commit
   * together. The in-memory trackers move on only once the transaction committed.
   */
  private store(batch: PendingResult[]): void {
    const next = new Map<string, ClarityTracker>();
    const changes: { camera: string; raised: string[]; cleared: string[]; verdict: string }[] = [];
    this.deps.recorder.withFact((append) => {
      for (const { camera, sample, atMs } of batch) {
        const prev = next.get(camera.id) ?? this.trackers.get(camera.id) ?? createTracker();
        const r = step(prev, sample, atMs, this.deps.policy ?? {});
        next.set(camera.id, r.state);
        const metrics = sample.analysis ? numericMetrics(sample.analysis.metrics) : {};
        this.upsertState.run(camera.id, JSON.stringify(r.state), r.verdict, JSON.stringify(r.faults), JSON.stringify(metrics), atMs);
        this.addToBucket(camera.id, atMs, metrics, r.observed);
        if (r.raised.length > 0) {
          append({
            type: 'clarity.fault',
            severity: r.verdict === 'fault' ? 'critical' : 'warning',
            camera: camera.id,
            data: { faults: r.raised, active: r.faults, verdict: r.verdict, mode: r.mode, metrics },
          });
        }
        if (r.cleared.length > 0) {
          append({ type: 'clarity.cleared', severity: 'info', camera: camera.id, data: { faults: r.cleared, active: r.faults, verdict: r.verdict, metrics } });
        }
        if (r.raised.length > 0 || r.cleared.length > 0) changes.push({ camera: camera.id, raised: r.raised, cleared: r.cleared, verdict: r.verdict });
      }
    });
    for (const [id, state] of next) this.trackers.set(id, state);
    for (const c of changes) this.deps.logger.info(c, 'clarity changed');
  }

  private addToBucket(cameraId: string, atMs: number, metrics: Record<string, number>, observed: string[]): void {
    const bucketMs = this.deps.bucketMs ?? 300_000;
    const bucket = Math.floor(atMs / bucketMs) * bucketMs;
    const row = this.selectBucket.get(cameraId, bucket);
    const b: SampleBucket = row
      ? { n: row.n, metrics: JSON.parse(row.metrics) as Record<string, number>, faults: JSON.parse(row.faults) as Record<string, number> }
      : { n: 0, metrics: {}, faults: {} };
    // Running means: the trend needs the average of a bucket, not every sample.
    for (const [k, v] of Object.entries(metrics)) b.metrics[k] = ((b.metrics[k] ?? 0) * b.n + v) / (b.n + 1);
    for (const f of observed) b.faults[f] = (b.faults[f] ?? 0) + 1;
    b.n += 1;
    this.upsertBucket.run(cameraId, bucket, b.n, JSON.stringify(b.metrics), JSON.stringify(b.faults));
  }
}

function numericMetrics(metrics: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = Math.round(v * 1000) / 1000;
  return out;
}
