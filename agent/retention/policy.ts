// Retention decisions (Liaoning Art. 14 (vii), 15 (iii)). Pure: no I/O, no clock; the
// caller passes the index, the holds, the disk and the wall clock. What it guarantees:
//   - a segment whose end is within the floor, overlapping an active hold, or being
//     written is never deleted, whatever the ceiling, the disk or the clock says;
//   - past_ceiling deletes unprotected segments older than the ceiling;
//   - disk_pressure deletes the oldest unprotected segments (all cameras together) and
//     stops as soon as enough bytes are freed;
//   - with only protected segments left it raises storage.floor_at_risk and, past the
//     hard watermark, asks to stop the lowest-priority cameras instead of deleting.
//
// Time. The box clock can be set back or forward (no RTC battery, NTP stepping, a
// technician). Ages are therefore not measured with the wall clock but on the timeline of
// the recordings themselves, in index order (segment ids grow as the recorder closes
// segments):
//   - a segment is never older than one indexed before it (a clock set back makes new
//     segments look old; they take the end of the newest segment indexed before them);
//   - a forward step bigger than a step limit (15 min, or twice the usual segment length
//     if that is longer) between consecutive segments — a clock set forward, or the whole
//     site not recording for a while — counts as no time at all; unless only deleted rows
//     lie between the two (retention judged them past the floor, and what was indexed
//     before them is older still), so holding an old segment does not stall the clock;
//   - "now" is the end of the newest segment on that timeline, not the wall clock;
//   - the floor is widened by one step limit, for a jump small enough to pass as time.
// Every correction errs towards keeping: a real outage costs extra retention equal to its
// length, never a deletion inside the floor. The wall clock only serves when nothing is
// indexed live, and for alarms (clock.jump) when it disagrees with the recordings.
//
// The core works on columns (typed arrays): a 1 000 000-segment index plans in well
// under a second. `planRetention` is the same on plain objects.

export const DAY_MS = 86_400_000;

/** One indexed segment. Times are ms since the epoch (box clock). */
export interface SegmentFact {
  id: number;
  cameraId: string;
  /** Relative to storage.root. */
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
  sha256: string | null;
  /** Box clock when the row was indexed: close to endMs for segments the recorder indexed live. */
  indexedMs: number;
}

/** The index as columns: row i is (id[i], cameras[camera[i]], startMs[i], …). */
export interface SegmentColumns {
  length: number;
  id: Float64Array;
  /**
   * Id of the row before this one in id order among rows NOT deleted (present, missing,
   * deleting), or -1. Ids between it and this row belong to deleted rows only: time the
   * timeline may count (see buildTimeline).
   */
  prevKeptId: Float64Array;
  camera: Uint32Array;
  cameras: string[];
  startMs: Float64Array;
  endMs: Float64Array;
  bytes: Float64Array;
  indexedMs: Float64Array;
}

export interface HoldFact {
  id: string;
  cameraId: string;
  fromMs: number;
  toMs: number;
  kind: 'vital' | 'legal';
  /** vital: created + vitalHoldDays; legal: null (until released). */
  untilMs: number | null;
  releasedMs: number | null;
}

/** A limit on the space recordings use: the quota (storage.maxBytes) or the filesystem. */
export interface DiskConstraint {
  name: 'quota' | 'filesystem';
  capacityBytes: number;
  usedBytes: number;
}

export interface RetentionPolicy {
  floorDays: number;
  /** The jurisdiction profile's floor: the policy keeps the larger (defence in depth). */
  profileFloorDays: number;
  ceilingDays: number;
  deleteAbovePercent: number;
  deleteDownToPercent: number;
  stopAbovePercent: number;
}

export interface CameraFact {
  id: string;
  /** Lower stops first. */
  priority: number;
}

interface CommonInput {
  holds: readonly HoldFact[];
  policy: RetentionPolicy;
  disk: readonly DiskConstraint[];
  /** The box's wall clock. */
  wallMs: number;
  /** Cameras that may record (configured, record: true, not prohibited). */
  cameras?: readonly CameraFact[];
  /** Cameras retention has already stopped (the service's state). */
  stoppedCameras?: readonly string[];
  tuning?: Partial<TimeTuning>;
}

