// Executes a retention plan, one batch at a time:
//   1. stat (and hash, if the index has no SHA-256 yet: the audit needs it);
//   2. one transaction: re-check the segment (unchanged, still present, no hold now),
//      claim it (state 'deleting') and write its audit row;
//   3. unlink the files;
//   4. one transaction: complete the audit rows, state 'deleted'.
// A crash between 2 and 4 leaves audit rows without deleted_ms: `recover()` (at start
// and before every sweep) finishes them. Nothing is ever removed without its audit row.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import { AuditStore } from './audit.js';
import { HoldStore } from './holds.js';
import type { DeletionReason, PlannedDeletion } from './policy.js';

export interface SweeperDeps {
  db: Database;
  /** storage.root (absolute). */
  root: string;
  now: () => Date;
  logger: Logger;
  /** Audit rows committed together before their files go; default 256. */
  batchSize?: number;
  hashFile?: (absPath: string) => Promise<string>;
  /**
   * Named failure switches for crash tests. crashAfterAudit runs right after a batch's
   * audit rows are committed and before any file is removed (a test makes it exit(137)).
   */
  failures?: { crashAfterAudit?: () => void };
}

export interface SweptSegment {
  segmentId: number;
  auditId: number;
  path: string;
  cameraId: string;
  startMs: number;
  endMs: number;
  bytes: number;
  sha256: string;
  reason: DeletionReason;
}

export interface SweepResult {
  deleted: SweptSegment[];
  /** Not deleted, and why (changed since the plan, held now, I/O error). */
  skipped: { path: string; reason: string }[];
  /** Indexed but not on disk: left for reconcile() to flag (it tells a lost file from an unmounted disk). */
  missing: { segmentId: number; path: string; cameraId: string; startMs: number; endMs: number }[];
  freedBytes: number;
}

export interface RecoverResult {
  completed: number;
  unlinked: number;
  /** Left incomplete: the segment is held again, or the file on disk is not the audited one. */
  left: number;
}

