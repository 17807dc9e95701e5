// The retention service: at start it finishes interrupted deletions and reconciles the
// index with the disk; then every `intervalMs` (and as soon as usage crosses
// deleteAbovePercent) it plans and sweeps. Events go out once per transition:
// storage.floor_at_risk, storage.forecast_short, clock.jump. Past the hard watermark with
// only protected recordings left, recording is stopped through the injected port (the
// recorder raises recording.stopped/resumed) rather than protected data deleted.
// The helpers above the class are shared with `cea retention`.
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import type { AgentConfig } from '../config/types.js';
import type { EventRecorder, NewEvent } from '../events/index.js';
import type { Service } from '../lifecycle/service.js';
import { forecastAlarm, forecastCapacity, type Forecast } from './forecast.js';
import {
  floorDaysOf,
  formatDuration,
  planColumns,
  type Alarm,
  type CameraFact,
  type DiskConstraint,
  type HoldFact,
  type PlannedDeletion,
  type RetentionPlan,
  type RetentionPolicy,
  type RowDeletion,
  type SegmentColumns,
  type SegmentFact,
} from './policy.js';
import { missingEvents, reconcile, type ReconcileResult } from './reconcile.js';
import { Sweeper, type SweeperDeps, type SweepResult } from './sweeper.js';

export type RetentionConfig = Pick<AgentConfig, 'site' | 'profile' | 'storage' | 'retention' | 'cameras'>;

/** The forecast warns when fewer than floor + this many days fit. */
export const FORECAST_MARGIN_DAYS = 2;

export function policyOf(config: RetentionConfig): RetentionPolicy {
  return {
    floorDays: config.retention.floorDays,
    profileFloorDays: config.profile.retention.floorDays,
    ceilingDays: config.retention.ceilingDays,
    deleteAbovePercent: config.storage.deleteAbovePercent,
    deleteDownToPercent: config.storage.deleteDownToPercent,
    stopAbovePercent: config.storage.stopAbovePercent,
  };
}

/** Cameras that record (and so may be stopped): record: true and not in a prohibited place. */
export function recordingCameras(config: RetentionConfig): CameraFact[] {
  return config.cameras.filter((c) => c.record && !c.prohibited).map((c) => ({ id: c.id, priority: c.priority ?? 0 }));
}

/**
 * Present segments of the index as columns (what the planner reads: no paths, so a
 * million rows load in about a second). `exclude` drops ids, `extra` adds rows (a dry
 * run's missing and adopted files).
 */
export function loadColumns(db: Database, opts: { exclude?: ReadonlySet<number>; extra?: readonly SegmentFact[] } = {}): SegmentColumns {
  const count = (db.prepare<[], { n: number }>("SELECT count(*) AS n FROM segments WHERE state = 'present'").get()?.n ?? 0) + (opts.extra?.length ?? 0);
  const c: SegmentColumns = {
    length: 0,
    id: new Float64Array(count),
    prevKeptId: new Float64Array(count),
    camera: new Uint32Array(count),
    cameras: [],
    startMs: new Float64Array(count),
    endMs: new Float64Array(count),
    bytes: new Float64Array(count),
    indexedMs: new Float64Array(count),
  };
  const camIndex = new Map<string, number>();
  let prevKept = -1;
  const add = (id: number, camera: string, start: number, end: number, bytes: number, indexed: number) => {
    if (c.length >= count || opts.exclude?.has(id)) return;
    let ci = camIndex.get(camera);
    if (ci === undefined) {
      ci = c.cameras.length;
      camIndex.set(camera, ci);
      c.cameras.push(camera);
    }
    const i = c.length++;
    c.id[i] = id;
    c.prevKeptId[i] = prevKept;
    c.camera[i] = ci;
    c.startMs[i] = start;
    c.endMs[i] = end;
    c.bytes[i] = bytes;
    c.indexedMs[i] = indexed;
  };
  // NOT INDEXED: a plain scan in rowid (= id) order beats the state index plus a sort.
  // Missing and deleting rows are read too: only deleted rows may lie between two kept ones.
  const stmt = db
    .prepare<[], [number, string, number, number, number, number, number]>(
      "SELECT id, camera_id, start_ms, end_ms, bytes, indexed_ms, state = 'present' FROM segments NOT INDEXED WHERE state <> 'deleted' ORDER BY id",
    )
    .raw(true);
  for (const r of stmt.iterate()) {
    if (r[6] === 1) add(r[0], r[1], r[2], r[3], r[4], r[5]);
    prevKept = r[0];
  }
  for (const s of opts.extra ?? []) {
    add(s.id, s.cameraId, s.startMs, s.endMs, s.bytes, s.indexedMs);
    prevKept = s.id;
  }
  return c;
}

