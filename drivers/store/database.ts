import BetterSqlite3, { type Database } from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from './errors.js';
import type { Migration } from './migrations.js';

export type { Database } from 'better-sqlite3';

export interface OpenOptions {
  migrations: Migration[];
  /** Used to name a database moved aside; injected so tests control it. */
  now: () => Date;
  /** Wait this long for a lock held by another process before failing with `locked`. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

export interface ReplacedDatabase {
  /** Where the unreadable database now is: it is evidence, never deleted. */
  movedTo: string;
  reason: string;
}

export interface OpenedStore {
  db: Database;
  /** Set when the file failed its integrity check and a fresh one was created. */
  replaced: ReplacedDatabase | null;
  /** Schema versions applied during this open (empty when already current). */
  migrated: number[];
}

/**
 * Opens (or creates) the agent's database: WAL, synchronous=FULL (what the law needs
 * must survive a power cut, not only a crash), foreign keys, quick_check, migrations.
 * A file that fails quick_check is moved aside — never deleted — and a fresh one made.
 */
export function openStore(file: string, opts: OpenOptions): OpenedStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let replaced: ReplacedDatabase | null = null;
  let db: Database;
  try {
    db = connect(file, opts);
    const problem = integrityProblem(db);
    if (problem) {
      db.close();
      replaced = moveAside(file, problem, opts.now());
      db = connect(file, opts);
    }
    if (!opts.readonly) probeWriteLock(db);
  } catch (err) {
    if (isLocked(err)) {
      // Said plainly: which file, that another process holds it, how long we waited. The
      // caller exits non-zero and the service manager starts us again (a retry), so a
      // backup or a technician's sqlite3 session only delays the start.
      const waited = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
      throw new StoreError('locked', `database ${file} is locked by another process (it holds the write lock; waited ${waited} ms): close that process (sqlite3 shell, backup, a second agent) and the agent will start`, { cause: err });
    }
    if (!isCorruption(err) || opts.readonly) throw wrapIo(file, err);
    replaced = moveAside(file, describe(err), opts.now());
    db = connect(file, opts);
  }
  const migrated = opts.readonly ? [] : migrate(db, opts.migrations, file);
  return { db, replaced, migrated };
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

function connect(file: string, opts: OpenOptions): Database {
  const db = new BetterSqlite3(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
  if (!opts.readonly) {
    // journal_mode is the first statement that really reads the file: a non-database throws here.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    immediateTransactions(db);
  }
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Transactions take the write lock at BEGIN (IMMEDIATE) instead of at their first write.
 * A deferred transaction that has read and then writes while another process holds the
 * write lock gets SQLITE_BUSY at once — SQLite does not call the busy handler there (it
 * could deadlock) — so busy_timeout never applied and a service threw mid-run. Taking the
 * lock first makes such a transaction wait like any other write. Nested calls stay
 * savepoints; `.deferred()` is still there for a caller that wants it.
 */
function immediateTransactions(db: Database): void {
  const plain = db.transaction.bind(db);
  db.transaction = ((fn: Parameters<typeof plain>[0]) => plain(fn).immediate) as typeof db.transaction;
}

/** Takes and gives back the write lock: another process holding it shows here, not in a service. */
function probeWriteLock(db: Database): void {
  db.exec('BEGIN IMMEDIATE');
  db.exec('ROLLBACK');
}

function integrityProblem(db: Database): string | null {
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  const messages = rows.map((r) => r.quick_check);
  return messages.length === 1 && messages[0] === 'ok' ? null : `quick_check: ${messages.slice(0, 5).join('; ')}`;
}

/** Renames the database and its WAL/SHM companions to `<file>.corrupt-<time>[-wal|-shm]`. */
function moveAside(file: string, reason: string, now: Date): ReplacedDatabase {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const movedTo = `${file}.corrupt-${stamp}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, movedTo + suffix);
  }
  return { movedTo, reason };
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Database, list: Migration[], file: string): number[] {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 1..n without gaps; found ${m.version} at ${i + 1}`);
  });
  const current = schemaVersion(db);
  const latest = sorted.length;
  if (current > latest) {
    throw new StoreError(
      'newer_schema',
      `database ${file} has schema version ${current}, newer than this agent knows (${latest}); run the newer agent or restore a backup`,
    );
  }
  const applied: number[] = [];
  for (const m of sorted.slice(current)) {
    try {
      // The schema change and its version number commit together or not at all.
      db.transaction(() => {
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } catch (err) {
      throw new StoreError('migration_failed', `migration ${m.version} (${m.name}) failed: ${describe(err)}`, { cause: err });
    }
    applied.push(m.version);
  }
  return applied;
}

function sqliteCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_');
}

function isLocked(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function wrapIo(file: string, err: unknown): StoreError {
  return new StoreError('io', `cannot open database ${file}: ${describe(err)}`, { cause: err });
}
