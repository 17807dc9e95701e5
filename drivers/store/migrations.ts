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
  {
    version: 2,
    name: 'inventory: discovered devices, camera presence, interrogation history',
    up(db) {
      db.exec(`
        -- Every device WS-Discovery has heard of, configured or not.
        CREATE TABLE devices (
          urn         TEXT PRIMARY KEY,
          xaddrs      TEXT NOT NULL,        -- JSON array
          scopes      TEXT NOT NULL,        -- JSON array
          types       TEXT NOT NULL,        -- JSON array
          camera_id   TEXT,                 -- the configured camera it is, if any
          first_seen  TEXT NOT NULL,
          last_seen   TEXT NOT NULL,
          reported_at TEXT,                 -- when camera.discovered went out for it
          gone_at     TEXT                  -- a Bye was heard (cleared when it is seen again)
        ) STRICT;

        -- What the agent believes now about each configured camera.
        CREATE TABLE camera_state (
          camera_id            TEXT PRIMARY KEY,
          urn                  TEXT,
          online               INTEGER,     -- NULL = not known yet
          since                TEXT,        -- when online last changed
          consecutive_failures INTEGER NOT NULL DEFAULT 0,
          auth_failed          INTEGER NOT NULL DEFAULT 0,
          last_seen            TEXT,
          last_error_code      TEXT,
          last_error           TEXT,
          time_offset_ms       INTEGER,
          snapshot_id          INTEGER      -- latest inventory_snapshots row
        ) STRICT;

        -- Interrogation history: a row only when the camera differs from its previous row.
        CREATE TABLE inventory_snapshots (
          id        INTEGER PRIMARY KEY,
          camera_id TEXT NOT NULL,
          taken_at  TEXT NOT NULL,
          hash      TEXT NOT NULL,
          record    TEXT NOT NULL           -- JSON InventoryRecord
        ) STRICT;
        CREATE INDEX inventory_snapshots_by_camera ON inventory_snapshots (camera_id, id);
      `);
    },
  },
  {
    version: 3,
    name: 'changes: fingerprints, change reports with working-day deadlines',
    up(db) {
      db.exec(`
        -- The last fingerprint per scope ('site' or 'camera:<id>'): what a change is measured against.
        CREATE TABLE fingerprints (
          scope       TEXT PRIMARY KEY,
          hash        TEXT NOT NULL,
          fingerprint TEXT NOT NULL,        -- JSON, canonical
          taken_at    TEXT NOT NULL
        ) STRICT;

        -- Changes detected but not yet in a report: a burst within the debounce window is one report.
        CREATE TABLE pending_changes (
          id          INTEGER PRIMARY KEY,
          scope       TEXT NOT NULL,
          detected_at TEXT NOT NULL,
          diff        TEXT NOT NULL,        -- JSON [{path, before, after}]
          source      TEXT NOT NULL         -- interrogation | onvif_event | config | agent
        ) STRICT;

        -- Liaoning Art. 12: every change reported within N working days, tracked until acknowledged.
        CREATE TABLE change_reports (
          id              TEXT PRIMARY KEY, -- uuid, the platform's handle (report.ack reportId)
          number          INTEGER NOT NULL UNIQUE, -- 1, 2, 3 … per site, for people
          site            TEXT NOT NULL,
          detected_at     TEXT NOT NULL,    -- first change of the burst
          created_at      TEXT NOT NULL,
          changes         TEXT NOT NULL,    -- JSON [{scope, path, before, after}]
          cameras         TEXT NOT NULL,    -- JSON [cameraId]
          working_days    INTEGER NOT NULL,
          deadline        TEXT NOT NULL,    -- YYYY-MM-DD, site time zone
          calendar_known  INTEGER NOT NULL,
          state           TEXT NOT NULL CHECK (state IN ('pending', 'reported', 'overdue', 'acknowledged')),
          event_id        TEXT,             -- the config.changed event that carried it
          reported_at     TEXT,             -- the broker acknowledged that event (PUBACK)
          reminded_at     TEXT,             -- the reminder a working day before the deadline
          overdue_at      TEXT,
          acknowledged_at TEXT,
          receipt_no      TEXT
        ) STRICT;
        CREATE INDEX change_reports_open ON change_reports (state, deadline);
      `);
    },
  },
];