export interface PlanInput extends CommonInput {
  /** Present segments, in any order. */
  segments: readonly SegmentFact[];
  /** Paths being written right now (the recorder's open segments): never deleted. */
  openPaths?: ReadonlySet<string>;
}

export interface ColumnarPlanInput extends CommonInput {
  segments: SegmentColumns;
  /** Ids of segments being written right now: never deleted. */
  openIds?: ReadonlySet<number>;
}

export interface TimeTuning {
  /** |indexedMs - endMs| at most this: the segment was indexed live and its times are on the box's timeline. */
  liveSlackMs: number;
  /** The least forward step limit (see the header); the usual segment length doubled may raise it. */
  maxStepMs: number;
  /** A backward step larger than this is reported as the clock set back (smaller ones are reordering). */
  backStepAlarmMs: number;
  /** The wall clock this far from the newest recording raises clock.jump. */
  wallAlarmMs: number;
}

export const DEFAULT_TUNING: TimeTuning = {
  liveSlackMs: 15 * 60_000,
  maxStepMs: 15 * 60_000,
  backStepAlarmMs: 10 * 60_000,
  wallAlarmMs: 6 * 3_600_000,
};

export type DeletionReason = 'past_ceiling' | 'disk_pressure';

export interface PlannedDeletion {
  segment: SegmentFact;
  reason: DeletionReason;
  /** The segment's end on the recordings' timeline (what its age is measured from). */
  effectiveEndMs: number;
}

/** A deletion of the columnar core: row `index` of the input columns. */
export interface RowDeletion {
  index: number;
  id: number;
  reason: DeletionReason;
  effectiveEndMs: number;
}

export type AlarmType = 'storage.floor_at_risk' | 'storage.forecast_short' | 'clock.jump' | 'recording.missing';

export interface Alarm {
  type: AlarmType;
  severity: 'info' | 'warning' | 'critical';
  /** English, as events and JSON carry it. */
  detail: string;
  data?: Record<string, unknown>;
  /** The detail's stable code and values, so a reader renders it in its language (agent/i18n/retention.ts). */
  code?: string;
  params?: Record<string, unknown>;
}

export interface PlanOutcome<D> {
  /** "Now" on the recordings' timeline: ages are measured from it. */
  decisionNowMs: number;
  /** The newest live recording's end as the box clock wrote it (the wall clock when none): the frame of file times. */
  referenceMs: number;
  /** What hold expiry is judged against: the earlier of the wall clock and the newest recording. */
  holdNowMs: number;
  floorMs: number;
  ceilingMs: number;
  /** Extra protection beyond the floor: one forward step that could pass as time. */
  guardMs: number;
  /** Oldest first (effective end, then id). */
  deletions: D[];
  kept: { floor: number; hold: number; other: number };
  keptBytes: { floor: number; hold: number; other: number };
  alarms: Alarm[];
  pressure: {
    /** Bytes disk pressure asked to free (after the ceiling's deletions). */
    needBytes: number;
    freedBytes: number;
    /** needBytes not freeable without touching protected segments. */
    shortBytes: number;
    /** Per constraint, usage after the planned deletions, in %. */
    usageAfterPercent: Record<string, number>;
  };
  recording: { stop: string[]; resume: string[] };
}

export type ColumnarPlan = PlanOutcome<RowDeletion>;
export type RetentionPlan = PlanOutcome<PlannedDeletion>;

/** A hold protects while not released and not expired (legal: no expiry). */
export function holdActive(h: HoldFact, nowMs: number): boolean {
  return h.releasedMs === null && (h.untilMs === null || h.untilMs > nowMs);
}

export function floorDaysOf(policy: RetentionPolicy): number {
  return Math.max(policy.floorDays, policy.profileFloorDays);
}

