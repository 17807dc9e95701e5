// Read models of the console's pages, over the agent's database. The capability stores
// answer per camera; a page of 256 cameras must not ask 256 times, so the few queries
// below fetch every camera's facts in one statement each and hand them to the same pure
// policies (uptime availability, retention forecast) the agent itself uses.
import type { AgentConfig, CameraConfig } from '../config/types.js';
import type { Database } from '../../drivers/store/index.js';
import { availability, type Availability, type Interval, type IntervalState } from '../uptime/policy.js';
import { UptimeStore } from '../uptime/store.js';
import { ChangeStore, type ChangeReport } from '../changes/store.js';
import type { ScopedChange } from '../changes/policy.js';
import { InventoryStore } from '../inventory/store.js';
import type { InventoryRecord } from '../inventory/policy.js';
import { HoldStore, holdJson, type HoldJson } from '../retention/holds.js';
import { assessStore, type StatFs } from '../retention/service.js';
import type { Forecast } from '../retention/forecast.js';
import { DAY_MS, type Alarm } from '../retention/policy.js';
import type { Dossier } from '../filing/policy.js';
import { gatherDossier } from '../filing/gather.js';
import { queryAccessRegister, verifyAccessRegister, type AccessEntry } from '../access/register.js';
import type { ChainVerdict } from '../access/chain.js';

export type Verdict = 'ok' | 'degraded' | 'fault';

export interface CameraCard {
  camera: CameraConfig;
  /** null: not known yet (no ledger, or the state is unknown). */
  online: boolean | null;
  sinceMs: number | null;
  verdict: Verdict | null;
  faults: string[];
  clarityAtMs: number | null;
  availability: Availability | null;
  /** Days since the oldest recording on disk; null without recordings. */
  recordingDays: number | null;
}

export interface Overview {
  cards: CameraCard[];
  floorDays: number;
  counts: { cameras: number; online: number; offline: number; faults: number; prohibited: number; short: number };
}

interface ClarityRow {
  camera_id: string;
  verdict: string;
  faults: string;
  metrics: string;
  updated_ms: number;
}

/** Every camera's latest clarity verdict (one query). */
function clarityStates(db: Database): Map<string, { verdict: Verdict; faults: string[]; metrics: Record<string, number>; atMs: number }> {
  const out = new Map<string, { verdict: Verdict; faults: string[]; metrics: Record<string, number>; atMs: number }>();
  for (const r of db.prepare<[], ClarityRow>('SELECT camera_id, verdict, faults, metrics, updated_ms FROM clarity_state').all()) {
    out.set(r.camera_id, {
      verdict: r.verdict as Verdict,
      faults: JSON.parse(r.faults) as string[],
      metrics: JSON.parse(r.metrics) as Record<string, number>,
      atMs: r.updated_ms,
    });
  }
  return out;
}

/** Uptime intervals of the given cameras overlapping [fromMs, toMs), grouped by camera (one query). */
function intervalsOf(db: Database, ids: readonly string[], fromMs: number, toMs: number): Map<string, Interval[]> {
  const rows = db
    .prepare<[string, number, number], { camera_id: string; state: IntervalState; start_ms: number; end_ms: number | null }>(
      `SELECT camera_id, state, start_ms, end_ms FROM uptime_intervals
       WHERE camera_id IN (SELECT value FROM json_each(?)) AND start_ms < ? AND (end_ms IS NULL OR end_ms > ?)
       ORDER BY camera_id, start_ms, id`,
    )
    .all(JSON.stringify(ids), toMs, fromMs);
  const out = new Map<string, Interval[]>();
  for (const r of rows) {
    let list = out.get(r.camera_id);
    if (!list) out.set(r.camera_id, (list = []));
    list.push({ state: r.state, startMs: r.start_ms, endMs: r.end_ms });
  }
  return out;
}

