import type { Logger } from '../../drivers/log/logger.js';
import type { CameraConfig } from '../config/types.js';
import type { EventBus } from '../events/index.js';
import type { Service } from '../lifecycle/service.js';
import { canonicalJson } from '../canonical-json.js';
import { topics } from './topics.js';

/** What the status topic says about clarity, uptime and recording; each capability provides its part. */
export interface CameraStatusSources {
  uptime(cameraId: string): { online: boolean | null; clockSkewMs: number | null; h24: number; d7: number; d30: number } | null;
  clarity(cameraId: string): { verdict: 'ok' | 'degraded' | 'fault'; faults: string[]; metrics: Record<string, number> } | null;
  recording(cameraId: string): { state: string; oldest: string | null; days: number | null } | null;
}

export interface StatusLink {
  readonly connected: boolean;
  publish(topic: string, payload: string, opts: { qos: 1; retain: true }): Promise<void>;
  on(event: 'connect', listener: () => void): unknown;
  off(event: 'connect', listener: () => void): unknown;
}

export interface CameraStatusDeps {
  site: string;
  cameras: CameraConfig[];
  link: StatusLink;
  bus: EventBus;
  sources: CameraStatusSources;
  logger: Logger;
  now: () => Date;
  /** Republished at least this often even without change (DESIGN: every 5 min). */
  refreshMs?: number;
  /** How often to look for changes to publish. */
  checkMs?: number;
}

/**
 * The retained `camera/<id>/status` topic: published on every (re)connect (a restarted
 * broker may have lost it), whenever what it says changes, and at least every 5 min.
 */
export class CameraStatusService implements Service {
  readonly name = 'camera-status';
  private readonly last = new Map<string, { body: string; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void)[] = [];
  /** Cameras whose status may have changed since the last pass. */
  private readonly dirty = new Set<string>();
  private allDirty = false;
  /** The pass in progress (one slice per turn of the event loop), or null. */
  private pass: NodeJS.Immediate | null = null;
  private running = false;

  constructor(private readonly deps: CameraStatusDeps) {}

  private readonly onConnect = (): void => {
    this.last.clear();
    this.markAll();
  };

  start(): void {
    this.running = true;
    this.deps.link.on('connect', this.onConnect);
    // An event names its camera: only that status can have changed (the soak measured a full
    // pass per event at 256 cameras as the largest block of the event loop). One without a
    // camera (site events) may touch any, so all are looked at.
    this.unsubscribe.push(
      this.deps.bus.on('event', (e) => this.mark(e.camera)),
      this.deps.bus.on('camera.reachability', (r) => this.mark(r.camera)),
    );
    this.timer = setInterval(() => this.markAll(), this.deps.checkMs ?? 10_000);
    this.timer.unref();
    if (this.deps.link.connected) this.markAll();
  }

  stop(): void {
    this.running = false;
    this.deps.link.off('connect', this.onConnect);
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.pass) clearImmediate(this.pass);
    this.pass = null;
    this.dirty.clear();
    this.allDirty = false;
  }

  /** Publishes every camera's status again now (the `rebirth` request). */
  republish(): void {
    this.last.clear();
    this.markAll();
  }

  /** The payload for one camera now (also for the `status` request). */
  status(camera: CameraConfig): Record<string, unknown> {
    const { sources } = this.deps;
    const uptime = sources.uptime(camera.id);
    const clarity = sources.clarity(camera.id);
    const recording = sources.recording(camera.id);
    return {
      ts: this.deps.now().toISOString(),
      online: uptime?.online ?? null,
      clarity: clarity ?? { verdict: null, faults: [], metrics: {} },
      uptime: uptime ? { h24: round4(uptime.h24), d7: round4(uptime.d7), d30: round4(uptime.d30) } : { h24: null, d7: null, d30: null },
      recording: recording ?? { state: camera.prohibited ? 'forbidden' : camera.record ? 'unknown' : 'off', oldest: null, days: null },
      clockSkewMs: uptime?.clockSkewMs ?? null,
      // Extensions: what the camera is, so a status alone is readable.
      name: camera.name,
      prohibited: camera.prohibited,
    };
  }

  private mark(cameraId: string | undefined): void {
    if (cameraId === undefined || !this.deps.cameras.some((c) => c.id === cameraId)) this.allDirty = true;
    else this.dirty.add(cameraId);
    this.schedule();
  }

  private markAll(): void {
    this.allDirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.running || this.pass) return;
    this.pass = setImmediate(() => this.runPass());
  }

  /**
   * One pass over the cameras marked so far, SLICE of them per turn of the event loop, so
   * that 256 statuses (each a few SQLite reads) never hold MQTT, the watchdog or the
   * clarity results up for long. Marks made meanwhile are taken by the next pass.
   */
  private runPass(): void {
    const todo = this.allDirty ? this.deps.cameras.slice() : this.deps.cameras.filter((c) => this.dirty.has(c.id));
    this.allDirty = false;
    this.dirty.clear();
    const step = (from: number): void => {
      this.pass = null;
      if (!this.running) return;
      if (!this.deps.link.connected) return; // the next connect publishes everything
      const end = Math.min(todo.length, from + SLICE);
      const nowMs = this.deps.now().getTime();
      for (let i = from; i < end; i++) this.publishOne(todo[i]!, nowMs);
      if (end < todo.length) this.pass = setImmediate(() => step(end));
      else if (this.allDirty || this.dirty.size > 0) this.schedule();
    };
    step(0);
  }

  private publishOne(camera: CameraConfig, nowMs: number): void {
    let payload: Record<string, unknown>;
    try {
      payload = this.status(camera);
    } catch (err) {
      this.deps.logger.error({ err, camera: camera.id }, 'could not build camera status');
      return;
    }
    // A change of what the status *says* publishes at once; drifting numbers (metrics,
    // availability fractions) wait for the periodic refresh, or every sample would publish.
    const body = canonicalJson(significant(payload));
    const prev = this.last.get(camera.id);
    if (prev && prev.body === body && nowMs - prev.at < (this.deps.refreshMs ?? 300_000)) return;
    this.last.set(camera.id, { body, at: nowMs });
    this.deps.link
      .publish(topics.cameraStatus(this.deps.site, camera.id), JSON.stringify(payload), { qos: 1, retain: true })
      .catch((err: unknown) => {
        this.last.delete(camera.id); // try again on the next round
        this.deps.logger.debug({ err, camera: camera.id }, 'camera status not published');
      });
  }
}

/** Statuses built per turn of the event loop (each costs a few SQLite reads). */
const SLICE = 16;

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** The parts of a status whose change is news for the platform. */
function significant(payload: Record<string, unknown>): unknown {
  const clarity = payload.clarity as { verdict: unknown; faults: unknown } | undefined;
  const recording = payload.recording as { state: unknown; oldest: unknown } | undefined;
  const skew = payload.clockSkewMs as number | null;
  return {
    online: payload.online,
    verdict: clarity?.verdict ?? null,
    faults: clarity?.faults ?? [],
    recording: recording?.state ?? null,
    oldest: recording?.oldest ?? null,
    // Whole seconds: a clock skew that moves by milliseconds is not news.
    skewS: skew === null ? null : Math.round(skew / 1000),
  };
}
