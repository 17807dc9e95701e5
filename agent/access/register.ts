// The access register (Liaoning Art. 14 (iv), 18): every use of image information —
// who, when, which cameras, which time range, on whose approval and for what — written
// BEFORE the access happens, refused attempts included. Append-only (triggers of
// migration 8) and hash-chained (chain.ts), so an edit or a deletion shows on verify().
import { randomUUID } from 'node:crypto';
import type { Database } from '../../drivers/store/index.js';
import type { EventRecorder } from '../events/recorder.js';
import { inPeriod, type RegisterRow, type RegisterSource } from '../register/rows.js';
import { rowHash, verifyChain, type AccessRawRow, type AccessRowContent, type ChainCheckpoint, type ChainVerdict } from './chain.js';

export type AccessResult = 'granted' | `refused:${string}`;

export interface NewAccessEntry {
  /** snapshot | live.open | recordings.query | recordings.export | cli.export | console.view … */
  verb: string;
  cameras: string[];
  fromMs: number | null;
  toMs: number | null;
  /** Platform key id, operator account, or cli:<user>. */
  requester: string;
  staff: string[];
  approvalDoc: string | null;
  lawDoc: string | null;
  purpose: string | null;
  result: AccessResult;
  detail: Record<string, unknown>;
}

export interface AccessEntry extends NewAccessEntry {
  seq: number;
  id: string;
  atMs: number;
  prevHash: string;
  hash: string;
}

/** The wire shape (MQTT `register.query`, CLI): ISO times. */
export interface AccessEntryJson {
  seq: number;
  id: string;
  at: string;
  verb: string;
  cameras: string[];
  from: string | null;
  to: string | null;
  requester: string;
  staff: string[];
  approvalDoc: string | null;
  lawEnforcementDoc: string | null;
  purpose: string | null;
  result: string;
  detail: unknown;
  prevHash: string;
  hash: string;
}

export interface AccessQuery {
  /** [fromMs, toMs) on the time of the access; either end open when null/absent. */
  fromMs?: number | null;
  toMs?: number | null;
  camera?: string | null;
  /** Newest rows kept when more match (default: all). */
  limit?: number;
}

/** Who a platform request is registered as: the signing key, or an explicit mark for unsigned requests (allowed by config). */
export function platformRequester(keyId: string | null): string {
  return keyId ?? 'platform:unsigned';
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function parsed(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json; // shown as stored rather than hidden: the register is evidence
  }
}

function list(json: string): string[] {
  const v = parsed(json);
  return Array.isArray(v) ? v.map(String) : [];
}