/** Columns of plain objects. Ids missing between two given segments are taken as deleted rows. */
export function columnsOf(segments: readonly SegmentFact[]): SegmentColumns {
  const n = segments.length;
  const cols: SegmentColumns = {
    length: n,
    id: new Float64Array(n),
    prevKeptId: new Float64Array(n),
    camera: new Uint32Array(n),
    cameras: [],
    startMs: new Float64Array(n),
    endMs: new Float64Array(n),
    bytes: new Float64Array(n),
    indexedMs: new Float64Array(n),
  };
  const camIndex = new Map<string, number>();
  segments.forEach((s, i) => {
    let c = camIndex.get(s.cameraId);
    if (c === undefined) {
      c = cols.cameras.length;
      camIndex.set(s.cameraId, c);
      cols.cameras.push(s.cameraId);
    }
    cols.id[i] = s.id;
    cols.camera[i] = c;
    cols.startMs[i] = s.startMs;
    cols.endMs[i] = s.endMs;
    cols.bytes[i] = s.bytes;
    cols.indexedMs[i] = s.indexedMs;
  });
  const byId = [...segments.keys()].sort((a, b) => (segments[a] as SegmentFact).id - (segments[b] as SegmentFact).id);
  byId.forEach((i, k) => {
    cols.prevKeptId[i] = k === 0 ? -1 : (segments[byId[k - 1] as number] as SegmentFact).id;
  });
  return cols;
}

/** The planner on plain objects (tests, small indexes). */
export function planRetention(input: PlanInput): RetentionPlan {
  const cols = columnsOf(input.segments);
  const openIds = new Set<number>();
  if (input.openPaths) for (const s of input.segments) if (input.openPaths.has(s.path)) openIds.add(s.id);
  const plan = planColumns({ ...input, segments: cols, openIds });
  return {
    ...plan,
    deletions: plan.deletions.map((d) => ({ segment: input.segments[d.index] as SegmentFact, reason: d.reason, effectiveEndMs: d.effectiveEndMs })),
  };
}

export interface Timeline {
  effectiveEnd: Float64Array;
  /** Row indices of live segments in id order (their effective ends never decrease). */
  liveOrder: Uint32Array;
  /** Row indices of the other (adopted) segments, by effective end then id. */
  adoptedOrder: Uint32Array;
  decisionNowMs: number | null;
  /** Raw end of the newest live segment (the box clock frame of now). */
  rawNowMs: number | null;
  stepLimitMs: number;
  backSteps: { atIndex: number; stepMs: number }[];
}

/**
 * Places every live-indexed segment on a monotone timeline (see the header). Segments
 * indexed long after they ended (adopted files) keep their own end, moved into the
 * current frame.
 */
