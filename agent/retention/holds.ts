// Holds: time ranges of a camera's recordings that retention must keep (table `holds`).
// vital: material of vital value, kept the profile's vitalHoldDays from creation
// (Liaoning Art. 14 (vii): one year); legal: until released. A release is recorded on
// the row (who, when, why) — rows are never deleted, they are the audit.
import { randomUUID } from 'node:crypto';
import type { Database } from '../../drivers/store/index.js';
import { DAY_MS, holdActive, type HoldFact } from './policy.js';

export { holdActive };

export type HoldKind = 'vital' | 'legal';

export interface Hold extends HoldFact {
  reason: string;
  createdMs: number;
  createdBy: string;
  releasedBy: string | null;
  releaseReason: string | null;
}

/** The wire shape (CLI `hold`, MQTT `hold.*`): ISO times, null for open ends. */
export interface HoldJson {
  id: string;
  camera: string;
  from: string;
  to: string;
  kind: HoldKind;
  until: string | null;
  reason: string;
  createdAt: string;
  createdBy: string;
  released: { at: string; by: string | null; reason: string | null } | null;
  active: boolean;
}

export interface NewHold {
  cameraId: string;
  fromMs: number;
  toMs: number;
  kind: HoldKind;
  reason: string;
  createdBy: string;
}

export type HoldErrorCode = 'bad_request' | 'not_found' | 'forbidden' | 'conflict';

export class HoldError extends Error {
  override name = 'HoldError';
  constructor(
    readonly code: HoldErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const CAMERA_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_REASON = 2000;

interface Row {
  id: string;
  camera_id: string;
  from_ms: number;
  to_ms: number;
  kind: string;
  reason: string;
  created_ms: number;
  created_by: string;
  until_ms: number | null;
  released_ms: number | null;
  released_by: string | null;
  release_reason: string | null;
}

const toHold = (r: Row): Hold => ({
  id: r.id,
  cameraId: r.camera_id,
  fromMs: r.from_ms,
  toMs: r.to_ms,
  kind: r.kind as HoldKind,
  reason: r.reason,
  createdMs: r.created_ms,
  createdBy: r.created_by,
  untilMs: r.until_ms,
  releasedMs: r.released_ms,
  releasedBy: r.released_by,
  releaseReason: r.release_reason,
});

export function holdJson(h: Hold, nowMs: number): HoldJson {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: h.id,
    camera: h.cameraId,
    from: iso(h.fromMs),
    to: iso(h.toMs),
    kind: h.kind,
    until: h.untilMs === null ? null : iso(h.untilMs),
    reason: h.reason,
    createdAt: iso(h.createdMs),
    createdBy: h.createdBy,
    released: h.releasedMs === null ? null : { at: iso(h.releasedMs), by: h.releasedBy, reason: h.releaseReason },
    active: holdActive(h, nowMs),
  };
}

/** Checks a request before it is stored; throws HoldError('bad_request'). Shared by the CLI and the platform verb. */
export function validateNewHold(h: NewHold): NewHold {
  if (!CAMERA_ID.test(h.cameraId)) throw new HoldError('bad_request', `camera "${h.cameraId}" is not a camera id`);
  if (!Number.isFinite(h.fromMs) || !Number.isFinite(h.toMs)) throw new HoldError('bad_request', 'from and to must be times');
  if (h.fromMs >= h.toMs) throw new HoldError('bad_request', 'from must be before to');
  if (h.kind !== 'vital' && h.kind !== 'legal') throw new HoldError('bad_request', `kind must be vital or legal, not "${String(h.kind)}"`);
  const reason = h.reason.trim();
  if (reason === '') throw new HoldError('bad_request', 'a hold needs a reason (who asked, which case)');
  if (reason.length > MAX_REASON) throw new HoldError('bad_request', `the reason is longer than ${MAX_REASON} characters`);
  const createdBy = h.createdBy.trim();
  if (createdBy === '') throw new HoldError('bad_request', 'a hold needs the name of who creates it');
  return { ...h, reason, createdBy };
}

export class HoldStore {
  private readonly coversStmt;