export function toEntry(r: AccessRawRow): AccessEntry {
  const detail = parsed(r.detail);
  return {
    seq: r.seq,
    id: r.id,
    atMs: r.at_ms,
    verb: r.verb,
    cameras: list(r.cameras),
    fromMs: r.from_ms,
    toMs: r.to_ms,
    requester: r.requester,
    staff: list(r.staff),
    approvalDoc: r.approval_doc,
    lawDoc: r.law_doc,
    purpose: r.purpose,
    result: r.result as AccessResult,
    detail: detail !== null && typeof detail === 'object' && !Array.isArray(detail) ? (detail as Record<string, unknown>) : { raw: detail },
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function accessEntryJson(e: AccessEntry): AccessEntryJson {
  return {
    seq: e.seq,
    id: e.id,
    at: new Date(e.atMs).toISOString(),
    verb: e.verb,
    cameras: e.cameras,
    from: iso(e.fromMs),
    to: iso(e.toMs),
    requester: e.requester,
    staff: e.staff,
    approvalDoc: e.approvalDoc,
    lawEnforcementDoc: e.lawDoc,
    purpose: e.purpose,
    result: e.result,
    detail: e.detail,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

function hasRegister(db: Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'access_register'").get() !== undefined;
}

function allRows(db: Database): AccessRawRow[] {
  if (!hasRegister(db)) return []; // a database from before migration 8 has no accesses yet
  return db.prepare<[], AccessRawRow>('SELECT * FROM access_register ORDER BY seq').all();
}

/** Read-only check of the whole chain (works on a read-only connection: the CLI). */
export function verifyAccessRegister(db: Database, checkpoint?: ChainCheckpoint): ChainVerdict {
  return verifyChain(allRows(db), checkpoint);
}

/** Entries in seq order matching the filter (read only). A camera matches when it is among the entry's cameras. */
export function queryAccessRegister(db: Database, q: AccessQuery = {}): AccessEntry[] {
  if (!hasRegister(db)) return [];
  const where: string[] = [];
  const params: (number | string)[] = [];
  if (q.fromMs !== undefined && q.fromMs !== null) {
    where.push('at_ms >= ?');
    params.push(q.fromMs);
  }
  if (q.toMs !== undefined && q.toMs !== null) {
    where.push('at_ms < ?');
    params.push(q.toMs);
  }
  if (q.camera !== undefined && q.camera !== null) {
    where.push('EXISTS (SELECT 1 FROM json_each(access_register.cameras) WHERE json_each.value = ?)');
    params.push(q.camera);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const limit = q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
  // Newest first for the LIMIT, then back to seq order.
  const rows = db.prepare<(number | string)[], AccessRawRow>(`SELECT * FROM access_register ${clause} ORDER BY seq DESC${limit}`).all(...params);
  return rows.reverse().map(toEntry);
}

/** The access register as rows of `cea register export`. */
export function accessRegisterSource(db: Database | null): RegisterSource {
  return {
    kind: 'access',
    rows: (period) => (db === null ? [] : queryAccessRegister(db).map(accessRow).filter((r) => inPeriod(r.time, period))),
  };
}

export function accessRow(e: AccessEntry): RegisterRow {
  const range = e.fromMs !== null || e.toMs !== null ? ` ${iso(e.fromMs) ?? '…'} – ${iso(e.toMs) ?? '…'}` : '';
  const who = [`by ${e.requester}`, e.staff.length ? `staff ${e.staff.join(', ')}` : '', e.purpose ? `purpose: ${e.purpose}` : ''].filter(Boolean).join('; ');
  return {
    kind: 'access',
    id: e.id,
    number: e.seq,
    time: new Date(e.atMs).toISOString(),
    cameras: e.cameras,
    summary: `${e.verb} ${e.result}${range}\n${who}`,
    deadline: null,
    state: e.result,
    reportedAt: null,
    acknowledgedAt: null,
    receiptNo: null,
    detail: accessEntryJson(e),
  };
}

export interface AccessRegisterDeps {
  db: Database;
  recorder: EventRecorder;
  now: () => Date;
  newId?: () => string;
}

/** The writer. One per process that writes (the agent); readers use the functions above. */
export class AccessRegister {
  private readonly newId: () => string;
  private readonly lastStmt;
  private readonly insertStmt;

  constructor(private readonly deps: AccessRegisterDeps) {
    this.newId = deps.newId ?? randomUUID;
    this.lastStmt = deps.db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM access_register ORDER BY seq DESC LIMIT 1');
    this.insertStmt = deps.db.prepare(
      `INSERT INTO access_register (seq, id, at_ms, verb, cameras, from_ms, to_ms, requester, staff, approval_doc, law_doc, purpose, result, detail, prev_hash, hash)
       VALUES (@seq, @id, @at_ms, @verb, @cameras, @from_ms, @to_ms, @requester, @staff, @approval_doc, @law_doc, @purpose, @result, @detail, @prev_hash, @hash)`,
    );
  }

  /**
   * Appends one entry, and for a grant the `access.granted` event, in one transaction:
   * the platform hears of a grant exactly when it is on record. The event carries the
   * row's hash, so the platform holds checkpoints of the chain that a cut tail cannot hide from.
   */
  record(entry: NewAccessEntry): AccessEntry {
    return this.deps.recorder.withFact((append) => {
      const last = this.lastStmt.get();
      const content: AccessRowContent = {
        seq: (last?.seq ?? 0) + 1,
        id: this.newId(),
        at_ms: this.deps.now().getTime(),
        verb: entry.verb,
        cameras: JSON.stringify(entry.cameras),
        from_ms: entry.fromMs,
        to_ms: entry.toMs,
        requester: entry.requester,
        staff: JSON.stringify(entry.staff),
        approval_doc: entry.approvalDoc,
        law_doc: entry.lawDoc,
        purpose: entry.purpose,
        result: entry.result,
        detail: JSON.stringify(entry.detail),
        prev_hash: last?.hash ?? '',
      };
      const row: AccessRawRow = { ...content, hash: rowHash(content) };
      this.insertStmt.run(row);
      if (entry.result === 'granted') {
        const [first] = entry.cameras;
        append({
          type: 'access.granted',
          severity: 'info',
          ...(entry.cameras.length === 1 && first !== undefined ? { camera: first } : {}),
          data: { seq: row.seq, id: row.id, hash: row.hash, verb: entry.verb, cameras: entry.cameras, requester: entry.requester },
        });
      }
      return toEntry(row);
    }).result;
  }

  verify(checkpoint?: ChainCheckpoint): ChainVerdict {
    return verifyAccessRegister(this.deps.db, checkpoint);
  }

  query(q: AccessQuery = {}): AccessEntry[] {
    return queryAccessRegister(this.deps.db, q);
  }
}
