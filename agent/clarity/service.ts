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

  constructor(private readonly deps: ClarityServiceDeps) {}

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

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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

  private record(camera: CameraConfig, sample: ClaritySample): void {
    const at = this.deps.now();
    const prev = this.trackers.get(camera.id) ?? createTracker();
    const r = step(prev, sample, at.getTime(), this.deps.policy ?? {});
    const metrics = sample.analysis ? numericMetrics(sample.analysis.metrics) : {};
    this.deps.recorder.withFact((append) => {
      this.deps.db
        .prepare(
          `INSERT INTO clarity_state (camera_id, tracker, verdict, faults, metrics, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(camera_id) DO UPDATE SET tracker = excluded.tracker, verdict = excluded.verdict, faults = excluded.faults,
             metrics = excluded.metrics, updated_ms = excluded.updated_ms`,
        )
        .run(camera.id, JSON.stringify(r.state), r.verdict, JSON.stringify(r.faults), JSON.stringify(metrics), at.getTime());
      this.addToBucket(camera.id, at.getTime(), metrics, r.observed);
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
    });
    this.trackers.set(camera.id, r.state);
    if (r.raised.length > 0 || r.cleared.length > 0) {
      this.deps.logger.info({ camera: camera.id, raised: r.raised, cleared: r.cleared, verdict: r.verdict }, 'clarity changed');
    }
  }

  private addToBucket(cameraId: string, atMs: number, metrics: Record<string, number>, observed: string[]): void {
    const bucketMs = this.deps.bucketMs ?? 300_000;
    const bucket = Math.floor(atMs / bucketMs) * bucketMs;
    const row = this.deps.db
      .prepare<[string, number], { n: number; metrics: string; faults: string }>('SELECT n, metrics, faults FROM clarity_samples WHERE camera_id = ? AND bucket_ms = ?')
      .get(cameraId, bucket);
    const b: SampleBucket = row
      ? { n: row.n, metrics: JSON.parse(row.metrics) as Record<string, number>, faults: JSON.parse(row.faults) as Record<string, number> }
      : { n: 0, metrics: {}, faults: {} };
    // Running means: the trend needs the average of a bucket, not every sample.
    for (const [k, v] of Object.entries(metrics)) b.metrics[k] = ((b.metrics[k] ?? 0) * b.n + v) / (b.n + 1);
    for (const f of observed) b.faults[f] = (b.faults[f] ?? 0) + 1;
    b.n += 1;
    this.deps.db
      .prepare(
        `INSERT INTO clarity_samples (camera_id, bucket_ms, n, metrics, faults) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(camera_id, bucket_ms) DO UPDATE SET n = excluded.n, metrics = excluded.metrics, faults = excluded.faults`,
      )
      .run(cameraId, bucket, b.n, JSON.stringify(b.metrics), JSON.stringify(b.faults));
  }
}

function numericMetrics(metrics: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = Math.round(v * 1000) / 1000;
  return out;
}
