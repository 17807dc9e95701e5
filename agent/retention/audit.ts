// The deletion audit (table `deletion_audit`, append-only by trigger; Liaoning Art. 15 (iii)):
// a row is written BEFORE a file is removed and completed (deleted_ms) once it is gone.
// A row left incomplete by a crash is a retry for the sweeper, never a silent hole.
import type { Database } from '../../drivers/store/index.js';
import type { DeletionReason } from './policy.js';

export interface AuditEntry {
  id: number;
  segmentId: number;
  path: string;
  cameraId: string;
  startMs: number;
  endMs: number;
  bytes: number;
  sha256: string | null;
  reason: DeletionReason;
  decidedMs: number;
  /** null: decided, the file not yet confirmed gone. */
  deletedMs: number | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'deletedMs'>;

interface Row {
  id: number;
  segment_id: number;
  path: string;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  sha256: string | null;
  reason: string;
  decided_ms: number;
  deleted_ms: number | null;
}

const toEntry = (r: Row): AuditEntry => ({
  id: r.id,
  segmentId: r.segment_id,
  path: r.path,
  cameraId: r.camera_id,
  startMs: r.start_ms,
  endMs: r.end_ms,
  bytes: r.bytes,
  sha256: r.sha256,
  reason: r.reason as DeletionReason,
  decidedMs: r.decided_ms,
  deletedMs: r.deleted_ms,
});

export class AuditStore {
  private readonly stmts;

  constructor(private readonly db: Database) {
    this.stmts = {
      insert: db.prepare<[NewAuditEntry], { id: number }>(
        `INSERT INTO deletion_audit (segment_id, path, camera_id, start_ms, end_ms, bytes, sha256, reason, decided_ms)
         VALUES (@segmentId, @path, @cameraId, @startMs, @endMs, @bytes, @sha256, @reason, @decidedMs) RETURNING id`,
      ),
      complete: db.prepare<[number, number]>('UPDATE deletion_audit SET deleted_ms = ? WHERE id = ? AND deleted_ms IS NULL'),
      incomplete: db.prepare<[], Row>('SELECT * FROM deletion_audit WHERE deleted_ms IS NULL ORDER BY id'),
    };
  }

  /** Joins the caller's transaction when there is one. */
  begin(entry: NewAuditEntry): number {
    const row = this.stmts.insert.get(entry);
    if (!row) throw new Error(`could not audit the deletion of ${entry.path}`);
    return row.id;
  }

  complete(id: number, deletedMs: number): void {
    this.stmts.complete.run(deletedMs, id);
  }

  /** Decisions whose file was not yet confirmed gone (a crash between the two steps). */
  incomplete(): AuditEntry[] {
    return this.stmts.incomplete.all().map(toEntry);
  }

  /** Rows in a period of decision, oldest first (export, tests). */
  list(fromMs = -Infinity, toMs = Infinity, limit = 10_000): AuditEntry[] {
    return this.db
      .prepare<[number, number, number], Row>('SELECT * FROM deletion_audit WHERE decided_ms >= ? AND decided_ms < ? ORDER BY id LIMIT ?')
      .all(Number.isFinite(fromMs) ? fromMs : Number.MIN_SAFE_INTEGER, Number.isFinite(toMs) ? toMs : Number.MAX_SAFE_INTEGER, limit)
      .map(toEntry);
  }
}