/** Start of each camera's oldest present recording: one statement, an index seek per camera (segments_by_camera_start). */
function oldestRecordings(db: Database, ids: readonly string[]): Map<string, number> {
  const rows = db
    .prepare<[string], { id: string; oldest: number | null }>(
      `SELECT c.value AS id, (SELECT s.start_ms FROM segments s WHERE s.camera_id = c.value AND s.state = 'present' ORDER BY s.start_ms LIMIT 1) AS oldest
       FROM json_each(?) c`,
    )
    .all(JSON.stringify(ids));
  const out = new Map<string, number>();
  for (const r of rows) if (r.oldest !== null) out.set(r.id, r.oldest);
  return out;
}

/**
 * Online or not now, and since when: as UptimeStore.lastDefinite, the run starts at the
 * first interval of the current state after the last one of the other state, so an
 * unknown gap (an agent restart) inside a long outage does not shorten it. Within the
 * loaded window only.
 */
function currentState(intervals: readonly Interval[]): { online: boolean | null; sinceMs: number | null } {
  const open = intervals.find((i) => i.endMs === null);
  if (!open || open.state === 'unknown') return { online: null, sinceMs: open?.startMs ?? null };
  let since = open.startMs;
  for (let i = intervals.length - 1; i >= 0; i -= 1) {
    const iv = intervals[i] as Interval;
    if (iv.state === open.state) since = Math.min(since, iv.startMs);
    else if (iv.state !== 'unknown' && iv.startMs < since) break;
  }
  return { online: open.state === 'online', sinceMs: since };
}

export function overview(db: Database, config: AgentConfig, nowMs: number): Overview {
  const ids = config.cameras.map((c) => c.id);
  const clarity = clarityStates(db);
  const intervals = intervalsOf(db, ids, nowMs - 7 * DAY_MS, nowMs);
  const oldest = oldestRecordings(db, ids);
  const floorDays = config.retention.floorDays;
  const cards: CameraCard[] = config.cameras.map((camera) => {
    const iv = intervals.get(camera.id) ?? [];
    const c = clarity.get(camera.id);
    const state = currentState(iv);
    const o = oldest.get(camera.id);
    return {
      camera,
      online: state.online,
      sinceMs: state.sinceMs,
      verdict: camera.prohibited ? null : (c?.verdict ?? null),
      faults: camera.prohibited ? [] : (c?.faults ?? []),
      clarityAtMs: c?.atMs ?? null,
      availability: iv.length > 0 ? availability(iv, nowMs) : null,
      recordingDays: o === undefined ? null : Math.max(0, Math.round(((nowMs - o) / DAY_MS) * 10) / 10),
    };
  });
  const counts = {
    cameras: cards.length,
    online: cards.filter((c) => c.online === true).length,
    offline: cards.filter((c) => c.online === false).length,
    faults: cards.filter((c) => c.verdict === 'fault' || c.verdict === 'degraded').length,
    prohibited: cards.filter((c) => c.camera.prohibited).length,
    short: cards.filter((c) => c.camera.record && !c.camera.prohibited && (c.recordingDays ?? 0) < floorDays).length,
  };
  return { cards, floorDays, counts };
}

// ---- one camera ----

export interface TrendPoint {
  atMs: number;
  metrics: Record<string, number>;
  faults: Record<string, number>;
  n: number;
}

export interface CameraDetail {
  card: CameraCard;
  metrics: Record<string, number>;
  trend: TrendPoint[];
  intervals: Interval[];
  /** Change reports that concern this camera, newest first, with only its changes. */
  history: { report: ChangeReport; changes: ScopedChange[] }[];
  inventory: { record: InventoryRecord; takenAt: string } | null;
}

