import { closeSync, existsSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations, openStore, schemaVersion, StoreError, type Migration } from '../../drivers/store/index.js';
import { makeTempDir } from '../helpers/tmp.js';

const fixedNow = () => new Date('2026-11-27T08:00:00.000Z');

describe('store: opening, migrations, integrity', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  afterEach(() => tmp?.remove());

  it('creates a fresh database in WAL mode at the latest schema version', () => {
    tmp = makeTempDir();
    const file = join(tmp.dir, 'nested', 'agent.db');
    const { db, replaced, migrated } = openStore(file, { migrations, now: fixedNow });
    expect(replaced).toBeNull();
    expect(migrated).toEqual(migrations.map((m) => m.version));
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['meta', 'outbox', 'sequences']));
    db.close();
    // Reopening applies nothing and keeps the data.
    const again = openStore(file, { migrations, now: fixedNow });
    expect(again.migrated).toEqual([]);
    again.db.close();
  });

  it('upgrades an older database forward, keeping its rows', () => {
    tmp = makeTempDir();
    const file = join(tmp.dir, 'agent.db');
    const first = openStore(file, { migrations, now: fixedNow });
    first.db.prepare("INSERT INTO meta (key, value) VALUES ('site', 'site-0001')").run();
    first.db.close();

    const next: Migration = {
      version: migrations.length + 1,
      name: 'test: add a column',
      up: (db) => db.exec("ALTER TABLE meta ADD COLUMN note TEXT NOT NULL DEFAULT ''"),
    };
    const upgraded = openStore(file, { migrations: [...migrations, next], now: fixedNow });
    expect(upgraded.migrated).toEqual([next.version]);
    expect(schemaVersion(upgraded.db)).toBe(next.version);
    expect(upgraded.db.prepare("SELECT value, note FROM meta WHERE key = 'site'").get()).toEqual({ value: 'site-0001', note: '' });
    upgraded.db.close();
  });

  it('rolls back a failing migration whole, leaving the version where it was', () => {
    tmp = makeTempDir();
    const file = join(tmp.dir, 'agent.db');
    openStore(file, { migrations, now: fixedNow }).db.close();
    const broken: Migration = {
      version: migrations.length + 1,
      name: 'test: half-done',
      up: (db) => {
        db.exec('CREATE TABLE half (x INTEGER)');
        db.exec('THIS IS NOT SQL');
      },
    };
    expect(() => openStore(file, { migrations: [...migrations, broken], now: fixedNow })).toThrow(StoreError);
    const { db } = openStore(file, { migrations, now: fixedNow });
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a database from a newer agent instead of guessing', () => {
    tmp = makeTempDir();
    const file = join(tmp.dir, 'agent.db');
    const { db } = openStore(file, { migrations, now: fixedNow });
    db.pragma(`user_version = ${migrations.length + 5}`);
    db.close();
    try {
      openStore(file, { migrations, now: fixedNow });
      expect.unreachable('a newer schema must be refused');
    } catch (err) {
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('newer_schema');
    }
  });

  it('moves a file that is not a database aside (never deletes it) and starts fresh', () => {
    tmp = makeTempDir();
    const file = join(tmp.dir, 'agent.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const { db, replaced } = openStore(file, { migrations, now: fixedNow });
    expect(replaced).not.toBeNull();
    expect(replaced?.movedTo).toBe(`${file}.corrupt-2026-11-27T08-00-00-000Z`);
    expect(existsSync(replaced!.movedTo)).toBe(true);
    expect(schemaVersion(db)).toBe(migrations.length);
    db.close();
  });

  it('moves a database whose pages are damaged aside after quick_check fails', () => {
    tmp = makeTempDir();
    const file = join(tmp.dir, 'agent.db');
    const { db } = openStore(file, { migrations, now: fixedNow });
    db.pragma('journal_mode = DELETE');
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`k${i}`, 'x'.repeat(200));
    })();
    db.close();
    // Overwrite the middle of the file (b-tree pages of meta) with garbage, keep the header.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(16384, 0xff), 0, 16384, 8192);
    closeSync(fd);

    const reopened = openStore(file, { migrations, now: fixedNow });
    expect(reopened.replaced?.reason).toMatch(/quick_check|malformed|corrupt/i);
    expect(readdirSync(tmp.dir).some((f) => f.startsWith('agent.db.corrupt-'))).toBe(true);
    expect(reopened.db.prepare('SELECT count(*) FROM meta').pluck().get()).toBe(0);
    reopened.db.close();
  });
});
