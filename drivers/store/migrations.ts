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
  {
    version: 4,
    name: 'uptime: reachability intervals and probe state',
    up(db) {
      db.exec(`
        -- The uptime ledger: consecutive intervals per camera. 'unknown' covers time the
        -- agent itself was not running: never counted as up.
        CREATE TABLE uptime_intervals (
          id        INTEGER PRIMARY KEY,
          camera_id TEXT NOT NULL,
          state     TEXT NOT NULL CHECK (state IN ('online', 'offline', 'unknown')),
          start_ms  INTEGER NOT NULL,
          end_ms    INTEGER,                -- NULL: the open, current interval
          reason    TEXT
        ) STRICT;
        CREATE INDEX uptime_intervals_by_camera ON uptime_intervals (camera_id, start_ms);

        -- Probe bookkeeping per camera (GB/T 28181: offline after 3 missed probes).
        CREATE TABLE uptime_probes (
          camera_id            TEXT PRIMARY KEY,
          consecutive_failures INTEGER NOT NULL DEFAULT 0,
          last_probe_ms        INTEGER,
          last_ok_ms           INTEGER,
          last_error           TEXT,
          clock_skew_ms        INTEGER,
          skew_alarm           INTEGER NOT NULL DEFAULT 0
        ) STRICT;
      `);
    },
  },
  {
    version: 5,
    name: 'recordings: segment index, holds, deletion audit',
    up(db) {
      db.exec(`
        -- Every recorded segment. start from the file name, end from its mtime (DESIGN.md).
        CREATE TABLE segments (
          id         INTEGER PRIMARY KEY,
          camera_id  TEXT NOT NULL,
          path       TEXT NOT NULL UNIQUE,  -- relative to storage.root
          start_ms   INTEGER NOT NULL,
          end_ms     INTEGER NOT NULL,
          bytes      INTEGER NOT NULL,
          sha256     TEXT,                  -- NULL until hashed (adopted files are hashed lazily)
          state      TEXT NOT NULL DEFAULT 'present' CHECK (state IN ('present', 'missing', 'deleting', 'deleted')),
          indexed_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX segments_by_state_end ON segments (state, end_ms);
        CREATE INDEX segments_by_camera_start ON segments (camera_id, start_ms);

        -- Protected time ranges of a camera: vital (kept N days from creation, per the
        -- profile) and legal (until released). Released holds stay, for the audit.
        CREATE TABLE holds (
          id             TEXT PRIMARY KEY,
          camera_id      TEXT NOT NULL,
          from_ms        INTEGER NOT NULL,
          to_ms          INTEGER NOT NULL,
          kind           TEXT NOT NULL CHECK (kind IN ('vital', 'legal')),
          reason         TEXT NOT NULL,
          created_ms     INTEGER NOT NULL,
          created_by     TEXT NOT NULL,
          until_ms       INTEGER,           -- vital: created + vitalHoldDays; legal: NULL
          released_ms    INTEGER,
          released_by    TEXT,
          release_reason TEXT
        ) STRICT;
        CREATE INDEX holds_by_camera ON holds (camera_id, from_ms);

        -- Append-only: written BEFORE a file is removed, completed after (Liaoning Art. 15 (iii)).
        CREATE TABLE deletion_audit (
          id          INTEGER PRIMARY KEY,
          segment_id  INTEGER NOT NULL,
          path        TEXT NOT NULL,
          camera_id   TEXT NOT NULL,
          start_ms    INTEGER NOT NULL,
          end_ms      INTEGER NOT NULL,
          bytes       INTEGER NOT NULL,
          sha256      TEXT,
          reason      TEXT NOT NULL CHECK (reason IN ('past_ceiling', 'disk_pressure')),
          decided_ms  INTEGER NOT NULL,
          deleted_ms  INTEGER                -- NULL: decided, file not yet confirmed gone (retried)
        ) STRICT;
        CREATE TRIGGER deletion_audit_no_delete BEFORE DELETE ON deletion_audit
          BEGIN SELECT RAISE(ABORT, 'deletion_audit is append-only'); END;
        CREATE TRIGGER deletion_audit_no_rewrite BEFORE UPDATE ON deletion_audit
          WHEN OLD.deleted_ms IS NOT NULL OR NEW.path IS NOT OLD.path OR NEW.sha256 IS NOT OLD.sha256 OR NEW.reason IS NOT OLD.reason
          BEGIN SELECT RAISE(ABORT, 'deletion_audit rows are written once'); END;
      `);
    },
  },
  {
    version: 6,
    name: 'clarity: tracker state per camera, downsampled samples',
    up(db) {
      db.exec(`
        -- The clarity monitor's per-camera state (baseline, hysteresis counters), so a
        -- restart neither forgets a fault nor raises it again.
        CREATE TABLE clarity_state (
          camera_id  TEXT PRIMARY KEY,
          tracker    TEXT NOT NULL,         -- JSON, agent/clarity/policy.ts ClarityTracker
          verdict    TEXT NOT NULL,         -- ok | degraded | fault
          faults     TEXT NOT NULL,         -- JSON [code]
          metrics    TEXT NOT NULL,         -- JSON, the latest sample's
          updated_ms INTEGER NOT NULL
        ) STRICT;

        -- Trends: samples averaged into fixed buckets (e.g. 5 min) per camera.
        CREATE TABLE clarity_samples (
          camera_id TEXT NOT NULL,
          bucket_ms INTEGER NOT NULL,
          n         INTEGER NOT NULL,
          metrics   TEXT NOT NULL,          -- JSON, mean of each metric over the bucket
          faults    TEXT NOT NULL,          -- JSON {code: samples with it}
          PRIMARY KEY (camera_id, bucket_ms)
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    version: 7,
    name: 'linkage: request nonces and replies (replay protection, duplicate ids)',
    up(db) {
      db.exec(`
        -- Nonces of signed requests seen in the replay window; kept across restarts.
        CREATE TABLE request_nonces (
          nonce   TEXT PRIMARY KEY,
          key_id  TEXT NOT NULL,
          seen_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX request_nonces_by_time ON request_nonces (seen_ms);

        -- The first answer to each request id: a duplicate within the window gets it again
        -- instead of acting twice.
        CREATE TABLE request_replies (
          request_id TEXT NOT NULL,
          verb       TEXT NOT NULL,
          reply      TEXT NOT NULL,         -- JSON response payload
          at_ms      INTEGER NOT NULL,
          PRIMARY KEY (verb, request_id)
        ) STRICT;
        CREATE INDEX request_replies_by_time ON request_replies (at_ms);
      `);
    },
  },
  {
    version: 8,
    name: 'access register: append-only, hash-chained',
    up(db) {
      db.exec(`
        -- Liaoning Art. 14 (iv), 18: every use of image information, written before it happens.
        CREATE TABLE access_register (
          seq          INTEGER PRIMARY KEY,   -- 1, 2, 3 … no gaps
          id           TEXT NOT NULL UNIQUE,
          at_ms        INTEGER NOT NULL,
          verb         TEXT NOT NULL,         -- snapshot | live.open | recordings.query | recordings.export | cli.export | console.view …
          cameras      TEXT NOT NULL,         -- JSON [cameraId]
          from_ms      INTEGER,
          to_ms        INTEGER,
          requester    TEXT NOT NULL,         -- platform key id, operator account, or cli:<user>
          staff        TEXT NOT NULL,         -- JSON [staff id]
          approval_doc TEXT,
          law_doc      TEXT,
          purpose      TEXT,
          result       TEXT NOT NULL,         -- granted | refused:<code>
          detail       TEXT NOT NULL,         -- JSON
          prev_hash    TEXT NOT NULL,         -- hash of the previous row ('' for the first)
          hash         TEXT NOT NULL          -- sha256 over prev_hash + this row's canonical content
        ) STRICT;
        CREATE TRIGGER access_register_no_delete BEFORE DELETE ON access_register
          BEGIN SELECT RAISE(ABORT, 'the access register is append-only'); END;
        CREATE TRIGGER access_register_no_update BEFORE UPDATE ON access_register
          BEGIN SELECT RAISE(ABORT, 'the access register is append-only'); END;
      `);
    },
  },
  {
    version: 9,
    name: 'inspections: each diagnose run, for the acceptance / inspection history',
    up(db) {
      db.exec(`
        -- Datong Art. 14 acceptance, Liaoning Art. 14 (ii) inspection records: every
        -- \`cea diagnose\` run (CLI, verb or console) with its summary and, when one was
        -- written, where its report went.
        CREATE TABLE inspections (
          id          TEXT PRIMARY KEY,
          at_ms       INTEGER NOT NULL,       -- when the run started
          finished_ms INTEGER NOT NULL,
          source      TEXT NOT NULL,          -- cli | verb | console
          requester   TEXT NOT NULL,          -- cli:<user>, platform key id, operator account
          camera      TEXT,                   -- --camera, when the run was limited to one
          pass        INTEGER NOT NULL,
          warn        INTEGER NOT NULL,
          fail        INTEGER NOT NULL,
          result      TEXT NOT NULL,          -- pass | warn | fail (the worst check)
          report_dir  TEXT,                   -- --report DIR: where the report files are
          summary     TEXT NOT NULL           -- JSON: failing/warning checks {name,status,detail}
        ) STRICT;
        CREATE INDEX inspections_by_time ON inspections (at_ms);
      `);
    },
  },
  {
    version: 10,
    name: 'console: operator accounts',
    up(db) {
      db.exec(`
        -- Operators of the web console (\`cea user add|list|remove\`). The password is an
        -- scrypt hash (scrypt$N$r$p$salt$hash, base64); the clear text is never stored.
        CREATE TABLE console_users (
          name          TEXT PRIMARY KEY,
          role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
          password_hash TEXT NOT NULL,
          language      TEXT CHECK (language IS NULL OR language IN ('zh-CN', 'en')),
          created_ms    INTEGER NOT NULL,
          updated_ms    INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
];
