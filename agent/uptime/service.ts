import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import type { CameraConfig } from '../config/types.js';
import type { EventBus, EventRecorder } from '../events/index.js';
import { mapBounded } from '../lifecycle/bounded.js';
import type { Service } from '../lifecycle/service.js';
import {
  availability,
  closeOnStop,
  closeRetired,
  decidePresence,
  decideSkew,
  initialPresence,
  moveTo,
  provesReachable,
  resumeAfterRestart,
  WINDOWS_MS,
  type Availability,
  type Evidence,
  type IntervalState,
  type PresenceState,
  type SkewDecision,
} from './policy.js';
import { UptimeStore, type ProbeRow } from './store.js';

export interface UptimeDeps<C extends { id: string }> {
  db: Database;
  recorder: EventRecorder;
  bus: EventBus;
  logger: Logger;
  now: () => Date;
  cameras: readonly C[];
  /** A cheap call that proves the camera answers and reads its clock: ONVIF GetSystemDateAndTime (needs no credentials). */
  probe: (camera: C) => Promise<{ offsetMs: number }>;
  intervalMs: number;
  /** GB/T 28181: 3. */
  missedProbesForOffline: number;
  skewLimitMs: number;
  concurrency: number;
}

/** What the agent knows now about one camera's reachability (for the camera status topic). */
export interface CameraReachability {
  camera: string;
  /** The ledger's current state. */
  state: IntervalState;
  online: boolean;
  /** When the current interval began (ISO), or null without a ledger. */
  since: string | null;
  consecutiveFailures: number;
  lastProbeAt: string | null;
  lastOkAt: string | null;
  lastError: string | null;
  /** Camera clock minus box clock at the last answer, ms. */
  clockSkewMs: number | null;
  clockSkewAlarm: boolean;
}

export interface ObserveOptions {
  /** Where the evidence comes from ('snapshot', 'stream', 'interrogation'…); kept as the interval's reason. */
  source?: string;
  /** Why it failed, for current().lastError and the next camera.offline. */
  error?: string;
}

interface Track {
  presence: PresenceState;
  probe: ProbeRow;
  /** probe differs from its row: written with the next round's batch. */
  dirty: boolean;
}

/**
 * The uptime ledger (Liaoning Art. 14 (ii): keep the system working). Probes every
 * camera each interval with GetSystemDateAndTime (bounded concurrency), takes other
 * reachability evidence through `observe`, and keeps persisted online / offline /
 * unknown intervals from which availability is computed. Transitions and clock-skew
 * alarms are raised as events in the same transaction as the ledger change.
 */
