// Uptime decisions, pure: no I/O, no clock. Times are ms since the epoch, passed in.
//
// The ledger is a sequence of intervals per camera: online, offline, or unknown (the
// agent was not running, or has not heard from the camera yet). Unknown time is
// reported on its own and never counted as up: availability is online time over the
// whole window, so a ledger that does not cover a window cannot look better than it is.

export type IntervalState = 'online' | 'offline' | 'unknown';
export type DefiniteState = 'online' | 'offline';

export interface Interval {
  state: IntervalState;
  startMs: number;
  /** null: the open, current interval. */
  endMs: number | null;
}

/** The open interval as the ledger holds it. */
export interface OpenInterval {
  id: number;
  state: IntervalState;
  startMs: number;
}

/** Changes to one camera's ledger, applied in order inside one transaction. */
export type LedgerOp =
  | { op: 'close'; id: number; endMs: number }
  | { op: 'relabel'; id: number; state: IntervalState; reason: string }
  | { op: 'open'; state: IntervalState; startMs: number; reason: string };

/**
 * Makes `state` the current state from `atMs`. Never moves time backwards: a moment
 * before the open interval's start (late evidence, a clock step) is taken as its start,
 * and then the open interval is relabelled rather than closed at zero length.
 */
export function moveTo(open: OpenInterval | null, state: IntervalState, atMs: number, reason: string): LedgerOp[] {
  if (!open) return [{ op: 'open', state, startMs: atMs, reason }];
  if (open.state === state) return [];
  const at = Math.max(atMs, open.startMs);
  if (at === open.startMs) return [{ op: 'relabel', id: open.id, state, reason }];
  return [
    { op: 'close', id: open.id, endMs: at },
    { op: 'open', state, startMs: at, reason },
  ];
}

/**
 * On agent start. Whatever was open when the agent died is closed at the last heartbeat
 * (the last moment the agent is known to have been running), and from there the camera
 * is unknown until this run hears from it. An interval already unknown (a clean stop
 * closed the books) simply goes on. A camera without a ledger starts one now.
 */
export function resumeAfterRestart(open: OpenInterval | null, heartbeatMs: number | null, nowMs: number): LedgerOp[] {
  if (!open) return [{ op: 'open', state: 'unknown', startMs: nowMs, reason: 'agent_started' }];
  if (open.state === 'unknown') return [];
  const closeAt = Math.max(open.startMs, Math.min(heartbeatMs ?? open.startMs, nowMs));
  return moveTo(open, 'unknown', closeAt, 'agent_down');
}

/**
 * A camera no longer configured: its open interval ends where the agent last knew
 * anything (the heartbeat), so nobody reading the ledger later counts it as still up.
 */
export function closeRetired(open: OpenInterval, heartbeatMs: number | null, nowMs: number): LedgerOp[] {
  return [{ op: 'close', id: open.id, endMs: Math.max(open.startMs, Math.min(heartbeatMs ?? open.startMs, nowMs)) }];
}

/** On a clean stop: the time until the next start is unknown, whatever the camera does. */
export function closeOnStop(open: OpenInterval | null, nowMs: number): LedgerOp[] {
  return moveTo(open, 'unknown', nowMs, 'agent_stopped');
}

// ---- presence (GB/T 28181: offline after 3 missed keepalives, online at the first answer) ----

/** What the agent believes about one camera's reachability. */
export interface PresenceState {
  /** Belief during this run: null until this run's first evidence (the ledger says unknown). */
  online: boolean | null;
  consecutiveFailures: number;
  /** The first missed probe of the current run of misses: where an outage begins. */
  failingSinceMs: number | null;
  /** Newest evidence taken into account; evidence older than it, arriving late, is ignored. */
  lastEvidenceMs: number | null;
  /**
   * The last definite state in the ledger, kept across restarts, and when that run began.
   * Events are raised on its changes only, so a restart neither repeats nor loses one.
   */
  known: { state: DefiniteState; sinceMs: number } | null;
}

export function initialPresence(known: PresenceState['known']): PresenceState {
  return { online: null, consecutiveFailures: 0, failingSinceMs: null, lastEvidenceMs: null, known };
}

/**
 * `probe`: the agent's own periodic check, whose failures are the missed probes counted
 * toward offline. `external`: a snapshot, a stream, an interrogation. Any success shows
 * the camera is up; an external failure does not count as a missed probe, or a camera
 * whose snapshot endpoint alone is broken would flap, and evidence from several sources
 * in one period would reach the threshold early.
 */
export interface Evidence {
  ok: boolean;
  source: 'probe' | 'external';
}

export type PresenceEvent =
  | { type: 'camera.online'; offlineSinceMs: number; downtimeMs: number }
  | { type: 'camera.offline'; sinceMs: number; missedProbes: number };

export interface PresenceDecision {
  next: PresenceState;
  /** The ledger's new current state and from when, or null when it stays as it is. */
  enter: { state: DefiniteState; fromMs: number } | null;
  event: PresenceEvent | null;
}

