import type { Database } from '../../drivers/store/index.js';

export type SegmentState = 'present' | 'missing' | 'deleting' | 'deleted';

export interface Segment {
  id: number;
  cameraId: string;
  /** Relative to storage.root, POSIX separators. */
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
  sha256: string | null;
  state: SegmentState;
}

interface Row {
  id: number;
  camera_id: string;
  path: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  sha256: string | null;
  state: string;
}

const toSegment = (r: Row): Segment => ({
  id: r.id,
  cameraId: r.camera_id,
  path: r.path,
  startMs: r.start_ms,
  endMs: r.end_ms,
  bytes: r.bytes,
  sha256: r.sha256,
  state: r.state as SegmentState,
});

/**
 * The segment index (table `segments`), shared by the recorder (which adds closed
 * segments), retention (which plans and audits deletions) and the linkage (queries).
 */
export class SegmentStore {
  constructor(private readonly db: Database) {}

  /** Adds a closed segment, or refreshes end/bytes of one already indexed at that path. Returns its id. */
  upsert(seg: { cameraId: string; path: string; startMs: number; endMs: number; bytes: number; sha256: string | null }, nowMs: number): number {
    const row = this.db
      .prepare<[unknown], { id: number }>(
        `INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, sha256, state, indexed_ms)
         VALUES (@cameraId, @path, @startMs, @endMs, @bytes, @sha256, 'present', @nowMs)
         ON CONFLICT(path) DO UPDATE SET end_ms = excluded.end_ms, bytes = excluded.bytes,
           sha256 = coalesce(excluded.sha256, segments.sha256),
           state = CASE WHEN segments.state = 'missing' THEN 'present' ELSE segments.state END
         RETURNING id`,
      )
      .get({ ...seg, nowMs });
    if (!row) throw new Error(`could not index ${seg.path}`);
    return row.id;
  }

  setHash(id: number, sha256: string): void {
    this.db.prepare('UPDATE segments SET sha256 = ? WHERE id = ?').run(sha256, id);
  }

  setState(id: number, state: SegmentState): void {
    this.db.prepare('UPDATE segments SET state = ? WHERE id = ?').run(state, id);
  }

  byPath(path: string): Segment | null {
    const r = this.db.prepare<[string], Row>('SELECT * FROM segments WHERE path = ?').get(path);
    return r ? toSegment(r) : null;
  }

  byId(id: number): Segment | null {
    const r = this.db.prepare<[number], Row>('SELECT * FROM segments WHERE id = ?').get(id);
    return r ? toSegment(r) : null;
  }

  /** Segments of a camera overlapping [fromMs, toMs), oldest first. */
  range(cameraId: string, fromMs: number, toMs: number, states: SegmentState[] = ['present']): Segment[] {
    const marks = states.map(() => '?').join(', ');
    return this.db
      .prepare<unknown[], Row>(
        `SELECT * FROM segments WHERE camera_id = ? AND start_ms < ? AND end_ms > ? AND state IN (${marks}) ORDER BY start_ms`,
      )
      .all(cameraId, toMs, fromMs, ...states)
      .map(toSegment);
  }

  /** Every segment in the given states, oldest end first (retention planning). */
  all(states: SegmentState[] = ['present']): Segment[] {
    const marks = states.map(() => '?').join(', ');
    return this.db.prepare<unknown[], Row>(`SELECT * FROM segments WHERE state IN (${marks}) ORDER BY end_ms, id`).all(...states).map(toSegment);
  }

  /** Segments still waiting for their hash (adopted files are hashed lazily). */
  unhashed(limit: number): Segment[] {
    return this.db.prepare<[number], Row>("SELECT * FROM segments WHERE sha256 IS NULL AND state = 'present' ORDER BY id LIMIT ?").all(limit).map(toSegment);
  }
}
