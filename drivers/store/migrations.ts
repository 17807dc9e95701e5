import type { Database } from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3 … in order; becomes PRAGMA user_version once applied. Never renumber or edit a shipped one. */
  version: number;
  name: string;
  up(db: Database): void;
}

// Forward-only. A new capability adds a migration at the end; shipped ones never change,
// because boxes in the field already carry them.
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'foundation: meta, sequences, event outbox',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        -- Monotonic counters that must survive restarts (e.g. the per-site event seq).
        CREATE TABLE sequences (
          name  TEXT PRIMARY KEY,
          value INTEGER NOT NULL
        ) STRICT;

        -- Events for the platform. A row is deleted only after the broker's PUBACK.
        CREATE TABLE outbox (
          seq        INTEGER PRIMARY KEY,
          id         TEXT NOT NULL UNIQUE,
          site       TEXT NOT NULL,
          ts         TEXT NOT NULL,
          type       TEXT NOT NULL,
          severity   TEXT NOT NULL,
          camera     TEXT,
          data       TEXT NOT NULL,
          attempts   INTEGER NOT NULL DEFAULT 0
        ) STRICT;
      `);
    },
  },
];
