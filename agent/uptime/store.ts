import type { Database } from '../../drivers/store/index.js';
import type { DefiniteState, Interval, IntervalState, LedgerOp, OpenInterval } from './policy.js';

/** meta key: the last moment the uptime service is known to have been running (ms, as text). */
export const HEARTBEAT_KEY = 'uptime.heartbeat_ms';

export interface IntervalRow extends Interval {
  id: number;
  cameraId: string;
  reason: string | null;
}

export interface ProbeRow {
  cameraId: string;
  consecutiveFailures: number;
  lastProbeMs: number | null;
  lastOkMs: number | null;
  lastError: string | null;
  clockSkewMs: number | null;
  skewAlarm: boolean;
}

interface RawInterval {
  id: number;
  camera_id: string;
  state: IntervalState;
  start_ms: number;
  end_ms: number | null;
  reason: string | null;
}

interface RawProbe {
  camera_id: string;
  consecutive_failures: number;
  last_probe_ms: number | null;
  last_ok_ms: number | null;
  last_error: string | null;
  clock_skew_ms: number | null;
  skew_alarm: number;
}

/** Data access for uptime_intervals, uptime_probes and the heartbeat; decisions live in policy.ts, transactions in the service. */
export class UptimeStore {
  private readonly s;

  constructor(db: Database) {
    this.s = {
      open: db.prepare<[string], RawInterval>('SELECT * FROM uptime_intervals WHERE camera_id = ? AND end_ms IS NULL ORDER BY start_ms DESC, id DESC LIMIT 1'),
      openCameras: db.prepare<[], { camera_id: string }>('SELECT DISTINCT camera_id FROM uptime_intervals WHERE end_ms IS NULL'),
      overlapping: db.prepare<[string, number, number], RawInterval>(
        `SELECT * FROM uptime_intervals WHERE camera_id = ? AND (end_ms IS NULL OR end_ms > ?) AND start_ms < ?
         ORDER BY start_ms, id`,
      ),
      lastDefinite: db.prepare<[string], { state: DefiniteState }>(
        "SELECT state FROM uptime_intervals WHERE camera_id = ? AND state != 'unknown' ORDER BY start_ms DESC, id DESC LIMIT 1",
      ),
      lastOfState: db.prepare<[string, string], { start_ms: number | null }>('SELECT max(start_ms) AS start_ms FROM uptime_intervals WHERE camera_id = ? AND state = ?'),
      firstOfStateAfter: db.prepare<[string, string, number], { start_ms: number | null }>('SELECT min(start_ms) AS start_ms FROM uptime_intervals WHERE camera_id = ? AND state = ? AND start_ms > ?'),
      firstOfState: db.prepare<[string, string], { start_ms: number | null }>('SELECT min(start_ms) AS start_ms FROM uptime_intervals WHERE camera_id = ? AND state = ?'),
      close: db.prepare<[number, number]>('UPDATE uptime_intervals SET end_ms = ? WHERE id = ? AND end_ms IS NULL'),
      relabel: db.prepare<[string, string, number]>('UPDATE uptime_intervals SET state = ?, reason = ? WHERE id = ?'),
      insert: db.prepare<[string, string, number, string]>('INSERT INTO uptime_intervals (camera_id, state, start_ms, end_ms, reason) VALUES (?, ?, ?, NULL, ?)'),
      probe: db.prepare<[string], RawProbe>('SELECT * FROM uptime_probes WHERE camera_id = ?'),
      saveProbe: db.prepare(
        `INSERT INTO uptime_probes (camera_id, consecutive_failures, last_probe_ms, last_ok_ms, last_error, clock_skew_ms, skew_alarm)
         VALUES (@cameraId, @consecutiveFailures, @lastProbeMs, @lastOkMs, @lastError, @clockSkewMs, @skewAlarm)
         ON CONFLICT(camera_id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           last_probe_ms = excluded.last_probe_ms, last_ok_ms = excluded.last_ok_ms, last_error = excluded.last_error,
           clock_skew_ms = excluded.clock_skew_ms, skew_alarm = excluded.skew_alarm`,
      ),
      heartbeat: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setHeartbeat: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
  }

  openInterval(cameraId: string): OpenInterval | null {
    const row = this.s.open.get(cameraId);
    return row ? { id: row.id, state: row.state, startMs: row.start_ms } : null;
  }

  /** Cameras with an open interval (configured or not). */
  camerasWithOpenInterval(): string[] {
    return this.s.openCameras.all().map((r) => r.camera_id);
  }

  /** Intervals overlapping [fromMs, toMs), oldest first. */
  intervals(cameraId: string, fromMs: number, toMs: number): IntervalRow[] {
    return this.s.overlapping.all(cameraId, fromMs, toMs).map((r) => ({
      id: r.id,
      cameraId: r.camera_id,
      state: r.state,
      startMs: r.start_ms,
      endMs: r.end_ms,
      reason: r.reason,
    }));
  }

  /**
   * The last definite state and when that run began: the earliest interval of that state
   * after the last interval of the other one, so unknown gaps (restarts) inside a long
   * outage do not shorten it.
   */
  lastDefinite(cameraId: string): { state: DefiniteState; sinceMs: number } | null {
    const last = this.s.lastDefinite.get(cameraId);
    if (!last) return null;
    const other: DefiniteState = last.state === 'online' ? 'offline' : 'online';
    const otherStart = this.s.lastOfState.get(cameraId, other)?.start_ms ?? null;
    const since =
      otherStart === null
        ? this.s.firstOfState.get(cameraId, last.state)?.start_ms
        : this.s.firstOfStateAfter.get(cameraId, last.state, otherStart)?.start_ms;
    return since === null || since === undefined ? null : { state: last.state, sinceMs: since };
  }

  apply(cameraId: string, ops: readonly LedgerOp[]): void {
    for (const o of ops) {
      if (o.op === 'close') this.s.close.run(o.endMs, o.id);
      else if (o.op === 'relabel') this.s.relabel.run(o.state, o.reason, o.id);
      else this.s.insert.run(cameraId, o.state, o.startMs, o.reason);
    }
  }

  probe(cameraId: string): ProbeRow | null {
    const r = this.s.probe.get(cameraId);
    if (!r) return null;
    return {
      cameraId: r.camera_id,
      consecutiveFailures: r.consecutive_failures,
      lastProbeMs: r.last_probe_ms,
      lastOkMs: r.last_ok_ms,
      lastError: r.last_error,
      clockSkewMs: r.clock_skew_ms,
      skewAlarm: r.skew_alarm === 1,
    };
  }

  saveProbe(p: ProbeRow): void {
    this.s.saveProbe.run({
      cameraId: p.cameraId,
      consecutiveFailures: p.consecutiveFailures,
      lastProbeMs: p.lastProbeMs,
      lastOkMs: p.lastOkMs,
      lastError: p.lastError,
      clockSkewMs: p.clockSkewMs,
      skewAlarm: p.skewAlarm ? 1 : 0,
    });
  }

  heartbeat(): number | null {
    const row = this.s.heartbeat.get(HEARTBEAT_KEY);
    const ms = row ? Number(row.value) : NaN;
    return Number.isFinite(ms) ? ms : null;
  }

  setHeartbeat(ms: number): void {
    this.s.setHeartbeat.run(HEARTBEAT_KEY, String(Math.round(ms)));
  }
}