  constructor(
    private readonly db: Database,
    private readonly newId: () => string = randomUUID,
  ) {
    this.coversStmt = db.prepare<[string, number, number, number], { one: number }>(
      'SELECT 1 AS one FROM holds WHERE camera_id = ? AND from_ms < ? AND to_ms > ? AND released_ms IS NULL AND (until_ms IS NULL OR until_ms > ?) LIMIT 1',
    );
  }

  /** Stores a validated hold. vital holds last vitalHoldDays from now; legal ones until released. */
  add(request: NewHold, nowMs: number, vitalHoldDays: number): Hold {
    const h = validateNewHold(request);
    const hold: Hold = {
      id: this.newId(),
      cameraId: h.cameraId,
      fromMs: h.fromMs,
      toMs: h.toMs,
      kind: h.kind,
      reason: h.reason,
      createdMs: nowMs,
      createdBy: h.createdBy,
      untilMs: h.kind === 'vital' ? nowMs + vitalHoldDays * DAY_MS : null,
      releasedMs: null,
      releasedBy: null,
      releaseReason: null,
    };
    this.db
      .prepare(
        `INSERT INTO holds (id, camera_id, from_ms, to_ms, kind, reason, created_ms, created_by, until_ms)
         VALUES (@id, @cameraId, @fromMs, @toMs, @kind, @reason, @createdMs, @createdBy, @untilMs)`,
      )
      .run(hold);
    return hold;
  }

  get(id: string): Hold | null {
    const r = this.db.prepare<[string], Row>('SELECT * FROM holds WHERE id = ?').get(id);
    return r ? toHold(r) : null;
  }

  /** Every hold, released and expired ones too, newest first. */
  list(): Hold[] {
    return this.db.prepare<[], Row>('SELECT * FROM holds ORDER BY created_ms DESC, id').all().map(toHold);
  }

  /** Holds that protect recordings at `nowMs` (not released, not expired). */
  active(nowMs: number): Hold[] {
    return this.db
      .prepare<[number], Row>('SELECT * FROM holds WHERE released_ms IS NULL AND (until_ms IS NULL OR until_ms > ?) ORDER BY camera_id, from_ms')
      .all(nowMs)
      .map(toHold);
  }

  /** Is [startMs, endMs) of a camera inside an active hold? The sweeper asks just before it deletes. */
  covers(cameraId: string, startMs: number, endMs: number, nowMs: number): boolean {
    return this.coversStmt.get(cameraId, endMs, startMs, nowMs) !== undefined;
  }

  /**
   * Ends a legal hold (the row stays, with who and why). A vital hold cannot be released:
   * the law keeps material of vital value for its period; it expires by itself.
   */
  release(id: string, by: string, reason: string, nowMs: number): Hold {
    const hold = this.get(id);
    if (!hold) throw new HoldError('not_found', `no hold ${id}`);
    if (hold.releasedMs !== null) throw new HoldError('conflict', `hold ${id} was already released on ${new Date(hold.releasedMs).toISOString()}`);
    if (hold.kind === 'vital') {
      const until = hold.untilMs === null ? 'its end' : new Date(hold.untilMs).toISOString();
      throw new HoldError('forbidden', `hold ${id} is vital: material of vital value is kept for the profile's period (Liaoning Art. 14 (vii)); it expires on ${until}`);
    }
    if (reason.trim() === '') throw new HoldError('bad_request', 'a release needs a reason');
    if (by.trim() === '') throw new HoldError('bad_request', 'a release needs the name of who releases it');
    this.db
      .prepare('UPDATE holds SET released_ms = ?, released_by = ?, release_reason = ? WHERE id = ? AND released_ms IS NULL')
      .run(nowMs, by.trim(), reason.trim(), id);
    return this.get(id) as Hold;
  }
}