export function cameraDetail(db: Database, config: AgentConfig, cameraId: string, nowMs: number): CameraDetail | null {
  const camera = config.cameras.find((c) => c.id === cameraId);
  if (!camera) return null;
  const from = nowMs - 7 * DAY_MS;
  const intervals = new UptimeStore(db).intervals(cameraId, from, nowMs);
  const clarity = clarityStates(db).get(cameraId);
  const oldest = oldestRecordings(db, [cameraId]).get(cameraId);
  const state = currentState(intervals);
  const card: CameraCard = {
    camera,
    online: state.online,
    sinceMs: state.sinceMs,
    verdict: camera.prohibited ? null : (clarity?.verdict ?? null),
    faults: camera.prohibited ? [] : (clarity?.faults ?? []),
    clarityAtMs: clarity?.atMs ?? null,
    availability: intervals.length > 0 ? availability(intervals, nowMs) : null,
    recordingDays: oldest === undefined ? null : Math.max(0, Math.round(((nowMs - oldest) / DAY_MS) * 10) / 10),
  };
  const trend = db
    .prepare<[string, number], { bucket_ms: number; n: number; metrics: string; faults: string }>(
      'SELECT bucket_ms, n, metrics, faults FROM clarity_samples WHERE camera_id = ? AND bucket_ms >= ? ORDER BY bucket_ms',
    )
    .all(cameraId, from)
    .map((r) => ({ atMs: r.bucket_ms, n: r.n, metrics: JSON.parse(r.metrics) as Record<string, number>, faults: JSON.parse(r.faults) as Record<string, number> }));
  const history = new ChangeStore(db)
    .reports()
    .filter((r) => r.cameras.includes(cameraId))
    .reverse()
    .map((report) => ({ report, changes: report.changes.filter((c) => concerns(c, cameraId)) }));
  const snap = new InventoryStore(db).latestSnapshot(cameraId);
  return {
    card,
    metrics: camera.prohibited ? {} : (clarity?.metrics ?? {}),
    trend: camera.prohibited ? [] : trend,
    intervals,
    history,
    inventory: snap ? { record: snap.record, takenAt: snap.takenAt } : null,
  };
}

function concerns(c: ScopedChange, cameraId: string): boolean {
  return c.scope === `camera:${cameraId}` || (c.scope === 'site' && c.path === `cameras.${cameraId}`);
}

// ---- retention ----

export interface RetentionView {
  forecast: Forecast;
  alarms: Alarm[];
  holds: HoldJson[];
  recordingBytes: number;
  usableBytes: number | null;
}

/** The same assessment `cea retention plan` makes (no deletion): reads every present segment, so it is the one heavier page. */
export function retentionView(db: Database, config: AgentConfig, nowMs: number, statfs?: StatFs): RetentionView {
  const { assessment: a, recordingBytes } = assessStore(db, config, { wallMs: nowMs, ...(statfs ? { statfs } : {}) });
  const holds = new HoldStore(db)
    .list()
    .map((h) => holdJson(h, nowMs))
    .sort((x, y) => Number(y.active) - Number(x.active) || y.createdAt.localeCompare(x.createdAt));
  return { forecast: a.forecast, alarms: a.alarms, holds, recordingBytes, usableBytes: a.forecast.usableBytes };
}

// ---- compliance ----

export function changeReports(db: Database): ChangeReport[] {
  return new ChangeStore(db).reports().reverse();
}

/** The filing dossier as `cea dossier` builds it: inventory from the store, document facts (SHA-256) from the disk. */
export async function dossier(db: Database, config: AgentConfig, now: Date): Promise<Dossier> {
  return gatherDossier(config, db, null, now);
}

// ---- access register ----

export interface RegisterFilter {
  camera: string | null;
  requester: string | null;
  verb: string | null;
  fromMs: number | null;
  toMs: number | null;
}

export function registerEntries(db: Database, f: RegisterFilter, limit?: number): AccessEntry[] {
  const rows = queryAccessRegister(db, { fromMs: f.fromMs, toMs: f.toMs, camera: f.camera });
  const requester = f.requester?.toLowerCase() ?? null;
  const verb = f.verb?.toLowerCase() ?? null;
  const matched = rows.filter((e) => (requester === null || e.requester.toLowerCase().includes(requester)) && (verb === null || e.verb.toLowerCase().includes(verb)));
  return limit === undefined ? matched : matched.slice(Math.max(0, matched.length - limit));
}

export function registerVerdict(db: Database): ChainVerdict {
  return verifyAccessRegister(db);
}

export function registerVerbs(db: Database): string[] {
  return db
    .prepare<[], { verb: string }>('SELECT DISTINCT verb FROM access_register ORDER BY verb')
    .all()
    .map((r) => r.verb);
}
