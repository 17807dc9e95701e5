// The hash chain of the access register (table access_register, migration 8). Pure:
// given the stored rows, say whether they are the rows that were written. Each row's hash
// covers the previous row's hash, so editing a row breaks its own hash and deleting one
// breaks the numbering or the next row's link. Only a cut tail is invisible from inside;
// a checkpoint (seq + hash published earlier, e.g. in `access.granted`) catches that.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/** One row exactly as stored: JSON columns stay text, so the hash never depends on a re-encoding. */
export interface AccessRawRow {
  seq: number;
  id: string;
  at_ms: number;
  verb: string;
  cameras: string;
  from_ms: number | null;
  to_ms: number | null;
  requester: string;
  staff: string;
  approval_doc: string | null;
  law_doc: string | null;
  purpose: string | null;
  result: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

export type AccessRowContent = Omit<AccessRawRow, 'hash'>;

export type ChainProblem = 'hash_mismatch' | 'seq_gap' | 'prev_hash_mismatch' | 'truncated';

export interface ChainVerdict {
  ok: boolean;
  /** Rows in the register. */
  rows: number;
  /** The first row (or the first missing seq) that does not hold. */
  firstBadSeq?: number;
  problem?: ChainProblem;
  /** For people: what is wrong, in a sentence. */
  message?: string;
}

/** A row already known to the platform or the operator: the register must still reach it, unchanged. */
export interface ChainCheckpoint {
  seq: number;
  hash: string;
}

export function rowHash(content: AccessRowContent): string {
  // Only the content columns: a caller passing a full row must not hash its own hash.
  const c: AccessRowContent = {
    seq: content.seq,
    id: content.id,
    at_ms: content.at_ms,
    verb: content.verb,
    cameras: content.cameras,
    from_ms: content.from_ms,
    to_ms: content.to_ms,
    requester: content.requester,
    staff: content.staff,
    approval_doc: content.approval_doc,
    law_doc: content.law_doc,
    purpose: content.purpose,
    result: content.result,
    detail: content.detail,
    prev_hash: content.prev_hash,
  };
  return createHash('sha256').update(content.prev_hash + canonicalJson(c), 'utf8').digest('hex');
}

/** Walks the rows in seq order (as read with ORDER BY seq). */
export function verifyChain(rows: readonly AccessRawRow[], checkpoint?: ChainCheckpoint): ChainVerdict {
  const total = rows.length;
  let n = 0;
  let prevHash = '';
  let checkpointSeen = false;
  for (const row of rows) {
    const expected = n + 1;
    if (row.seq !== expected) {
      return bad(total, expected, 'seq_gap', `row ${expected} is missing (the next row is ${row.seq}): a row was deleted`);
    }
    if (row.prev_hash !== prevHash) {
      return bad(total, row.seq, 'prev_hash_mismatch', `row ${row.seq} does not link to row ${row.seq - 1}: a row was deleted or replaced`);
    }
    if (rowHash(row) !== row.hash) {
      return bad(total, row.seq, 'hash_mismatch', `row ${row.seq} is not what was written: its content was edited`);
    }
    if (checkpoint && row.seq === checkpoint.seq) {
      if (row.hash !== checkpoint.hash) return bad(total, row.seq, 'hash_mismatch', `row ${row.seq} differs from the checkpoint: the register was rewritten`);
      checkpointSeen = true;
    }
    prevHash = row.hash;
    n = expected;
  }
  if (checkpoint && !checkpointSeen && checkpoint.seq > 0) {
    return bad(total, n + 1, 'truncated', `the register ends at row ${n} but row ${checkpoint.seq} was known: its tail was cut`);
  }
  return { ok: true, rows: total };
}

function bad(rows: number, firstBadSeq: number, problem: ChainProblem, message: string): ChainVerdict {
  return { ok: false, rows, firstBadSeq, problem, message };
}
