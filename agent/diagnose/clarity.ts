// One snapshot judged the way the clarity monitor judges it (agent/clarity/policy.ts),
// against the camera's learned baseline and reference when the database has them
// (clarity_state, migration 6), else against the default thresholds. Diagnose takes a
// single picture, so there is no hysteresis and no "frozen" run: the sample's own
// findings (`observed`) are the verdict.
import type { Database } from '../../drivers/store/index.js';
import type { FaultCode } from '../clarity/faults.js';
import type { FrameAnalysis } from '../clarity/metrics.js';
import { VERDICT_FAULT, createTracker, step, type ClarityTracker, type Mode, type Verdict } from '../clarity/policy.js';

export interface SnapshotJudgement {
  faults: FaultCode[];
  verdict: Verdict;
  mode: Mode;
  judgedAgainst: 'baseline' | 'defaults';
}

/** The monitor's stored tracker of a camera; null when there is none (or no table, or no database). */
export function readClarityTracker(db: Database | null, cameraId: string): ClarityTracker | null {
  if (!db) return null;
  try {
    const row = db.prepare<[string], { tracker: string }>('SELECT tracker FROM clarity_state WHERE camera_id = ?').get(cameraId);
    if (!row) return null;
    const t = JSON.parse(row.tracker) as ClarityTracker;
    return t && t.version === 1 && t.modes?.day && t.modes?.night ? t : null;
  } catch {
    return null; // an older database without the table, or an unreadable row: judge with the defaults
  }
}

/** Judges one analysed snapshot (null = the bytes did not decode). Never modifies `tracker`. */
export function judgeSnapshot(analysis: FrameAnalysis | null, tracker: ClarityTracker | null): SnapshotJudgement {
  if (!analysis) return { faults: ['decode_error'], verdict: 'fault', mode: 'day', judgedAgainst: tracker ? 'baseline' : 'defaults' };
  // Only the learned baselines and references matter: no run of same pictures, no streaks.
  const base: ClarityTracker = tracker ? { ...tracker, active: {}, streaks: {}, last: null, sameRun: 0 } : createTracker();
  const r = step(base, { analysis }, tracker?.lastAt ?? 0);
  const faults = r.observed.filter((f) => f !== 'frozen');
  const verdict: Verdict = faults.length === 0 ? 'ok' : faults.some((f) => VERDICT_FAULT.has(f)) ? 'fault' : 'degraded';
  const learned = tracker?.modes[r.mode].baseline ?? null;
  return { faults, verdict, mode: r.mode, judgedAgainst: learned ? 'baseline' : 'defaults' };
}