export function buildTimeline(c: SegmentColumns, t: TimeTuning): Timeline {
  const n = c.length;
  const liveIdx: number[] = [];
  const adoptedIdx: number[] = [];
  for (let i = 0; i < n; i += 1) {
    if (Math.abs((c.indexedMs[i] as number) - (c.endMs[i] as number)) <= t.liveSlackMs) liveIdx.push(i);
    else adoptedIdx.push(i);
  }
  const liveOrder = Uint32Array.from(liveIdx);
  let sorted = true;
  for (let k = 1; k < liveOrder.length && sorted; k += 1) sorted = (c.id[liveOrder[k - 1] as number] as number) < (c.id[liveOrder[k] as number] as number);
  if (!sorted) liveOrder.sort((a, b) => (c.id[a] as number) - (c.id[b] as number));

  // The usual segment length (median of a sample) sets how big a forward step is normal.
  const sample: number[] = [];
  const stride = Math.max(1, Math.floor(liveOrder.length / 1001));
  for (let k = 0; k < liveOrder.length; k += stride) {
    const i = liveOrder[k] as number;
    sample.push((c.endMs[i] as number) - (c.startMs[i] as number));
  }
  sample.sort((a, b) => a - b);
  const usual = sample.length > 0 ? (sample[Math.floor(sample.length / 2)] as number) : 0;
  const stepLimitMs = Math.max(t.maxStepMs, 2 * usual);

  const effectiveEnd = new Float64Array(n);
  let shift = 0;
  let max = -Infinity;
  let rawNow: number | null = null;
  const backSteps: Timeline['backSteps'] = [];
  for (let k = 0; k < liveOrder.length; k += 1) {
    const i = liveOrder[k] as number;
    const raw = Math.max(c.endMs[i] as number, c.startMs[i] as number);
    let e = raw + shift;
    if (max !== -Infinity) {
      const prev = liveOrder[k - 1] as number;
      const acrossDeleted = (c.prevKeptId[i] as number) === (c.id[prev] as number) && (c.id[i] as number) - (c.id[prev] as number) > 1;
      if (e > max + stepLimitMs && !acrossDeleted) {
        // Clock set forward, or nothing recorded for a while: count no time.
        shift -= e - max;
        e = max;
      } else if (e < max - t.backStepAlarmMs) {
        // Clock set back: later recordings carry earlier times. Keep them in the current frame.
        backSteps.push({ atIndex: i, stepMs: max - e });
        shift += max - e;
        e = max;
      } else if (e < max) {
        e = max; // never older than a segment indexed before it
      }
    }
    max = e;
    rawNow = raw;
    effectiveEnd[i] = e;
  }
  for (const i of adoptedIdx) effectiveEnd[i] = Math.max(c.endMs[i] as number, c.startMs[i] as number) + shift;
  const adoptedOrder = Uint32Array.from(adoptedIdx).sort((a, b) => (effectiveEnd[a] as number) - (effectiveEnd[b] as number) || (c.id[a] as number) - (c.id[b] as number));
  return { effectiveEnd, liveOrder, adoptedOrder, decisionNowMs: liveOrder.length > 0 ? max : null, rawNowMs: rawNow, stepLimitMs, backSteps };
}

const PROTECT_NONE = 0;
const PROTECT_FLOOR = 1;
const PROTECT_HOLD = 2;

