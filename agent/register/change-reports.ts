// Change reports (table change_reports, migration 3) as register rows. Read only: the
// export must never alter a report's state.
import type { Database } from '../../drivers/store/index.js';
import { changeReportRow, inPeriod, type ChangeReportEntry, type RegisterSource } from './rows.js';

interface RawReport {
  id: string;
  number: number;
  detected_at: string;
  changes: string;
  cameras: string;
  deadline: string;
  state: string;
  reported_at: string | null;
  acknowledged_at: string | null;
  receipt_no: string | null;
}

function parsedList<T>(json: string): T[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

export function readChangeReports(db: Database): ChangeReportEntry[] {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_reports'").get() !== undefined;
  if (!hasTable) return []; // a database from before migration 3 has no reports yet
  return db
    .prepare<[], RawReport>(
      'SELECT id, number, detected_at, changes, cameras, deadline, state, reported_at, acknowledged_at, receipt_no FROM change_reports ORDER BY number',
    )
    .all()
    .map((r) => ({
      id: r.id,
      number: r.number,
      detectedAt: r.detected_at,
      changes: parsedList(r.changes),
      cameras: parsedList<string>(r.cameras),
      deadline: r.deadline,
      state: r.state,
      reportedAt: r.reported_at,
      acknowledgedAt: r.acknowledged_at,
      receiptNo: r.receipt_no,
    }));
}

export function changeReportSource(db: Database | null): RegisterSource {
  return {
    kind: 'change_report',
    rows: (period) => (db === null ? [] : readChangeReports(db).filter((r) => inPeriod(r.detectedAt, period)).map(changeReportRow)),
  };
}
