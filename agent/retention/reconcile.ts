// Index and disk reconciled (at start, before a CLI plan/sweep, and daily):
//   - a file in the layout that the index does not know is adopted (start from its name,
//     end from its mtime, SHA-256 later: the sweeper hashes before it deletes);
//   - an indexed segment whose file is gone is flagged 'missing' and reported
//     (recording.missing) — never silently forgotten;
//   - a missing file that is back is 'present' again;
//   - anything not in the layout is left alone and listed (the caller logs it once).
// A file still being written (the recorder's open segment, or modified within settleMs)
// is left for the recorder to index when it closes.
import { opendir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import type { EventRecorder } from '../events/index.js';
import { parseSegmentPath } from '../recording/layout.js';
import type { SegmentFact } from './policy.js';

export interface ReconcileDeps {
  db: Database;
  root: string;
  timeZone: string;
  nowMs: number;
  /** The recorder's open segments (relative paths). */
  isOpen?: (relPath: string) => boolean;
  /** Files modified more recently than this are still being written; default 2 min. */
  settleMs?: number;
  /** Compute only (cea retention plan): the index is not touched. */
  dryRun?: boolean;
  /** Raises recording.missing in the same transaction as the state change. */
  recorder?: EventRecorder;
  logger?: Logger;
  /** Stops the walk between directories; an interrupted walk changes nothing. */
  signal?: AbortSignal;
}

export interface MissingSegment {
  id: number;
  cameraId: string;
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
}

export interface ReconcileResult {
  /** Files adopted into the index (in a dry run, as they would be, with the ids they would get). */
  adopted: SegmentFact[];
  /** Indexed segments whose file is gone (flagged 'missing' unless dry run). */
  missing: MissingSegment[];
  /** Missing segments whose file is back. */
  restored: number;
  /** Relative paths not in the layout. */
  ignored: string[];
  /** Files seen in the layout. */
  scanned: number;
  /** Set when the scan could not be trusted (root absent or unreadable): nothing was flagged. */
  problem: string | null;
  /** The problem's stable code and values (agent/i18n/retention.ts renders it per language). */
  problemCode?: { code: string; params: Record<string, unknown> };
}

interface IndexRow {
  id: number;
  camera_id: string;
  path: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  state: string;
}

const CAMERA_DIR = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  const { db, root, nowMs } = deps;
  const settleMs = deps.settleMs ?? 120_000;
  const result: ReconcileResult = { adopted: [], missing: [], restored: 0, ignored: [], scanned: 0, problem: null };

  const indexed = new Map<string, IndexRow>();
  for (const r of db
    .prepare<[], IndexRow>("SELECT id, camera_id, path, start_ms, end_ms, bytes, state FROM segments WHERE state IN ('present', 'missing')")
    .iterate()) {
    indexed.set(r.path, r);
  }

  if (!existsSync(root)) {
    result.problem = `storage root ${root} does not exist (not mounted?)`;
    result.problemCode = { code: 'reconcile.rootMissing', params: { root } };
    return result;
  }
  const seen = new Set<string>();
  // Directories that could not be read: their indexed files are not judged missing.
  const unreadable: string[] = [];
  const found: { rel: string; cameraId: string; startMs: number }[] = [];

  const entries = async (dir: string): Promise<{ name: string; dir: boolean; file: boolean }[] | null> => {
    if (deps.signal?.aborted) return null;
    try {
      const out: { name: string; dir: boolean; file: boolean }[] = [];
      for await (const e of await opendir(dir)) out.push({ name: e.name, dir: e.isDirectory(), file: e.isFile() });
      return out;
    } catch {
      return null;
    }
  };

  const top = await entries(root);
  if (top === null) {
    result.problem = `storage root ${root} cannot be read`;
    result.problemCode = { code: 'reconcile.rootUnreadable', params: { root } };
    return result;
  }
  for (const cam of top) {
    if (!cam.dir || !CAMERA_DIR.test(cam.name)) {
      result.ignored.push(cam.name);
      continue;
    }
    const days = await entries(join(root, cam.name));
    if (days === null) {
      unreadable.push(`${cam.name}/`);
      continue;
    }
    for (const day of days) {
      if (!day.dir || !DAY_DIR.test(day.name)) {
        result.ignored.push(`${cam.name}/${day.name}`);
        continue;
      }
      const files = await entries(join(root, cam.name, day.name));
      if (files === null) {
        unreadable.push(`${cam.name}/${day.name}/`);
        continue;
      }
      for (const f of files) {
        const rel = `${cam.name}/${day.name}/${f.name}`;
        if (indexed.has(rel)) {
          if (f.file) {
            seen.add(rel);
            result.scanned += 1;
          }
          continue;
        }
        // Only unknown files pay for parsing their name.
        const parsed = f.file ? parseSegmentPath(rel, deps.timeZone) : null;
        if (!parsed) {
          result.ignored.push(rel);
          continue;
        }
        result.scanned += 1;
        found.push({ rel, cameraId: parsed.cameraId, startMs: parsed.startMs });
      }
    }
  }

  if (deps.signal?.aborted) {
    // Half a walk proves nothing missing.
    result.problem = 'reconciliation interrupted';
    result.problemCode = { code: 'reconcile.interrupted', params: {} };
    result.ignored = [];
    return result;
  }

  // Unknown files: adopt what is settled. A row 'deleting' is the sweeper's (its audit row is written).
  const toAdopt: Omit<SegmentFact, 'id'>[] = [];
  const stateOf = db.prepare<[string], { state: string }>('SELECT state FROM segments WHERE path = ?');
  for (const f of found) {
    if (deps.isOpen?.(f.rel)) continue;
    const known = stateOf.get(f.rel);
    if (known && known.state !== 'deleted') continue;
    let st;
    try {
      st = await stat(join(root, f.rel));
    } catch {
      continue; // gone meanwhile
    }
    if (st.mtimeMs > nowMs - settleMs) continue;
    toAdopt.push({
      cameraId: f.cameraId,
      path: f.rel,
      startMs: f.startMs,
      endMs: Math.max(Math.floor(st.mtimeMs), f.startMs),
      bytes: st.size,
      sha256: null,
      indexedMs: nowMs,
    });
  }

  for (const [path, row] of indexed) {
    if (seen.has(path)) {
      if (row.state === 'missing') result.restored += 1;
    } else if (row.state === 'present' && !unreadable.some((u) => path.startsWith(u))) {
      result.missing.push({ id: row.id, cameraId: row.camera_id, path, startMs: row.start_ms, endMs: row.end_ms, bytes: row.bytes });
    }
  }
  // An empty root while the index lists recordings is far likelier an unmounted disk than
  // every file lost at once: report it, flag nothing.
  if (result.scanned === 0 && result.missing.length > 0 && result.missing.length === countPresent(indexed)) {
    result.problem = `storage root ${root} holds no recordings but the index lists ${result.missing.length}: not mounted?`;
    result.problemCode = { code: 'reconcile.rootEmpty', params: { root, indexed: result.missing.length } };
    result.missing = [];
  }

  if (deps.dryRun) {
    let next = (db.prepare<[], { m: number | null }>('SELECT max(id) AS m FROM segments').get()?.m ?? 0) + 1;
    result.adopted = toAdopt.map((s) => ({ ...s, id: next++ }));
    return result;
  }
  const adopt = db.prepare<[unknown], { id: number }>(
    `INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, sha256, state, indexed_ms)
     VALUES (@cameraId, @path, @startMs, @endMs, @bytes, NULL, 'present', @indexedMs)
     ON CONFLICT(path) DO UPDATE SET start_ms = excluded.start_ms, end_ms = excluded.end_ms, bytes = excluded.bytes,
       sha256 = NULL, state = 'present', indexed_ms = excluded.indexed_ms
     WHERE segments.state = 'deleted'
     RETURNING id`,
  );
  const restore = db.prepare<[string]>("UPDATE segments SET state = 'present' WHERE path = ? AND state = 'missing'");
  const markMissing = db.prepare<[number]>("UPDATE segments SET state = 'missing' WHERE id = ? AND state = 'present'");
  const apply = (append?: Parameters<Parameters<EventRecorder['withFact']>[0]>[0]) => {
    for (const s of toAdopt) {
      // A 'deleted' row at the same path: a new file under an old name; 'deleting' rows are the sweeper's.
      const row = adopt.get(s);
      if (row) result.adopted.push({ ...s, id: row.id });
    }
    for (const [path, row] of indexed) if (row.state === 'missing' && seen.has(path)) restore.run(path);
    const flagged = result.missing.filter((m) => markMissing.run(m.id).changes === 1);
    result.missing = flagged;
    if (append) for (const e of missingEvents(flagged)) append(e);
  };
  if (deps.recorder) deps.recorder.withFact((append) => apply(append));
  else db.transaction(() => apply())();
  if (result.adopted.length > 0) deps.logger?.info({ adopted: result.adopted.length }, 'unindexed recordings adopted into the index');
  if (result.missing.length > 0) deps.logger?.error({ missing: result.missing.length, first: result.missing[0]?.path }, 'indexed recordings are missing from the disk');
  return result;
}

function countPresent(indexed: Map<string, IndexRow>): number {
  let n = 0;
  for (const r of indexed.values()) if (r.state === 'present') n += 1;
  return n;
}

/** One recording.missing per camera: the range, the count and the first paths. */
export function missingEvents(missing: readonly MissingSegment[]): { type: 'recording.missing'; severity: 'critical'; camera: string; data: Record<string, unknown> }[] {
  const byCamera = new Map<string, MissingSegment[]>();
  for (const m of missing) {
    let list = byCamera.get(m.cameraId);
    if (!list) byCamera.set(m.cameraId, (list = []));
    list.push(m);
  }
  return [...byCamera].map(([camera, list]) => ({
    type: 'recording.missing' as const,
    severity: 'critical' as const,
    camera,
    data: {
      count: list.length,
      bytes: list.reduce((n, m) => n + m.bytes, 0),
      from: new Date(list.reduce((t, m) => Math.min(t, m.startMs), Infinity)).toISOString(),
      to: new Date(list.reduce((t, m) => Math.max(t, m.endMs), -Infinity)).toISOString(),
      paths: list.slice(0, 20).map((m) => m.path),
    },
  }));
}