export function planColumns(input: ColumnarPlanInput): ColumnarPlan {
  const tuning = { ...DEFAULT_TUNING, ...input.tuning };
  const { policy, segments: c } = input;
  const n = c.length;
  const floorMs = floorDaysOf(policy) * DAY_MS;
  // A ceiling below the floor cannot shorten it (config refuses it too).
  const ceilingMs = Math.max(policy.ceilingDays * DAY_MS, floorMs);
  const alarms: Alarm[] = [];

  const tl = buildTimeline(c, tuning);
  const decisionNowMs = tl.decisionNowMs ?? input.wallMs;
  const rawNow = tl.rawNowMs ?? input.wallMs;
  const holdNowMs = Math.min(input.wallMs, rawNow);
  clockAlarms(tl, c, input.wallMs, tuning, alarms);
  const guardMs = tl.decisionNowMs === null ? 0 : tl.stepLimitMs;

  // Active holds per camera column index.
  const holdsByCamera = new Map<number, HoldFact[]>();
  const camIndex = new Map(c.cameras.map((id, i) => [id, i]));
  for (const h of input.holds) {
    const ci = camIndex.get(h.cameraId);
    if (ci === undefined || !holdActive(h, holdNowMs)) continue;
    let list = holdsByCamera.get(ci);
    if (!list) holdsByCamera.set(ci, (list = []));
    list.push(h);
  }

  // Deletable only when strictly older than the floor ("more than 15 days", Liaoning Art. 14 (vii)), plus the guard.
  const floorCut = decisionNowMs - floorMs - guardMs;
  const ceilingCut = decisionNowMs - ceilingMs;
  const kept = { floor: 0, hold: 0, other: 0 };
  const keptBytes = { floor: 0, hold: 0, other: 0 };
  const verdict = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    const eff = tl.effectiveEnd[i] as number;
    const raw = Math.max(c.endMs[i] as number, c.startMs[i] as number);
    let v = PROTECT_NONE;
    if (input.openIds?.has(c.id[i] as number) || eff >= floorCut || raw >= floorCut) v = PROTECT_FLOOR;
    else {
      const holds = holdsByCamera.get(c.camera[i] as number);
      if (holds) {
        const start = c.startMs[i] as number;
        const shift = eff - raw;
        for (const h of holds) {
          // Raw times (what the operator saw) and timeline times (after a clock set back) both count.
          if ((start < h.toMs && raw > h.fromMs) || (shift !== 0 && start + shift < h.toMs && eff > h.fromMs)) {
            v = PROTECT_HOLD;
            break;
          }
        }
      }
    }
    verdict[i] = v;
    if (v === PROTECT_FLOOR) {
      kept.floor += 1;
      keptBytes.floor += c.bytes[i] as number;
    } else if (v === PROTECT_HOLD) {
      kept.hold += 1;
      keptBytes.hold += c.bytes[i] as number;
    }
  }

  // Unprotected rows, oldest first: live rows are already in timeline order; merge the adopted ones in.
  const order = mergeOldestFirst(tl, c, verdict);
  const deletions: RowDeletion[] = [];
  let ceilingFreed = 0;
  let k = 0;
  for (; k < order.length; k += 1) {
    const i = order[k] as number;
    if ((tl.effectiveEnd[i] as number) >= ceilingCut) break;
    deletions.push({ index: i, id: c.id[i] as number, reason: 'past_ceiling', effectiveEndMs: tl.effectiveEnd[i] as number });
    ceilingFreed += c.bytes[i] as number;
  }

  let needBytes = 0;
  for (const d of input.disk) {
    if (d.capacityBytes <= 0) continue;
    if (d.usedBytes - ceilingFreed > (d.capacityBytes * policy.deleteAbovePercent) / 100) {
      needBytes = Math.max(needBytes, d.usedBytes - ceilingFreed - (d.capacityBytes * policy.deleteDownToPercent) / 100);
    }
  }
  let freed = 0;
  for (; k < order.length && freed < needBytes; k += 1) {
    const i = order[k] as number;
    deletions.push({ index: i, id: c.id[i] as number, reason: 'disk_pressure', effectiveEndMs: tl.effectiveEnd[i] as number });
    freed += c.bytes[i] as number;
  }
  for (; k < order.length; k += 1) {
    kept.other += 1;
    keptBytes.other += c.bytes[order[k] as number] as number;
  }
  const shortBytes = Math.max(0, needBytes - freed);
  const totalFreed = ceilingFreed + freed;

  const usageAfterPercent: Record<string, number> = {};
  let overStop = false;
  let overDelete = false;
  for (const d of input.disk) {
    if (d.capacityBytes <= 0) continue;
    const pct = ((d.usedBytes - totalFreed) / d.capacityBytes) * 100;
    usageAfterPercent[d.name] = Math.round(pct * 100) / 100;
    if (pct > policy.stopAbovePercent) overStop = true;
    if (pct > policy.deleteAbovePercent) overDelete = true;
  }

  const recording = recordingDecision(input, overStop, overDelete);
  if (shortBytes > 0 || overStop) {
    const stopping = recording.stop.length > 0 ? `; recording stops for ${recording.stop.join(', ')}` : '';
    alarms.push({
      type: 'storage.floor_at_risk',
      severity: 'critical',
      detail:
        shortBytes > 0
          ? `disk pressure needs ${formatBytes(needBytes)} freed but only ${formatBytes(freed)} is unprotected: the rest is inside the ${floorDaysOf(policy)}-day floor or a hold and is not deleted${stopping}`
          : `storage above ${policy.stopAbovePercent}% with only protected segments left${stopping}`,
      data: { needBytes, freedBytes: freed, shortBytes, protectedBytes: keptBytes.floor + keptBytes.hold, usageAfterPercent, stop: recording.stop },
      ...(shortBytes > 0
        ? { code: 'floor.short', params: { needBytes, freedBytes: freed, floorDays: floorDaysOf(policy), stop: [...recording.stop] } }
        : { code: 'floor.protectedOnly', params: { stopAbovePercent: policy.stopAbovePercent, stop: [...recording.stop] } }),
    });
  }

  return {
    decisionNowMs,
    referenceMs: rawNow,
    holdNowMs,
    floorMs,
    ceilingMs,
    guardMs,
    deletions,
    kept,
    keptBytes,
    alarms,
    pressure: { needBytes, freedBytes: freed, shortBytes, usageAfterPercent },
    recording,
  };
}