export function decidePresence(prev: PresenceState, evidence: Evidence, atMs: number, offlineAfter: number): PresenceDecision {
  const unchanged: PresenceDecision = { next: prev, enter: null, event: null };
  if (prev.lastEvidenceMs !== null && atMs < prev.lastEvidenceMs) return unchanged;
  if (evidence.ok) {
    const next: PresenceState = {
      online: true,
      consecutiveFailures: 0,
      failingSinceMs: null,
      lastEvidenceMs: atMs,
      known: prev.known?.state === 'online' ? prev.known : { state: 'online', sinceMs: atMs },
    };
    if (prev.online === true) return { next, enter: null, event: null };
    // A first-ever answer is no news for the platform; only a return from offline is.
    const event: PresenceEvent | null =
      prev.known?.state === 'offline'
        ? { type: 'camera.online', offlineSinceMs: prev.known.sinceMs, downtimeMs: Math.max(0, atMs - prev.known.sinceMs) }
        : null;
    return { next, enter: { state: 'online', fromMs: atMs }, event };
  }
  if (evidence.source !== 'probe') return unchanged;
  const failures = prev.consecutiveFailures + 1;
  const failingSinceMs = prev.failingSinceMs ?? atMs;
  const base: PresenceState = { ...prev, consecutiveFailures: failures, failingSinceMs, lastEvidenceMs: atMs };
  if (failures < Math.max(1, offlineAfter) || prev.online === false) return { next: base, enter: null, event: null };
  // The outage began at the first missed probe, not when the threshold was reached.
  const event: PresenceEvent | null =
    prev.known?.state === 'offline' ? null : { type: 'camera.offline', sinceMs: failingSinceMs, missedProbes: failures };
  return {
    next: { ...base, online: false, known: prev.known?.state === 'offline' ? prev.known : { state: 'offline', sinceMs: failingSinceMs } },
    enter: { state: 'offline', fromMs: failingSinceMs },
    event,
  };
}

/**
 * ONVIF error codes that still prove the camera answered: it refused our credentials or
 * sent a SOAP fault. That is a camera to fix, not an outage.
 */
export function provesReachable(code: string | null | undefined): boolean {
  return code === 'unauthorized' || code === 'fault';
}

// ---- availability ----

export const WINDOWS_MS = { h24: 24 * 3_600_000, d7: 7 * 24 * 3_600_000, d30: 30 * 24 * 3_600_000 } as const;
export type WindowName = keyof typeof WINDOWS_MS;

export interface WindowTotals {
  onlineMs: number;
  offlineMs: number;
  /** Unknown intervals plus any time the ledger does not cover at all. */
  unknownMs: number;
}

/**
 * Time per state within [fromMs, toMs). An open interval runs until `openEndMs` (now,
 * for the running agent; the heartbeat, for a reader while the agent is down). Each
 * moment is counted once even if the ledger overlapped itself.
 */
export function windowTotals(intervals: readonly Interval[], fromMs: number, toMs: number, openEndMs = toMs): WindowTotals {
  const length = Math.max(0, toMs - fromMs);
  let onlineMs = 0;
  let offlineMs = 0;
  let cursor = fromMs;
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
  for (const i of sorted) {
    const start = Math.max(i.startMs, cursor);
    const end = Math.min(i.endMs ?? Math.max(i.startMs, openEndMs), toMs);
    if (end <= start) continue;
    if (i.state === 'online') onlineMs += end - start;
    else if (i.state === 'offline') offlineMs += end - start;
    cursor = end;
  }
  return { onlineMs, offlineMs, unknownMs: length - onlineMs - offlineMs };
}

export interface Availability {
  /** Online time over the window's whole length, 0..1. */
  h24: number;
  d7: number;
  d30: number;
  /** Share of each window whose state is not known (never counted as up). */
  unknown: { h24: number; d7: number; d30: number };
}

export function availability(intervals: readonly Interval[], nowMs: number, openEndMs = nowMs): Availability {
  const one = (w: WindowName) => {
    const length = WINDOWS_MS[w];
    const t = windowTotals(intervals, nowMs - length, nowMs, openEndMs);
    return { up: t.onlineMs / length, unknown: t.unknownMs / length };
  };
  const h24 = one('h24');
  const d7 = one('d7');
  const d30 = one('d30');
  return { h24: h24.up, d7: d7.up, d30: d30.up, unknown: { h24: h24.unknown, d7: d7.unknown, d30: d30.unknown } };
}

// ---- clock skew ----

export interface SkewDecision {
  alarm: boolean;
  event: 'raise' | 'clear' | null;
}

/**
 * Raised above the limit, cleared only below `clearRatio` of it: a clock sitting near
 * the limit (measurement includes network latency) raises once and clears once instead
 * of chattering.
 */
export function decideSkew(alarm: boolean, skewMs: number, limitMs: number, clearRatio = 0.8): SkewDecision {
  const distance = Math.abs(skewMs);
  if (!alarm && distance > limitMs) return { alarm: true, event: 'raise' };
  if (alarm && distance <= limitMs * clearRatio) return { alarm: false, event: 'clear' };
  return { alarm, event: null };
}