export class UptimeService<C extends { id: string } = CameraConfig> implements Service {
  readonly name = 'uptime';
  private readonly store: UptimeStore;
  private readonly tracks = new Map<string, Track>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly deps: UptimeDeps<C>) {
    this.store = new UptimeStore(deps.db);
  }

  start(): void {
    if (this.running) return;
    const { db, cameras, logger } = this.deps;
    const nowMs = this.nowMs();
    const heartbeat = this.store.heartbeat();
    db.transaction(() => {
      const configured = new Set(cameras.map((c) => c.id));
      for (const id of this.store.camerasWithOpenInterval()) {
        const open = this.store.openInterval(id);
        if (!configured.has(id) && open) this.store.apply(id, closeRetired(open, heartbeat, nowMs));
      }
      for (const c of cameras) {
        this.store.apply(c.id, resumeAfterRestart(this.store.openInterval(c.id), heartbeat, nowMs));
        const saved = this.store.probe(c.id);
        this.tracks.set(c.id, {
          presence: initialPresence(this.store.lastDefinite(c.id)),
          // Misses before the restart are not carried over: the time between is unknown.
          probe: {
            cameraId: c.id,
            consecutiveFailures: 0,
            lastProbeMs: saved?.lastProbeMs ?? null,
            lastOkMs: saved?.lastOkMs ?? null,
            lastError: saved?.lastError ?? null,
            clockSkewMs: saved?.clockSkewMs ?? null,
            skewAlarm: saved?.skewAlarm ?? false,
          },
          dirty: true,
        });
      }
      this.store.setHeartbeat(nowMs);
    })();
    if (heartbeat !== null && nowMs > heartbeat) {
      logger.info({ since: new Date(heartbeat).toISOString(), gapMs: nowMs - heartbeat }, 'uptime ledger resumed; the time the agent was down is recorded as unknown');
    }
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Closing the books now keeps the ledger honest for anyone reading it while the agent is down.
    this.safely('closing the uptime ledger', () => {
      const nowMs = this.nowMs();
      this.deps.db.transaction(() => {
        for (const [id, track] of this.tracks) {
          this.store.apply(id, closeOnStop(this.store.openInterval(id), nowMs));
          this.store.saveProbe(track.probe);
        }
        this.store.setHeartbeat(nowMs);
      })();
    });
  }

  /**
   * Reachability evidence from elsewhere: a snapshot or stream that worked or failed, an
   * interrogation. A success brings the camera online at once; a failure is noted but
   * is not a missed probe (only the periodic probe counts toward offline).
   */
  observe(cameraId: string, ok: boolean, at: Date, opts: ObserveOptions = {}): void {
    if (!this.running) return;
    const error = ok ? null : (opts.error ?? `${opts.source ?? 'external'} check failed`);
    this.safely(`evidence for ${cameraId}`, () => this.take(cameraId, { ok, source: 'external' }, at.getTime(), opts.source ?? 'external', error, null));
  }

  /** Online share of the last 24 h, 7 d and 30 d, and the unknown share of each. */
  availability(cameraId: string, nowMs: number = this.nowMs()): Availability {
    return availability(this.store.intervals(cameraId, nowMs - WINDOWS_MS.d30, nowMs), nowMs);
  }

  current(cameraId: string): CameraReachability | null {
    const track = this.tracks.get(cameraId);
    if (!track) return null;
    const open = this.store.openInterval(cameraId);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      camera: cameraId,
      state: open?.state ?? 'unknown',
      online: open?.state === 'online',
      since: iso(open?.startMs ?? null),
      consecutiveFailures: track.presence.consecutiveFailures,
      lastProbeAt: iso(track.probe.lastProbeMs),
      lastOkAt: iso(track.probe.lastOkMs),
      lastError: track.probe.lastError,
      clockSkewMs: track.probe.clockSkewMs,
      clockSkewAlarm: track.probe.skewAlarm,
    };
  }

  /** One probe round now (tests, the CLI); the periodic rounds go on as scheduled. */
  async probeAll(): Promise<void> {
    await mapBounded(this.deps.cameras, this.deps.concurrency, (c) => this.probeOne(c));
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.round();
    }, delayMs);
  }

  /** Rounds never overlap: the next starts an interval after this one started, or at once if it ran late. */
  private async round(): Promise<void> {
    const startedMs = this.nowMs();
    await this.probeAll();
    if (!this.running) return;
    this.safely('saving probe state', () => this.flush());
    this.schedule(Math.max(0, startedMs + this.deps.intervalMs - this.nowMs()));
  }

  private async probeOne(camera: C): Promise<void> {
    let offsetMs: number | null = null;
    let error: unknown = null;
    try {
      offsetMs = (await this.deps.probe(camera)).offsetMs;
    } catch (err) {
      error = err;
    }
    if (!this.running) return;
    // A refused password or a SOAP fault is still an answer: the camera is up.
    const ok = error === null || provesReachable(errorCode(error));
    this.safely(`probe result of ${camera.id}`, () =>
      this.take(camera.id, { ok, source: 'probe' }, this.nowMs(), 'probe', error === null ? null : errorMessage(error), offsetMs),
    );
  }

  private take(cameraId: string, evidence: Evidence, atMs: number, source: string, error: string | null, skewMs: number | null): void {
    const track = this.tracks.get(cameraId);
    if (!track) {
      this.deps.logger.debug({ camera: cameraId }, 'reachability evidence for a camera that is not configured; ignored');
      return;
    }
    const { missedProbesForOffline, skewLimitMs, logger } = this.deps;
    const decision = decidePresence(track.presence, evidence, atMs, missedProbesForOffline);
    const probe: ProbeRow = { ...track.probe, consecutiveFailures: decision.next.consecutiveFailures };
    if (evidence.source === 'probe') probe.lastProbeMs = atMs;
    if (evidence.ok) probe.lastOkMs = Math.max(probe.lastOkMs ?? atMs, atMs);
    probe.lastError = error ?? (evidence.ok ? null : probe.lastError);
    let skew: SkewDecision | null = null;
    if (skewMs !== null && Number.isFinite(skewMs)) {
      probe.clockSkewMs = Math.round(skewMs);
      skew = decideSkew(probe.skewAlarm, probe.clockSkewMs, skewLimitMs);
      probe.skewAlarm = skew.alarm;
    }

    const enter = decision.enter;
    if (!enter && !skew?.event) {
      track.presence = decision.next;
      track.probe = probe;
      track.dirty = true;
      return;
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    this.deps.recorder.withFact((append) => {
      if (enter) {
        const reason = enter.state === 'online' ? source : `missed ${decision.next.consecutiveFailures} probes`;
        this.store.apply(cameraId, moveTo(this.store.openInterval(cameraId), enter.state, enter.fromMs, reason));
      }
      const e = decision.event;
      if (e?.type === 'camera.offline') {
        append({ type: e.type, severity: 'warning', camera: cameraId, data: { since: iso(e.sinceMs), lastError: probe.lastError, missedProbes: e.missedProbes } });
      } else if (e?.type === 'camera.online') {
        append({ type: e.type, severity: 'info', camera: cameraId, data: { offlineSince: iso(e.offlineSinceMs), downtimeMs: e.downtimeMs } });
      }
      if (skew?.event === 'raise') {
        append({ type: 'clock.skew', severity: 'warning', camera: cameraId, data: { skewMs: probe.clockSkewMs, limitMs: skewLimitMs } });
      } else if (skew?.event === 'clear') {
        append({ type: 'clock.skew_cleared', severity: 'info', camera: cameraId, data: { skewMs: probe.clockSkewMs, limitMs: skewLimitMs } });
      }
      this.store.saveProbe(probe);
      this.store.setHeartbeat(this.nowMs());
    });
    track.presence = decision.next;
    track.probe = probe;
    track.dirty = false;
    if (enter) {
      logger.info({ camera: cameraId, state: enter.state, from: iso(enter.fromMs), event: decision.event?.type ?? null, error: probe.lastError }, 'camera reachability changed');
      this.deps.bus.emit('camera.reachability', { camera: cameraId, online: enter.state === 'online', at: new Date(enter.fromMs) });
    }
    if (skew?.event) logger.warn({ camera: cameraId, skewMs: probe.clockSkewMs, limitMs: skewLimitMs, alarm: skew.alarm }, skew.alarm ? 'camera clock is off' : 'camera clock is back in step');
  }

  /** Probe bookkeeping and the heartbeat, in one transaction per round (not one per camera). */
  private flush(): void {
    const dirty = [...this.tracks.values()].filter((t) => t.dirty);
    this.deps.db.transaction(() => {
      for (const t of dirty) this.store.saveProbe(t.probe);
      this.store.setHeartbeat(this.nowMs());
    })();
    for (const t of dirty) t.dirty = false;
  }

  private nowMs(): number {
    return this.deps.now().getTime();
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ err, what }, 'uptime step failed');
    }
  }
}

function errorCode(err: unknown): string | null {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : null;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