/** Unprotected row indices by effective end, then id. */
function mergeOldestFirst(tl: Timeline, c: SegmentColumns, verdict: Uint8Array): Uint32Array {
  const out = new Uint32Array(verdict.length);
  let n = 0;
  const live = tl.liveOrder;
  const adopted = tl.adoptedOrder;
  let a = 0;
  let b = 0;
  const eff = tl.effectiveEnd;
  while (a < live.length || b < adopted.length) {
    let i: number;
    if (b >= adopted.length) i = live[a++] as number;
    else if (a >= live.length) i = adopted[b++] as number;
    else {
      const x = live[a] as number;
      const y = adopted[b] as number;
      const first = (eff[x] as number) - (eff[y] as number) || (c.id[x] as number) - (c.id[y] as number);
      if (first <= 0) {
        i = x;
        a += 1;
      } else {
        i = y;
        b += 1;
      }
    }
    if (verdict[i] === PROTECT_NONE) out[n++] = i;
  }
  return out.subarray(0, n);
}

/**
 * Past the hard watermark with nothing left to delete: stop the lowest priority level
 * still recording (one level per plan; the next plan goes on if that was not enough).
 * Below deleteAbove again: resume what retention stopped.
 */
function recordingDecision(input: CommonInput, overStop: boolean, overDelete: boolean): { stop: string[]; resume: string[] } {
  const stopped = new Set(input.stoppedCameras ?? []);
  if (overStop) {
    const running = (input.cameras ?? []).filter((cam) => !stopped.has(cam.id));
    if (running.length === 0) return { stop: [], resume: [] };
    const lowest = Math.min(...running.map((cam) => cam.priority));
    return { stop: running.filter((cam) => cam.priority === lowest).map((cam) => cam.id).sort(), resume: [] };
  }
  if (!overDelete && stopped.size > 0) return { stop: [], resume: [...stopped].sort() };
  return { stop: [], resume: [] };
}

function clockAlarms(tl: Timeline, c: SegmentColumns, wallMs: number, t: TimeTuning, alarms: Alarm[]): void {
  if (tl.backSteps.length > 0) {
    const biggest = tl.backSteps.reduce((x, y) => (y.stepMs > x.stepMs ? y : x));
    const at = { camera: c.cameras[c.camera[biggest.atIndex] as number], id: c.id[biggest.atIndex], start: new Date(c.startMs[biggest.atIndex] as number).toISOString() };
    alarms.push({
      type: 'clock.jump',
      severity: 'critical',
      detail: `recordings indexed after others carry earlier times (box clock set back by up to ${formatDuration(biggest.stepMs)}, at segment ${at.id} of ${at.camera ?? '?'}); they are kept by index order`,
      data: { direction: 'back', steps: tl.backSteps.length, maxStepMs: biggest.stepMs, at },
      code: 'clock.backSteps',
      params: { maxStepMs: biggest.stepMs, segment: at.id, camera: at.camera ?? null },
    });
  }
  if (tl.rawNowMs === null) return;
  const diff = wallMs - tl.rawNowMs;
  if (diff < -t.backStepAlarmMs) {
    alarms.push({
      type: 'clock.jump',
      severity: 'critical',
      detail: `the box clock is ${formatDuration(-diff)} behind its newest recording: it was set back; decisions use the recordings' time`,
      data: { direction: 'back', wallMs, newestRecordingMs: tl.rawNowMs },
      code: 'clock.behind',
      params: { ms: -diff },
    });
  } else if (diff > t.wallAlarmMs) {
    alarms.push({
      type: 'clock.jump',
      severity: 'warning',
      detail: `the box clock is ${formatDuration(diff)} ahead of the newest recording (set forward, or nothing recorded since); nothing ages until recording resumes`,
      data: { direction: 'forward', wallMs, newestRecordingMs: tl.rawNowMs },
      code: 'clock.ahead',
      params: { ms: diff },
    });
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms >= DAY_MS) return `${(ms / DAY_MS).toFixed(1)} d`;
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${Math.round(ms / 60_000)} min`;
}
