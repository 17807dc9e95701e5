// Change-report decisions, pure: given fingerprints, pending changes, reports and "now".
import { diffRecords } from '../inventory/policy.js';

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** A change in one scope: 'site' or 'camera:<id>'. */
export interface ScopedChange extends FieldChange {
  scope: string;
}

export type ChangeKind = 'camera.added' | 'camera.removed' | 'camera.replaced' | 'camera.reconfigured' | 'camera.relocated' | 'site.changed';

export function diffFingerprints(before: unknown, after: unknown): FieldChange[] {
  return diffRecords(before, after);
}

/**
 * Names what happened, for people reading the report: a new serial under the same id is
 * a swap; a changed location or purpose is a change of use or place (Art. 14 (v)).
 */
export function classify(changes: ScopedChange[]): { kind: ChangeKind; camera?: string }[] {
  const out: { kind: ChangeKind; camera?: string }[] = [];
  const seen = new Set<string>();
  const add = (kind: ChangeKind, camera?: string) => {
    const key = `${kind}|${camera ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(camera === undefined ? { kind } : { kind, camera });
  };
  for (const c of changes) {
    if (c.scope === 'site') {
      const m = /^cameras\.([^.[\]]+)$/.exec(c.path);
      if (m) {
        const id = m[1] as string;
        if (c.before === undefined) add('camera.added', id);
        else if (c.after === undefined) add('camera.removed', id);
        else if (c.before !== null && c.after !== null) add('camera.replaced', id);
        continue;
      }
      add('site.changed');
      continue;
    }
    const camera = c.scope.replace(/^camera:/, '');
    if (c.path === 'identity.serial' && c.before != null && c.after != null) add('camera.replaced', camera);
    else if (/^configured\.(location|purpose)/.test(c.path)) add('camera.relocated', camera);
    else add('camera.reconfigured', camera);
  }
  // A swapped camera differs in everything it reports; calling it also "reconfigured" is noise.
  const replaced = new Set(out.filter((o) => o.kind === 'camera.replaced').map((o) => o.camera));
  return out.filter((o) => !(o.kind === 'camera.reconfigured' && replaced.has(o.camera)));
}

export function camerasAffected(changes: ScopedChange[]): string[] {
  const ids = new Set<string>();
  for (const c of changes) {
    if (c.scope.startsWith('camera:')) ids.add(c.scope.slice('camera:'.length));
    const m = /^cameras\.([^.[\]]+)$/.exec(c.path);
    if (c.scope === 'site' && m) ids.add(m[1] as string);
  }
  return [...ids].sort();
}

export interface DebouncePolicy {
  /** A burst ends after this long without a new change. */
  quietMs: number;
  /** …or this long after its first change, whatever keeps coming (the clock is running). */
  maxMs: number;
}

/** Whether the pending burst (detection times, oldest first) should become a report now. */
export function burstIsComplete(detectedAt: Date[], now: Date, policy: DebouncePolicy): boolean {
  if (detectedAt.length === 0) return false;
  const first = Math.min(...detectedAt.map((d) => d.getTime()));
  const last = Math.max(...detectedAt.map((d) => d.getTime()));
  return now.getTime() - last >= policy.quietMs || now.getTime() - first >= policy.maxMs;
}

export type ReportState = 'pending' | 'reported' | 'overdue' | 'acknowledged';

export interface ReportFacts {
  state: ReportState;
  deadline: string; // YYYY-MM-DD
  remindedAt: string | null;
  overdueAt: string | null;
}

export interface ReportCalendar {
  /** Working days after `from` up to and including `to` (YYYY-MM-DD). */
  workingDaysBetween(from: string, to: string): number;
}

/**
 * What is due for an open report today (a date in the site's zone): a reminder on the
 * last working day before the deadline, and `overdue` once the deadline day has passed
 * without acknowledgement. Each happens once.
 */
export function reportDue(report: ReportFacts, today: string, cal: ReportCalendar): { remind: boolean; overdue: boolean } {
  if (report.state === 'acknowledged') return { remind: false, overdue: false };
  const overdue = today > report.deadline && report.overdueAt === null;
  const remind =
    !overdue &&
    report.remindedAt === null &&
    today <= report.deadline &&
    cal.workingDaysBetween(today, report.deadline) <= 1;
  return { remind, overdue };
}