/**
 * Path and hash of planned deletions, from the index (one range scan up to the newest
 * deleted end, not a lookup per row) or from `extra` (a dry run's adopted files).
 */
export function segmentDetails(db: Database, extra: readonly SegmentFact[] = []): (c: SegmentColumns, rows: readonly RowDeletion[]) => PlannedDeletion[] {
  const byId = new Map(extra.map((s) => [s.id, { path: s.path, sha256: s.sha256 }]));
  return (c, rows) => {
    if (rows.length === 0) return [];
    const wanted = new Set<number>();
    let maxEnd = -Infinity;
    for (const r of rows) {
      if (byId.has(r.id)) continue;
      wanted.add(r.id);
      maxEnd = Math.max(maxEnd, c.endMs[r.index] as number);
    }
    const found = new Map<number, { path: string; sha256: string | null }>();
    if (wanted.size > 0) {
      const stmt = db
        .prepare<[number], [number, string, string | null]>("SELECT id, path, sha256 FROM segments WHERE state = 'present' AND end_ms <= ?")
        .raw(true);
      for (const [id, path, sha256] of stmt.iterate(maxEnd)) if (wanted.has(id)) found.set(id, { path, sha256 });
    }
    return rows.flatMap((r) => {
      const x = byId.get(r.id) ?? found.get(r.id);
      if (!x) return [];
      const segment: SegmentFact = {
        id: r.id,
        cameraId: c.cameras[c.camera[r.index] as number] as string,
        path: x.path,
        startMs: c.startMs[r.index] as number,
        endMs: c.endMs[r.index] as number,
        bytes: c.bytes[r.index] as number,
        sha256: x.sha256,
        indexedMs: c.indexedMs[r.index] as number,
      };
      return [{ segment, reason: r.reason, effectiveEndMs: r.effectiveEndMs }];
    });
  };
}

/** Ids of the recorder's open segments that are already indexed. */
export function openSegmentIds(db: Database, paths: Iterable<string>): Set<number> {
  const stmt = db.prepare<[string], { id: number }>('SELECT id FROM segments WHERE path = ?');
  const out = new Set<number>();
  for (const p of paths) {
    const row = stmt.get(p);
    if (row) out.add(row.id);
  }
  return out;
}

export function totalBytes(c: SegmentColumns): number {
  let n = 0;
  for (let i = 0; i < c.length; i += 1) n += c.bytes[i] as number;
  return n;
}

/** Holds not released (expiry is judged by the planner). */
export function loadHolds(db: Database): HoldFact[] {
  return db
    .prepare<[], { id: string; camera_id: string; from_ms: number; to_ms: number; kind: 'vital' | 'legal'; until_ms: number | null; released_ms: number | null }>(
      'SELECT id, camera_id, from_ms, to_ms, kind, until_ms, released_ms FROM holds WHERE released_ms IS NULL',
    )
    .all()
    .map((h) => ({ id: h.id, cameraId: h.camera_id, fromMs: h.from_ms, toMs: h.to_ms, kind: h.kind, untilMs: h.until_ms, releasedMs: h.released_ms }));
}

export type StatFs = (path: string) => { blocks: number; bsize: number; bavail: number };

/**
 * The limits on the recordings' space: the quota (storage.maxBytes, used = the indexed
 * recordings) and always the filesystem under storage.root (its nearest existing parent).
 */