export function sha256File(absPath: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(absPath)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

interface Prepared {
  d: PlannedDeletion;
  abs: string;
  sha256: string;
}

interface SegmentRow {
  state: string;
  end_ms: number;
  bytes: number;
}

export class Sweeper {
  private readonly audit: AuditStore;
  private readonly holds: HoldStore;
  private readonly stmts;

  constructor(private readonly deps: SweeperDeps) {
    const { db } = deps;
    this.audit = new AuditStore(db);
    this.holds = new HoldStore(db);
    this.stmts = {
      segment: db.prepare<[number], SegmentRow>('SELECT state, end_ms, bytes FROM segments WHERE id = ?'),
      claim: db.prepare<[string, number, number, number]>(
        "UPDATE segments SET state = 'deleting', sha256 = coalesce(sha256, ?) WHERE id = ? AND state = 'present' AND end_ms = ? AND bytes = ?",
      ),
      setState: db.prepare<[string, number]>('UPDATE segments SET state = ? WHERE id = ?'),
      restore: db.prepare<[number]>("UPDATE segments SET state = 'present' WHERE id = ? AND state = 'deleting'"),
    };
  }

  /** Absolute path of an indexed relative path; refuses anything that would leave the root. */
  private abs(rel: string): string {
    const root = resolve(this.deps.root);
    const abs = resolve(root, rel);
    if (isAbsolute(rel) || rel.split(/[\\/]/).includes('..') || !abs.startsWith(root + sep)) {
      throw new Error(`indexed path ${JSON.stringify(rel)} is outside the storage root`);
    }
    return abs;
  }

  /** Finishes deletions a crash interrupted: the audit row exists, so the file goes and the row is completed. */
  recover(holdNowMs: number = this.deps.now().getTime()): RecoverResult {
    const out: RecoverResult = { completed: 0, unlinked: 0, left: 0 };
    for (const row of this.audit.incomplete()) {
      const seg = this.stmts.segment.get(row.segmentId);
      if (seg && seg.state !== 'deleting' && seg.state !== 'deleted') {
        // Given back to the index (a hold arrived before the retry): not ours to delete any more.
        out.left += 1;
        continue;
      }
      let abs: string;
      try {
        abs = this.abs(row.path);
      } catch (err) {
        this.deps.logger.error({ err, path: row.path }, 'audit row names a path outside the storage root; left as it is');
        out.left += 1;
        continue;
      }
      const size = statSize(abs);
      if (size !== null) {
        if (this.holds.covers(row.cameraId, row.startMs, row.endMs, holdNowMs)) {
          this.stmts.restore.run(row.segmentId);
          this.deps.logger.warn({ path: row.path }, 'interrupted deletion not finished: the segment is held now');
          out.left += 1;
          continue;
        }
        if (size !== row.bytes) {
          this.deps.logger.error({ path: row.path, size, audited: row.bytes }, 'interrupted deletion not finished: the file on disk is not the one audited');
          out.left += 1;
          continue;
        }
        try {
          unlinkSync(abs);
          out.unlinked += 1;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            this.deps.logger.error({ err, path: row.path }, 'cannot remove a segment whose deletion is audited; retried later');
            out.left += 1;
            continue;
          }
        }
        removeEmptyDayDir(dirname(abs), this.deps.root);
      }
      const nowMs = this.deps.now().getTime();
      this.deps.db.transaction(() => {
        this.audit.complete(row.id, nowMs);
        this.stmts.setState.run('deleted', row.segmentId);
      })();
      out.completed += 1;
    }
    if (out.completed > 0) this.deps.logger.warn({ ...out }, 'finished deletions interrupted by a crash');
    return out;
  }

  /** Deletes the planned segments; `holdNowMs` is the plan's (holds are checked again just before each claim). */
  async sweep(deletions: readonly PlannedDeletion[], opts: { holdNowMs?: number; signal?: AbortSignal } = {}): Promise<SweepResult> {
    const result: SweepResult = { deleted: [], skipped: [], missing: [], freedBytes: 0 };
    if (deletions.length > 0 && !existsSync(this.deps.root)) {
      result.skipped.push({ path: this.deps.root, reason: 'the storage root is not there (not mounted?): nothing deleted' });
      return result;
    }
    const size = this.deps.batchSize ?? 256;
    for (let i = 0; i < deletions.length; i += size) {
      if (opts.signal?.aborted) break;
      await this.batch(deletions.slice(i, i + size), opts.holdNowMs ?? this.deps.now().getTime(), result);
    }
    return result;
  }

  private async batch(items: readonly PlannedDeletion[], holdNowMs: number, result: SweepResult): Promise<void> {
    const prepared: Prepared[] = [];
    // A batch's stats (and hashes) run together on the thread pool.
    const checked = await Promise.all(
      items.map(async (d): Promise<Prepared | 'missing' | { skip: string }> => {
        const s = d.segment;
        try {
          const abs = this.abs(s.path);
          const st = await stat(abs).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') return null;
            throw err;
          });
          if (st === null) return 'missing';
          if (st.size !== s.bytes) return { skip: `size on disk ${st.size} differs from the index (${s.bytes}); reconciled later` };
          // The audit records the hash of what is destroyed: hash first when the index has none.
          const sha256 = s.sha256 ?? (await (this.deps.hashFile ?? sha256File)(abs));
          return { d, abs, sha256 };
        } catch (err) {
          return { skip: (err as Error).message };
        }
      }),
    );
    checked.forEach((x, k) => {
      const d = items[k] as PlannedDeletion;
      if (x === 'missing') result.missing.push({ segmentId: d.segment.id, path: d.segment.path, cameraId: d.segment.cameraId, startMs: d.segment.startMs, endMs: d.segment.endMs });
      else if ('skip' in x) result.skipped.push({ path: d.segment.path, reason: x.skip });
      else prepared.push(x);
    });

    const decidedMs = this.deps.now().getTime();
    const claimed: { p: Prepared; auditId: number }[] = [];
    this.deps.db.transaction(() => {
      for (const p of prepared) {
        const s = p.d.segment;
        // Defence in depth: a hold may have arrived since the plan.
        if (this.holds.covers(s.cameraId, s.startMs, Math.max(s.endMs, s.startMs), holdNowMs)) {
          result.skipped.push({ path: s.path, reason: 'held' });
          continue;
        }
        if (this.stmts.claim.run(p.sha256, s.id, s.endMs, s.bytes).changes !== 1) {
          result.skipped.push({ path: s.path, reason: 'changed in the index since the plan' });
          continue;
        }
        const auditId = this.audit.begin({
          segmentId: s.id,
          path: s.path,
          cameraId: s.cameraId,
          startMs: s.startMs,
          endMs: s.endMs,
          bytes: s.bytes,
          sha256: p.sha256,
          reason: p.d.reason,
          decidedMs,
        });
        claimed.push({ p, auditId });
      }
    })();
    if (claimed.length === 0) return;

    this.deps.failures?.crashAfterAudit?.();

    const gone: typeof claimed = [];
    const unlinked = await Promise.all(
      claimed.map((c) =>
        unlink(c.p.abs).then(
          () => null,
          (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : err),
        ),
      ),
    );
    claimed.forEach((c, k) => {
      const err = unlinked[k];
      if (!err) gone.push(c);
      else {
        // The audit row stays incomplete and the segment 'deleting': recover() retries it.
        this.deps.logger.error({ err, path: c.p.d.segment.path }, 'cannot remove a segment; retried by the next sweep');
        result.skipped.push({ path: c.p.d.segment.path, reason: `unlink failed: ${err.message}` });
      }
    });
    const deletedMs = this.deps.now().getTime();
    this.deps.db.transaction(() => {
      for (const c of gone) {
        this.audit.complete(c.auditId, deletedMs);
        this.stmts.setState.run('deleted', c.p.d.segment.id);
      }
    })();
    const dirs = new Set<string>();
    for (const c of gone) {
      const s = c.p.d.segment;
      dirs.add(dirname(c.p.abs));
      result.deleted.push({
        segmentId: s.id,
        auditId: c.auditId,
        path: s.path,
        cameraId: s.cameraId,
        startMs: s.startMs,
        endMs: s.endMs,
        bytes: s.bytes,
        sha256: c.p.sha256,
        reason: c.p.d.reason,
      });
      result.freedBytes += s.bytes;
    }
    for (const dir of dirs) removeEmptyDayDir(dir, this.deps.root);
  }
}

function statSize(abs: string): number | null {
  try {
    return statSync(abs).size;
  } catch {
    return null;
  }
}

/**
 * Removes the day directory of deleted files once it is empty (rmdir refuses a non-empty
 * one). Camera directories stay: the recorder may be about to write into them.
 */
function removeEmptyDayDir(dir: string, root: string): void {
  if (dirname(dir) === resolve(root)) return; // a camera directory, not a day
  if (!dir.startsWith(resolve(root) + sep)) return;
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}
