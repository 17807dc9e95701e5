import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { rowHash, verifyChain, type AccessRawRow } from '../../agent/access/chain.js';
import { AccessRegister, type NewAccessEntry } from '../../agent/access/register.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { makeTempDir } from '../helpers/tmp.js';

// The access register's chain: an edited row, a deleted row (middle, first) and a cut
// tail (with a checkpoint) are all found. Tampering goes the attacker's way: open the
// SQLite file directly and drop the append-only triggers first.

const T0 = Date.parse('2026-05-01T08:00:00Z');
const temps: (() => void)[] = [];
afterEach(() => temps.splice(0).forEach((r) => r()));

function setup(): { file: string; db: Database; reg: AccessRegister; tick: () => void } {
  const { dir, remove } = makeTempDir();
  temps.push(remove);
  const file = join(dir, 'agent.db');
  let now = T0;
  const { db } = openStore(file, { migrations, now: () => new Date(now) });
  temps.unshift(() => db.close());
  const recorder = new EventRecorder(db, new Outbox({ db, site: 's', now: () => new Date(now), newId: randomUUID }), new EventBus(silentLogger()));
  return { file, db, reg: new AccessRegister({ db, recorder, now: () => new Date(now) }), tick: () => (now += 60_000) };
}

function entry(i: number, result: NewAccessEntry['result'] = 'granted'): NewAccessEntry {
  return {
    verb: i % 2 ? 'snapshot' : 'recordings.query',
    cameras: [`cam-${i}`],
    fromMs: i % 2 ? null : T0 - 3_600_000,
    toMs: i % 2 ? null : T0,
    requester: 'platform-key-1',
    staff: ['police-7', 'police-9'],
    approvalDoc: null,
    lawDoc: null,
    purpose: `case ${i}`,
    result,
    detail: { requestId: `r-${i}`, note: '中文 ok' },
  };
}

/** What an attacker does: a second connection to the file, triggers gone, then the edit. */
function tamper(file: string, sql: string, ...params: unknown[]): void {
  const raw = new BetterSqlite3(file);
  raw.exec('DROP TRIGGER IF EXISTS access_register_no_delete; DROP TRIGGER IF EXISTS access_register_no_update;');
  raw.prepare(sql).run(...params);
  raw.close();
}

describe('access register chain', () => {
  it('numbers rows without gaps, links each to the previous and verifies', () => {
    const { db, reg, tick } = setup();
    const rows = [1, 2, 3, 4].map((i) => {
      tick();
      return reg.record(entry(i, i === 3 ? 'refused:forbidden' : 'granted'));
    });
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(rows[0]?.prevHash).toBe('');
    expect(rows[1]?.prevHash).toBe(rows[0]?.hash);
    expect(reg.verify()).toEqual({ ok: true, rows: 4 });
    // A grant raised access.granted in the same transaction; the refusal raised none.
    const events = db.prepare<[], { data: string }>("SELECT data FROM outbox WHERE type = 'access.granted' ORDER BY seq").all();
    expect(events.map((e) => (JSON.parse(e.data) as { seq: number }).seq)).toEqual([1, 2, 4]);
    expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({ seq: 1, id: rows[0]?.id, hash: rows[0]?.hash, verb: 'snapshot', cameras: ['cam-1'], requester: 'platform-key-1' });
  });

  it('the triggers refuse updates and deletes', () => {
    const { db, reg } = setup();
    reg.record(entry(1));
    expect(() => db.prepare("UPDATE access_register SET purpose = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM access_register').run()).toThrow(/append-only/);
  });

  it('finds an edited row', () => {
    const { file, reg, tick } = setup();
    for (const i of [1, 2, 3]) {
      tick();
      reg.record(entry(i));
    }
    tamper(file, "UPDATE access_register SET purpose = 'nothing to see' WHERE seq = 2");
    expect(reg.verify()).toMatchObject({ ok: false, rows: 3, firstBadSeq: 2, problem: 'hash_mismatch' });
  });

  it('finds an edited row even when its hash was recomputed (the next link breaks)', () => {
    const { file, db, reg } = setup();
    for (const i of [1, 2, 3]) reg.record(entry(i));
    const row = db.prepare<[], AccessRawRow>('SELECT * FROM access_register WHERE seq = 2').get() as AccessRawRow;
    const forged = { ...row, requester: 'someone-else' };
    tamper(file, 'UPDATE access_register SET requester = ?, hash = ? WHERE seq = 2', forged.requester, rowHash(forged));
    expect(reg.verify()).toMatchObject({ ok: false, firstBadSeq: 3, problem: 'prev_hash_mismatch' });
  });

  it('finds a deleted row in the middle and at the start', () => {
    const a = setup();
    for (const i of [1, 2, 3, 4]) a.reg.record(entry(i));
    tamper(a.file, 'DELETE FROM access_register WHERE seq = 3');
    expect(a.reg.verify()).toMatchObject({ ok: false, rows: 3, firstBadSeq: 3, problem: 'seq_gap' });

    const b = setup();
    for (const i of [1, 2]) b.reg.record(entry(i));
    tamper(b.file, 'DELETE FROM access_register WHERE seq = 1');
    expect(b.reg.verify()).toMatchObject({ ok: false, firstBadSeq: 1, problem: 'seq_gap' });
  });

  it('finds a deleted row whose successors were renumbered', () => {
    const { file, reg } = setup();
    for (const i of [1, 2, 3]) reg.record(entry(i));
    tamper(file, 'DELETE FROM access_register WHERE seq = 2');
    tamper(file, 'UPDATE access_register SET seq = 2 WHERE seq = 3');
    expect(reg.verify()).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'prev_hash_mismatch' });
  });

  it('a cut tail is found against a known checkpoint', () => {
    const { file, reg } = setup();
    const rows = [1, 2, 3].map((i) => reg.record(entry(i)));
    const last = rows[2];
    if (!last) throw new Error('no row');
    expect(reg.verify({ seq: last.seq, hash: last.hash }).ok).toBe(true);
    tamper(file, 'DELETE FROM access_register WHERE seq = 3');
    expect(reg.verify().ok).toBe(true); // invisible from inside, which is why checkpoints exist
    expect(reg.verify({ seq: 3, hash: last.hash })).toMatchObject({ ok: false, rows: 2, firstBadSeq: 3, problem: 'truncated' });
    expect(reg.verify({ seq: 2, hash: 'f'.repeat(64) })).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'hash_mismatch' });
  });

  it('an empty register is intact; query filters by time and camera', () => {
    const { reg, tick } = setup();
    expect(verifyChain([])).toEqual({ ok: true, rows: 0 });
    for (const i of [1, 2, 3]) {
      tick();
      reg.record(entry(i));
    }
    expect(reg.query({ camera: 'cam-2' }).map((e) => e.seq)).toEqual([2]);
    expect(reg.query({ fromMs: T0 + 120_000 }).map((e) => e.seq)).toEqual([2, 3]);
    expect(reg.query({ toMs: T0 + 120_000 }).map((e) => e.seq)).toEqual([1]);
    expect(reg.query({ limit: 2 }).map((e) => e.seq)).toEqual([2, 3]);
    expect(reg.query({ camera: 'cam-1' })[0]).toMatchObject({ staff: ['police-7', 'police-9'], detail: { note: '中文 ok' }, result: 'granted' });
  });
});