export function diskConstraints(config: RetentionConfig, recordingBytes: number, statfs: StatFs = statfsSync): DiskConstraint[] {
  const out: DiskConstraint[] = [];
  if (config.storage.maxBytes !== null) out.push({ name: 'quota', capacityBytes: config.storage.maxBytes, usedBytes: recordingBytes });
  let dir = config.storage.root;
  for (;;) {
    try {
      const st = statfs(dir);
      const total = st.blocks * st.bsize;
      out.push({ name: 'filesystem', capacityBytes: total, usedBytes: total - st.bavail * st.bsize });
      break;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return out;
}

export interface Assessment {
  plan: RetentionPlan;
  forecast: Forecast;
  /** The plan's alarms plus the forecast's. */
  alarms: Alarm[];
  disk: DiskConstraint[];
}

export function assess(input: {
  config: RetentionConfig;
  segments: SegmentColumns;
  /** Path and hash of the rows to delete (segmentDetails). */
  details: (c: SegmentColumns, rows: readonly RowDeletion[]) => PlannedDeletion[];
  holds: readonly HoldFact[];
  disk: DiskConstraint[];
  wallMs: number;
  stoppedCameras?: readonly string[];
  openIds?: ReadonlySet<number>;
}): Assessment {
  const policy = policyOf(input.config);
  const core = planColumns({
    segments: input.segments,
    holds: input.holds,
    policy,
    disk: input.disk,
    wallMs: input.wallMs,
    cameras: recordingCameras(input.config),
    ...(input.stoppedCameras ? { stoppedCameras: input.stoppedCameras } : {}),
    ...(input.openIds ? { openIds: input.openIds } : {}),
  });
  const plan: RetentionPlan = { ...core, deletions: input.details(input.segments, core.deletions) };
  const forecast = forecastCapacity({
    segments: input.segments,
    disk: input.disk,
    deleteAbovePercent: policy.deleteAbovePercent,
    floorDays: floorDaysOf(policy),
    marginDays: FORECAST_MARGIN_DAYS,
    protectedBytes: plan.keptBytes.floor + plan.keptBytes.hold,
    heldBytes: plan.keptBytes.hold,
    nowMs: plan.referenceMs,
  });
  const fa = forecastAlarm(forecast);
  return { plan, forecast, alarms: fa ? [...plan.alarms, fa] : [...plan.alarms], disk: input.disk };
}

/**
 * `assess` over the store as it stands: its present segments (less `exclude`, plus `extra`:
 * the index as a dry-run reconcile would leave it), their details, the holds, the disk
 * constraints for the bytes recorded. The agent's sweep, `cea retention` and the console.
 */
export function assessStore(
  db: Database,
  config: RetentionConfig,
  opts: { wallMs: number; statfs?: StatFs; exclude?: ReadonlySet<number>; extra?: readonly SegmentFact[]; stoppedCameras?: readonly string[]; openIds?: ReadonlySet<number> },
): { assessment: Assessment; recordingBytes: number } {
  const segments = loadColumns(db, { ...(opts.exclude ? { exclude: opts.exclude } : {}), ...(opts.extra ? { extra: opts.extra } : {}) });
  const recordingBytes = totalBytes(segments);
  const assessment = assess({
    config,
    segments,
    details: segmentDetails(db, opts.extra),
    holds: loadHolds(db),
    disk: diskConstraints(config, recordingBytes, opts.statfs),
    wallMs: opts.wallMs,
    ...(opts.stoppedCameras ? { stoppedCameras: opts.stoppedCameras } : {}),
    ...(opts.openIds ? { openIds: opts.openIds } : {}),
  });
  return { assessment, recordingBytes };
}

/** The `cea retention --json` document (DESIGN.md), with a few extra fields. */
export function assessmentJson(
  a: Assessment,
  opts: { deleted?: { path: string; cameraId: string; startMs: number; endMs: number; bytes: number; reason: string; sha256?: string | null }[]; extra?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const rows = opts.deleted ?? a.plan.deletions.map((d) => ({ ...d.segment, reason: d.reason }));
  return {
    delete: rows.map((s) => ({
      path: s.path,
      camera: s.cameraId,
      start: iso(s.startMs),
      end: iso(s.endMs),
      bytes: s.bytes,
      reason: s.reason,
      ...(s.sha256 !== undefined ? { sha256: s.sha256 } : {}),
    })),
    kept: a.plan.kept,
    alarms: a.alarms.map((x) => ({ type: x.type, severity: x.severity, detail: x.detail })),
    forecast: {
      daysRetainable: a.forecast.daysRetainable,
      floorDays: a.forecast.floorDays,
      ok: a.forecast.ok,
      marginDays: a.forecast.marginDays,
      bytesPerDay: a.forecast.bytesPerDay,
      usableBytes: a.forecast.usableBytes,
      daysUntilAtRisk: a.forecast.daysUntilAtRisk,
      cameras: a.forecast.cameras,
    },
    decisionNow: iso(a.plan.decisionNowMs),
    pressure: a.plan.pressure,
    recording: a.plan.recording,
    disk: a.disk,
    ...opts.extra,
  };
}

/** Reconcile findings as alarms (the plan's JSON and exit code show them). */
export function reconcileAlarms(r: ReconcileResult): Alarm[] {
  const out: Alarm[] = [];
  if (r.problem) out.push({ type: 'recording.missing', severity: 'critical', detail: r.problem, ...(r.problemCode ?? {}) });
  for (const e of missingEvents(r.missing)) {
    out.push({
      type: 'recording.missing',
      severity: 'critical',
      detail: `${e.data.count as number} indexed segment(s) of ${e.camera} are not on disk (${String(e.data.from)} – ${String(e.data.to)})`,
      data: e.data,
      code: 'missing.segments',
      params: { count: e.data.count, camera: e.camera, from: e.data.from, to: e.data.to },
    });
  }
  return out;
}

export interface RetentionServiceDeps {
  db: Database;
  recorder: EventRecorder;
  logger: Logger;
  now: () => Date;
  config: RetentionConfig;
  /** Stop recording these cameras (disk full of protected recordings); the recorder raises recording.stopped. */
  stopRecording: (cameraIds: string[], reason: string) => void | Promise<void>;
  resumeRecording: (cameraIds: string[]) => void | Promise<void>;
  /** The recorder's open segments (relative paths): never adopted, never deleted. */
  openSegments?: () => Iterable<string>;
  statfs?: StatFs;
  /** Plan + sweep period; default 5 min. */
  intervalMs?: number;
  /** Cheap usage check period (triggers a sweep above deleteAbovePercent); default 60 s. */
  spaceCheckMs?: number;
  /** Full disk scan period; default one day (and always at start). */
  reconcileEveryMs?: number;
  /** Monotonic clock (ms) to see the wall clock jump while running; default performance.now. */
  monotonicMs?: () => number;
  /** A wall clock step larger than this against the monotonic clock is a jump; default 5 min. */
  jumpThresholdMs?: number;
  sweeper?: Pick<SweeperDeps, 'batchSize' | 'failures' | 'hashFile'>;
}

export interface RetentionRun {
  assessment: Assessment;
  swept: SweepResult | null;
  reconciled: ReconcileResult | null;
}

interface PersistedState {
  /** Alarm keys raised and not yet cleared (type or type:direction). */
  active: string[];
  /** Cameras retention stopped. */
  stopped: string[];
}

const STATE_KEY = 'retention.state';
/** The reason given to stopRecording (and so in the recorder's recording.stopped). */
export const STOP_REASON = 'storage_floor_at_risk';

export class RetentionService implements Service {
  readonly name = 'retention';
  private readonly sweeper: Sweeper;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<RetentionRun | null> = Promise.resolve(null);
  private busy = false;
  private lastReconcileMs = -Infinity;
  private lastTick: { wallMs: number; monoMs: number } | null = null;
  private readonly loggedIgnored = new Set<string>();
  private last: RetentionRun | null = null;
  private readonly abort = new AbortController();

  constructor(private readonly deps: RetentionServiceDeps) {
    this.sweeper = new Sweeper({ db: deps.db, root: deps.config.storage.root, now: deps.now, logger: deps.logger, ...deps.sweeper });
  }

  /**
   * Finishes deletions a crash interrupted and re-stops the cameras retention had stopped,
   * then returns: the first reconcile + plan + sweep (a disk walk) runs in the background
   * so the agent starts at once; `runOnce()` waits for it.
   */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.abort.abort(), { once: true });
    this.sweeper.recover();
    const state = this.state();
    if (state.stopped.length > 0) {
      // Stopped before a restart: keep them stopped until a plan says there is room again.
      await this.deps.stopRecording(state.stopped, STOP_REASON);
    }
    void this.runOnce();
    this.timers.push(setInterval(() => void this.runOnce(), this.deps.intervalMs ?? 300_000));
    this.timers.push(setInterval(() => this.checkSpace(), this.deps.spaceCheckMs ?? 60_000));
    for (const t of this.timers) t.unref?.();
  }

  /** Stops the timers and interrupts a sweep between batches (a reconcile between directories). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.abort.abort();
    await this.running.catch(() => null);
  }

  /** Per camera: recording state, oldest segment and days on disk (camera status, diagnose). */
  status(): { cameras: Record<string, { state: 'recording' | 'stopped' | 'off'; oldest: string | null; days: number }>; forecast: Forecast | null; alarms: Alarm[] } {
    const stopped = new Set(this.state().stopped);
    const recording = new Set(recordingCameras(this.deps.config).map((c) => c.id));
    const facts = this.last?.assessment.forecast.cameras ?? {};
    const cameras: Record<string, { state: 'recording' | 'stopped' | 'off'; oldest: string | null; days: number }> = {};
    for (const c of this.deps.config.cameras) {
      cameras[c.id] = {
        state: stopped.has(c.id) ? 'stopped' : recording.has(c.id) ? 'recording' : 'off',
        oldest: facts[c.id]?.oldest ?? null,
        days: facts[c.id]?.days ?? 0,
      };
    }
    return { cameras, forecast: this.last?.assessment.forecast ?? null, alarms: this.last?.assessment.alarms ?? [] };
  }

  /**
   * One camera's part of `status()`, for callers asking camera by camera (the status topic
   * at 256 cameras): `status()` builds every camera's entry, so asking it per camera was
   * quadratic in the fleet.
   */
  cameraStatus(cameraId: string): { state: 'recording' | 'stopped' | 'off'; oldest: string | null; days: number } | null {
    const camera = this.deps.config.cameras.find((c) => c.id === cameraId);
    if (!camera) return null;
    const fact = this.last?.assessment.forecast.cameras[cameraId];
    const state = this.state().stopped.includes(cameraId) ? 'stopped' : camera.record && !camera.prohibited ? 'recording' : 'off';
    return { state, oldest: fact?.oldest ?? null, days: fact?.days ?? 0 };
  }

  /** One plan + sweep; concurrent calls share the run in progress. */
  runOnce(): Promise<RetentionRun | null> {
    if (this.busy || this.abort.signal.aborted) return this.running;
    this.busy = true;
    this.running = this.run()
      .catch((err: unknown) => {
        this.deps.logger.error({ err }, 'retention run failed');
        return null;
      })
      .finally(() => {
        this.busy = false;
      });
    return this.running;
  }

  private async run(): Promise<RetentionRun> {
    const { db, config, logger } = this.deps;
    const wallMs = this.deps.now().getTime();
    this.watchClock(wallMs);
    this.sweeper.recover();

    let reconciled: ReconcileResult | null = null;
    if (wallMs - this.lastReconcileMs >= (this.deps.reconcileEveryMs ?? 86_400_000) || wallMs < this.lastReconcileMs) {
      const open = new Set(this.deps.openSegments?.() ?? []);
      reconciled = await reconcile({
        db,
        root: config.storage.root,
        timeZone: config.site.timezone,
        nowMs: wallMs,
        isOpen: (p) => open.has(p),
        recorder: this.deps.recorder,
        logger,
        signal: this.abort.signal,
      });
      // A walk that could not be trusted (root away, interrupted) is tried again next run.
      if (reconciled.problem) logger.error(reconciled.problem);
      else this.lastReconcileMs = wallMs;
      const fresh = reconciled.ignored.filter((p) => !this.loggedIgnored.has(p));
      for (const p of fresh) this.loggedIgnored.add(p);
      if (fresh.length > 0) logger.warn({ count: fresh.length, first: fresh.slice(0, 10) }, 'files in the storage root that are not in the recording layout are left alone');
    }

    const state = this.state();
    const { assessment } = assessStore(db, config, {
      wallMs,
      ...(this.deps.statfs ? { statfs: this.deps.statfs } : {}),
      stoppedCameras: state.stopped,
      openIds: openSegmentIds(db, this.deps.openSegments?.() ?? []),
    });
    const { plan } = assessment;

    let swept: SweepResult | null = null;
    if (plan.deletions.length > 0) {
      swept = await this.sweeper.sweep(plan.deletions, { holdNowMs: plan.holdNowMs, signal: this.abort.signal });
      const byReason = countBy(swept.deleted.map((d) => d.reason));
      logger.info({ deleted: swept.deleted.length, freedBytes: swept.freedBytes, byReason, skipped: swept.skipped.length }, 'retention sweep');
      if (swept.missing.length > 0) {
        // Files gone behind our back: the next run reconciles (and reports them) first.
        logger.warn({ missing: swept.missing.length, first: swept.missing[0]?.path }, 'segments to delete were already gone; reconciling next run');
        this.lastReconcileMs = -Infinity;
      }
    }

    await this.applyRecording(plan, state);
    this.raiseTransitions(assessment.alarms);
    const run = { assessment, swept, reconciled };
    this.last = run;
    return run;
  }

  /** A usage check between runs: above deleteAbovePercent, sweep now rather than at the next period. */
  private checkSpace(): void {
    if (this.busy) return;
    try {
      const row = this.deps.db.prepare<[], { b: number | null }>("SELECT sum(bytes) AS b FROM segments WHERE state = 'present'").get();
      const disk = diskConstraints(this.deps.config, row?.b ?? 0, this.deps.statfs);
      const above = disk.some((d) => d.capacityBytes > 0 && (d.usedBytes / d.capacityBytes) * 100 > this.deps.config.storage.deleteAbovePercent);
      // Above the mark with no alarm: sweep now. Back below it with the alarm still up: run
      // now too, so the alarm clears and stopped recording resumes without waiting a period.
      if (above !== this.state().active.includes('storage.floor_at_risk')) void this.runOnce();
    } catch (err) {
      this.deps.logger.error({ err }, 'storage usage check failed');
    }
  }

  /** The wall clock against the monotonic clock since the last run: a step is a jump. */
  private watchClock(wallMs: number): void {
    const monoMs = (this.deps.monotonicMs ?? (() => performance.now()))();
    const prev = this.lastTick;
    this.lastTick = { wallMs, monoMs };
    if (!prev) return;
    const step = wallMs - prev.wallMs - (monoMs - prev.monoMs);
    if (Math.abs(step) <= (this.deps.jumpThresholdMs ?? 300_000)) return;
    const direction = step > 0 ? 'forward' : 'back';
    this.deps.logger.error({ stepMs: step }, `the box clock jumped ${direction} by ${formatDuration(Math.abs(step))}`);
    this.deps.recorder.record({
      type: 'clock.jump',
      severity: 'critical',
      data: { direction, stepMs: step, from: new Date(prev.wallMs).toISOString(), to: new Date(wallMs).toISOString(), detail: 'retention measures ages on the recordings, not the wall clock' },
    });
  }

  /**
   * Stops / resumes through the recorder's port, which raises recording.stopped (with the
   * reason) and recording.resumed itself. The stopped set is kept in the database so a
   * restart keeps those cameras stopped until there is room.
   */
  private async applyRecording(plan: RetentionPlan, state: PersistedState): Promise<void> {
    const { stop, resume } = plan.recording;
    if (stop.length > 0) {
      this.saveState({ ...this.state(), stopped: [...new Set([...state.stopped, ...stop])].sort() });
      this.deps.logger.error({ cameras: stop, usageAfterPercent: plan.pressure.usageAfterPercent }, 'recording stopped: the disk is full of protected recordings');
      await this.deps.stopRecording(stop, STOP_REASON);
    }
    if (resume.length > 0) {
      this.saveState({ ...this.state(), stopped: this.state().stopped.filter((c) => !resume.includes(c)) });
      this.deps.logger.info({ cameras: resume }, 'recording resumed: there is room again');
      await this.deps.resumeRecording(resume);
    }
  }

  /** Alarms become events when they start, and (floor, forecast) when they end. */
  private raiseTransitions(alarms: Alarm[]): void {
    const key = (a: Alarm) => (a.type === 'clock.jump' ? `clock.jump:${String(a.data?.direction ?? '')}` : a.type);
    const tracked = alarms.filter((a) => a.type === 'storage.floor_at_risk' || a.type === 'storage.forecast_short' || a.type === 'clock.jump');
    const now = new Set(tracked.map(key));
    const before = new Set(this.state().active);
    const started = tracked.filter((a) => !before.has(key(a)));
    const ended = [...before].filter((k) => !now.has(k));
    if (started.length === 0 && ended.length === 0) return;
    this.deps.recorder.withFact((append) => {
      this.saveState({ ...this.state(), active: [...now].sort() });
      const seen = new Set<string>();
      for (const a of started) {
        if (seen.has(key(a))) continue;
        seen.add(key(a));
        append(alarmEvent(a));
      }
      for (const k of ended) {
        if (k === 'storage.floor_at_risk' || k === 'storage.forecast_short') {
          append({ type: k, severity: 'info', data: { active: false, detail: k === 'storage.floor_at_risk' ? 'unprotected space is available again' : 'the forecast holds the floor again' } });
        }
      }
    });
  }

  private state(): PersistedState {
    const row = this.deps.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(STATE_KEY);
    if (!row) return { active: [], stopped: [] };
    try {
      const v = JSON.parse(row.value) as Partial<PersistedState>;
      return { active: v.active ?? [], stopped: v.stopped ?? [] };
    } catch {
      return { active: [], stopped: [] };
    }
  }

  private saveState(s: PersistedState): void {
    this.deps.db
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(STATE_KEY, JSON.stringify(s));
  }
}

function alarmEvent(a: Alarm): NewEvent {
  return { type: a.type, severity: a.severity, data: { active: true, detail: a.detail, ...a.data } };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export type { PlannedDeletion };
