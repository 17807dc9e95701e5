import type { Database } from '../../drivers/store/index.js';
import type { InventoryRecord, PresenceState } from './policy.js';

export interface CameraStateRow {
  cameraId: string;
  urn: string | null;
  presence: PresenceState;
  since: string | null;
  lastSeen: string | null;
  lastErrorCode: string | null;
  lastError: string | null;
  timeOffsetMs: number | null;
  snapshotId: number | null;
}

export interface DeviceRow {
  urn: string;
  xaddrs: string[];
  scopes: string[];
  types: string[];
  cameraId: string | null;
  firstSeen: string;
  lastSeen: string;
  reportedAt: string | null;
  goneAt: string | null;
}

export interface SnapshotRow {
  id: number;
  cameraId: string;
  takenAt: string;
  hash: string;
  record: InventoryRecord;
}

interface RawState {
  camera_id: string;
  urn: string | null;
  online: number | null;
  since: string | null;
  consecutive_failures: number;
  auth_failed: number;
  last_seen: string | null;
  last_error_code: string | null;
  last_error: string | null;
  time_offset_ms: number | null;
  snapshot_id: number | null;
}

interface RawDevice {
  urn: string;
  xaddrs: string;
  scopes: string;
  types: string;
  camera_id: string | null;
  first_seen: string;
  last_seen: string;
  reported_at: string | null;
  gone_at: string | null;
}

/** Data access for the inventory tables; decisions live in policy.ts, transactions in the service. */
export class InventoryStore {
  /**
   * Statements prepared once per SQL text: latestSnapshot() runs for every clarity sample
   * (25/s at 256 cameras), and a fresh prepare each time cost CPU on the main thread and
   * native memory until the garbage collector finalised the old statements.
   */
  private readonly statements = new Map<string, unknown>();
  private readonly cached = {
    prepare: ((sql: string) => {
      let stmt = this.statements.get(sql);
      if (!stmt) {
        stmt = this.db.prepare(sql);
        this.statements.set(sql, stmt);
      }
      return stmt;
    }) as Database['prepare'],
  };

  constructor(private readonly db: Database) {}

  cameraState(cameraId: string): CameraStateRow {
    const row = this.cached.prepare<[string], RawState>('SELECT * FROM camera_state WHERE camera_id = ?').get(cameraId);
    if (!row) {
      return {
        cameraId,
        urn: null,
        presence: { online: null, consecutiveFailures: 0, authFailed: false },
        since: null,
        lastSeen: null,
        lastErrorCode: null,
        lastError: null,
        timeOffsetMs: null,
        snapshotId: null,
      };
    }
    return {
      cameraId,
      urn: row.urn,
      presence: { online: row.online === null ? null : row.online === 1, consecutiveFailures: row.consecutive_failures, authFailed: row.auth_failed === 1 },
      since: row.since,
      lastSeen: row.last_seen,
      lastErrorCode: row.last_error_code,
      lastError: row.last_error,
      timeOffsetMs: row.time_offset_ms,
      snapshotId: row.snapshot_id,
    };
  }

  saveCameraState(s: CameraStateRow): void {
    this.cached
      .prepare(
        `INSERT INTO camera_state (camera_id, urn, online, since, consecutive_failures, auth_failed, last_seen, last_error_code, last_error, time_offset_ms, snapshot_id)
         VALUES (@cameraId, @urn, @online, @since, @failures, @authFailed, @lastSeen, @lastErrorCode, @lastError, @timeOffsetMs, @snapshotId)
         ON CONFLICT(camera_id) DO UPDATE SET urn = excluded.urn, online = excluded.online, since = excluded.since,
           consecutive_failures = excluded.consecutive_failures, auth_failed = excluded.auth_failed, last_seen = excluded.last_seen,
           last_error_code = excluded.last_error_code, last_error = excluded.last_error, time_offset_ms = excluded.time_offset_ms,
           snapshot_id = excluded.snapshot_id`,
      )
      .run({
        cameraId: s.cameraId,
        urn: s.urn,
        online: s.presence.online === null ? null : s.presence.online ? 1 : 0,
        since: s.since,
        failures: s.presence.consecutiveFailures,
        authFailed: s.presence.authFailed ? 1 : 0,
        lastSeen: s.lastSeen,
        lastErrorCode: s.lastErrorCode,
        lastError: s.lastError,
        timeOffsetMs: s.timeOffsetMs,
        snapshotId: s.snapshotId,
      });
  }

  latestSnapshot(cameraId: string): SnapshotRow | null {
    const row = this.cached
      .prepare<[string], { id: number; camera_id: string; taken_at: string; hash: string; record: string }>(
        'SELECT * FROM inventory_snapshots WHERE camera_id = ? ORDER BY id DESC LIMIT 1',
      )
      .get(cameraId);
    return row ? { id: row.id, cameraId: row.camera_id, takenAt: row.taken_at, hash: row.hash, record: JSON.parse(row.record) as InventoryRecord } : null;
  }

  snapshotCount(cameraId: string): number {
    return this.cached.prepare<[string], { n: number }>('SELECT count(*) AS n FROM inventory_snapshots WHERE camera_id = ?').get(cameraId)?.n ?? 0;
  }

  addSnapshot(cameraId: string, takenAt: string, hash: string, record: InventoryRecord): number {
    const info = this.cached
      .prepare('INSERT INTO inventory_snapshots (camera_id, taken_at, hash, record) VALUES (?, ?, ?, ?)')
      .run(cameraId, takenAt, hash, JSON.stringify(record));
    return Number(info.lastInsertRowid);
  }

  device(urn: string): DeviceRow | null {
    const row = this.cached.prepare<[string], RawDevice>('SELECT * FROM devices WHERE urn = ?').get(urn);
    return row ? toDevice(row) : null;
  }

  /** Device rows not matched to a configured camera (what the discovery bounds cap). */
  unconfiguredDeviceCount(): number {
    return this.cached.prepare<[], number>('SELECT count(*) FROM devices WHERE camera_id IS NULL').pluck().get() ?? 0;
  }

  devices(): DeviceRow[] {
    return this.cached.prepare<[], RawDevice>('SELECT * FROM devices ORDER BY first_seen, urn').all().map(toDevice);
  }

  saveDevice(d: DeviceRow): void {
    this.cached
      .prepare(
        `INSERT INTO devices (urn, xaddrs, scopes, types, camera_id, first_seen, last_seen, reported_at, gone_at)
         VALUES (@urn, @xaddrs, @scopes, @types, @cameraId, @firstSeen, @lastSeen, @reportedAt, @goneAt)
         ON CONFLICT(urn) DO UPDATE SET xaddrs = excluded.xaddrs, scopes = excluded.scopes, types = excluded.types,
           camera_id = excluded.camera_id, last_seen = excluded.last_seen, reported_at = excluded.reported_at, gone_at = excluded.gone_at`,
      )
      .run({
        urn: d.urn,
        xaddrs: JSON.stringify(d.xaddrs),
        scopes: JSON.stringify(d.scopes),
        types: JSON.stringify(d.types),
        cameraId: d.cameraId,
        firstSeen: d.firstSeen,
        lastSeen: d.lastSeen,
        reportedAt: d.reportedAt,
        goneAt: d.goneAt,
      });
  }
}

function toDevice(row: RawDevice): DeviceRow {
  return {
    urn: row.urn,
    xaddrs: JSON.parse(row.xaddrs) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    types: JSON.parse(row.types) as string[],
    cameraId: row.camera_id,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    reportedAt: row.reported_at,
    goneAt: row.gone_at,
  };
}
