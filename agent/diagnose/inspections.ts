// The inspection history (migration 9, table `inspections`): every diagnose run — from
// the CLI, the `diagnose` verb or the console — with its counts, its result and, when a
// report was written, where. This is the record Liaoning Art. 14 (ii) (safety
// inspections) and Datong Art. 14 (acceptance) ask the operator to keep.
import { randomUUID } from 'node:crypto';
import type { Database } from '../../drivers/store/index.js';
import { countStatuses, worstStatus, type CheckStatus, type DiagnoseReport } from './checks.js';

export type InspectionSource = 'cli' | 'verb' | 'console';

export interface InspectionInput {
  report: DiagnoseReport;
  startedMs: number;
  finishedMs: number;
  source: InspectionSource;
  /** cli:<OS user>, the platform key id, or the operator's account. */
  requester: string;
  camera?: string | null;
  reportDir?: string | null;
  /** Default: a random UUID. */
  id?: string;
}

export interface Inspection {
  id: string;
  at: string;
  finishedAt: string;
  source: InspectionSource;
  requester: string;
  camera: string | null;
  pass: number;
  warn: number;
  fail: number;
  result: CheckStatus;
  reportDir: string | null;
  /** The failing and warning checks (code + params: so a reader renders them in its language). */
  summary: { name: string; status: CheckStatus; detail: string; code?: string; params?: Record<string, unknown> }[];
}

interface Row {
  id: string;
  at_ms: number;
  finished_ms: number;
  source: string;
  requester: string;
  camera: string | null;
  pass: number;
  warn: number;
  fail: number;
  result: string;
  report_dir: string | null;
  summary: string;
}

/** Inserts one run; returns its id. Throws what SQLite throws (read-only, locked, no table). */
export function recordInspection(db: Database, x: InspectionInput): string {
  const id = x.id ?? randomUUID();
  const n = countStatuses(x.report.checks);
  const summary = x.report.checks
    .filter((c) => c.status !== 'pass')
    .map((c) => ({ name: c.name, status: c.status, detail: c.detail, ...(c.code !== undefined ? { code: c.code, params: c.params } : {}) }));
  db.prepare(
    `INSERT INTO inspections (id, at_ms, finished_ms, source, requester, camera, pass, warn, fail, result, report_dir, summary)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    x.startedMs,
    x.finishedMs,
    x.source,
    x.requester,
    x.camera ?? null,
    n.pass,
    n.warn,
    n.fail,
    worstStatus(x.report.checks.map((c) => c.status)),
    x.reportDir ?? null,
    JSON.stringify(summary),
  );
  return id;
}

export interface ListOptions {
  /** Newest first, at most this many (default 50). */
  limit?: number;
  /** Runs started at or after (ms). */
  from?: number;
  /** Runs started before (ms). */
  to?: number;
}

/** The history, newest first. */
export function listInspections(db: Database, opts: ListOptions = {}): Inspection[] {
  const rows = db
    .prepare<[number, number, number], Row>('SELECT * FROM inspections WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms DESC, rowid DESC LIMIT ?')
    .all(opts.from ?? Number.MIN_SAFE_INTEGER, opts.to ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(opts.limit ?? 50)));
  return rows.map((r) => ({
    id: r.id,
    at: new Date(r.at_ms).toISOString(),
    finishedAt: new Date(r.finished_ms).toISOString(),
    source: r.source as InspectionSource,
    requester: r.requester,
    camera: r.camera,
    pass: r.pass,
    warn: r.warn,
    fail: r.fail,
    result: r.result as CheckStatus,
    reportDir: r.report_dir,
    summary: parseSummary(r.summary),
  }));
}

function parseSummary(s: string): Inspection['summary'] {
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? (v as Inspection['summary']) : [];
  } catch {
    return [];
  }
}
