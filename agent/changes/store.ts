import type { Database } from '../../drivers/store/index.js';
import type { ReportState, ScopedChange } from './policy.js';

export interface PendingChangeRow {
  id: number;
  scope: string;
  detectedAt: string;
  diff: { path: string; before: unknown; after: unknown }[];
  source: string;
}

export interface ChangeReport {
  id: string;
  number: number;
  site: string;
  detectedAt: string;
  createdAt: string;
  changes: ScopedChange[];
  cameras: string[];
  workingDays: number;
  deadline: string;
  calendarKnown: boolean;
  state: ReportState;
  eventId: string | null;
  reportedAt: string | null;
  remindedAt: string | null;
  overdueAt: string | null;
  acknowledgedAt: string | null;
  receiptNo: string | null;
}

interface RawReport {
  id: string;
  number: number;
  site: string;
  detected_at: string;
  created_at: string;
  changes: string;
  cameras: string;
  working_days: number;
  deadline: string;
  calendar_known: number;
  state: string;
  event_id: string | null;
  reported_at: string | null;
  reminded_at: string | null;
  overdue_at: string | null;
  acknowledged_at: string | null;
  receipt_no: string | null;
}

/** Data access for fingerprints, the debounce buffer and change reports. */
export class ChangeStore {
  constructor(private readonly db: Database) {}

  fingerprint(scope: string): { hash: string; fingerprint: unknown } | null {
    const row = this.db.prepare<[string], { hash: string; fingerprint: string }>('SELECT hash, fingerprint FROM fingerprints WHERE scope = ?').get(scope);
    return row ? { hash: row.hash, fingerprint: JSON.parse(row.fingerprint) as unknown } : null;
  }

  saveFingerprint(scope: string, hash: string, fingerprint: unknown, takenAt: string): void {
    this.db
      .prepare(
        `INSERT INTO fingerprints (scope, hash, fingerprint, taken_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(scope) DO UPDATE SET hash = excluded.hash, fingerprint = excluded.fingerprint, taken_at = excluded.taken_at`,
      )
      .run(scope, hash, JSON.stringify(fingerprint), takenAt);
  }

  addPending(scope: string, detectedAt: string, diff: PendingChangeRow['diff'], source: string): void {
    this.db.prepare('INSERT INTO pending_changes (scope, detected_at, diff, source) VALUES (?, ?, ?, ?)').run(scope, detectedAt, JSON.stringify(diff), source);
  }

  pending(): PendingChangeRow[] {
    return this.db
      .prepare<[], { id: number; scope: string; detected_at: string; diff: string; source: string }>('SELECT * FROM pending_changes ORDER BY id')
      .all()
      .map((r) => ({ id: r.id, scope: r.scope, detectedAt: r.detected_at, diff: JSON.parse(r.diff) as PendingChangeRow['diff'], source: r.source }));
  }

  clearPending(upToId: number): void {
    this.db.prepare('DELETE FROM pending_changes WHERE id <= ?').run(upToId);
  }

  nextNumber(): number {
    return (this.db.prepare<[], { n: number | null }>('SELECT max(number) AS n FROM change_reports').get()?.n ?? 0) + 1;
  }

  insertReport(r: ChangeReport): void {
    this.db
      .prepare(
        `INSERT INTO change_reports (id, number, site, detected_at, created_at, changes, cameras, working_days, deadline, calendar_known, state, event_id)
         VALUES (@id, @number, @site, @detectedAt, @createdAt, @changes, @cameras, @workingDays, @deadline, @calendarKnown, @state, @eventId)`,
      )
      .run({
        id: r.id,
        number: r.number,
        site: r.site,
        detectedAt: r.detectedAt,
        createdAt: r.createdAt,
        changes: JSON.stringify(r.changes),
        cameras: JSON.stringify(r.cameras),
        workingDays: r.workingDays,
        deadline: r.deadline,
        calendarKnown: r.calendarKnown ? 1 : 0,
        state: r.state,
        eventId: r.eventId,
      });
  }

  report(id: string): ChangeReport | null {
    const row = this.db.prepare<[string], RawReport>('SELECT * FROM change_reports WHERE id = ?').get(id);
    return row ? toReport(row) : null;
  }

  openReports(): ChangeReport[] {
    return this.db.prepare<[], RawReport>("SELECT * FROM change_reports WHERE state != 'acknowledged' ORDER BY number").all().map(toReport);
  }

  reports(): ChangeReport[] {
    return this.db.prepare<[], RawReport>('SELECT * FROM change_reports ORDER BY number').all().map(toReport);
  }

  update(id: string, fields: Partial<Pick<ChangeReport, 'state' | 'reportedAt' | 'remindedAt' | 'overdueAt' | 'acknowledgedAt' | 'receiptNo'>>): void {
    const columns: Record<string, string> = {
      state: 'state',
      reportedAt: 'reported_at',
      remindedAt: 'reminded_at',
      overdueAt: 'overdue_at',
      acknowledgedAt: 'acknowledged_at',
      receiptNo: 'receipt_no',
    };
    const sets = Object.keys(fields).map((k) => `${columns[k]} = @${k}`);
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE change_reports SET ${sets.join(', ')} WHERE id = @id`).run({ ...fields, id });
  }

  /** Whether an event is still waiting in the outbox (it leaves only after PUBACK). */
  eventInOutbox(eventId: string): boolean {
    return this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE id = ?').get(eventId)!.n > 0;
  }
}

function toReport(r: RawReport): ChangeReport {
  return {
    id: r.id,
    number: r.number,
    site: r.site,
    detectedAt: r.detected_at,
    createdAt: r.created_at,
    changes: JSON.parse(r.changes) as ScopedChange[],
    cameras: JSON.parse(r.cameras) as string[],
    workingDays: r.working_days,
    deadline: r.deadline,
    calendarKnown: r.calendar_known === 1,
    state: r.state as ReportState,
    eventId: r.event_id,
    reportedAt: r.reported_at,
    remindedAt: r.reminded_at,
    overdueAt: r.overdue_at,
    acknowledgedAt: r.acknowledged_at,
    receiptNo: r.receipt_no,
  };
}
