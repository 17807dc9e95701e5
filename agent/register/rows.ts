// The register export (`cea register export`): one flat row shape for every kind of
// entry — change reports, the filing dossier, and (later) the access register — so one
// CSV with one header serves them all. A new kind adds a RegisterSource and a mapping
// to RegisterRow; nothing else changes. Pure.
import type { Dossier } from '../filing/policy.js';
import { describeFilingStatus } from '../filing/policy.js';

export type RegisterKind = 'change_report' | 'dossier' | 'access';

export interface RegisterRow {
  kind: RegisterKind;
  id: string;
  /** Human number (change report 1, 2, 3 …); null when the kind has none. */
  number: number | null;
  /** When it happened: a change's detection, the dossier's generation, an access. */
  time: string;
  cameras: string[];
  /** One line (or a few) for people. */
  summary: string;
  deadline: string | null;
  state: string | null;
  reportedAt: string | null;
  acknowledgedAt: string | null;
  receiptNo: string | null;
  /** The full entry, kind-specific, for machines (CSV: JSON text). */
  detail: unknown;
}

/** Column order of the CSV header; the JSON rows carry the same keys. */
export const REGISTER_COLUMNS: readonly (keyof RegisterRow)[] = [
  'kind',
  'id',
  'number',
  'time',
  'cameras',
  'summary',
  'deadline',
  'state',
  'reportedAt',
  'acknowledgedAt',
  'receiptNo',
  'detail',
];

/** [from, to): either end open when null. */
export interface RegisterPeriod {
  from: Date | null;
  to: Date | null;
}

/** Where rows come from: the change reports now, the access register later. */
export interface RegisterSource {
  kind: RegisterKind;
  rows(period: RegisterPeriod): RegisterRow[];
}

export function inPeriod(time: string, period: RegisterPeriod): boolean {
  const t = Date.parse(time);
  if (Number.isNaN(t)) return true; // an unparsable time is shown rather than silently dropped
  return (period.from === null || t >= period.from.getTime()) && (period.to === null || t < period.to.getTime());
}

/** All sources' rows, oldest first; the kind breaks ties so the order is stable. */
export function collectRegister(sources: readonly RegisterSource[], period: RegisterPeriod): RegisterRow[] {
  const rows = sources.flatMap((s) => s.rows(period));
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => Date.parse(a.r.time) - Date.parse(b.r.time) || a.r.kind.localeCompare(b.r.kind) || a.i - b.i)
    .map(({ r }) => r);
}

/** A stored change report (table change_reports), its JSON columns decoded. */
export interface ChangeReportEntry {
  id: string;
  number: number;
  detectedAt: string;
  changes: { scope?: string; path?: string; before?: unknown; after?: unknown }[];
  cameras: string[];
  deadline: string;
  state: string;
  reportedAt: string | null;
  acknowledgedAt: string | null;
  receiptNo: string | null;
}

function shown(v: unknown): string {
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function changeReportRow(r: ChangeReportEntry): RegisterRow {
  const summary = r.changes.map((c) => `${c.scope ?? ''} ${c.path ?? ''}: ${shown(c.before)} → ${shown(c.after)}`.trim()).join('\n');
  return {
    kind: 'change_report',
    id: r.id,
    number: r.number,
    time: r.detectedAt,
    cameras: r.cameras,
    summary,
    deadline: r.deadline,
    state: r.state,
    reportedAt: r.reportedAt,
    acknowledgedAt: r.acknowledgedAt,
    receiptNo: r.receiptNo,
    detail: { changes: r.changes },
  };
}

/** The dossier's state as one row: where the filing stands and what it still lacks. */
export function dossierRow(d: Dossier): RegisterRow {
  const lacking = d.missing.map((m) => `${m.what} ${m.ref}: ${m.detail}`);
  return {
    kind: 'dossier',
    id: `dossier-${d.site.id}`,
    number: null,
    time: d.generatedAt,
    cameras: d.equipment.map((e) => e.id),
    summary: [`filing ${describeFilingStatus(d.filing)}`, d.complete ? 'dossier complete' : `dossier incomplete: ${d.missing.length} missing`, ...lacking].join('\n'),
    deadline: d.filing.deadline,
    state: d.filing.status,
    reportedAt: d.filing.filed?.date ?? null,
    acknowledgedAt: null,
    receiptNo: d.filing.filed?.receiptNo ?? null,
    detail: {
      complete: d.complete,
      missing: d.missing,
      documents: d.documents.map((doc) => ({ kind: doc.kind, path: doc.path, state: doc.state, sha256: doc.sha256, bytes: doc.bytes })),
    },
  };
}
