// What the agent itself counts, read from its SQLite file read-only while it runs (WAL
// lets a reader in beside the writer): events produced (the per-site seq: the database
// is fresh, so the last seq is the number of events), still in the outbox, change bursts
// not yet reported, cameras interrogated, clarity samples taken.
import BetterSqlite3, { type Database } from 'better-sqlite3';

export interface AgentCounts {
  /** The last event seq handed out (fresh database: events produced so far). */
  lastSeq: number;
  /** Events not yet acknowledged by the broker. */
  outbox: number;
  /** Detected configuration changes waiting for their burst to end. */
  pendingChanges: number;
  /** Cameras interrogated at least once. */
  interrogated: number;
  /** Clarity samples taken (the trend table's counts). */
  claritySamples: number;
}

export class AgentDatabase {
  private readonly db: Database;

  constructor(file: string, private readonly site: string) {
    this.db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    // The agent may be committing at the same moment: wait for it instead of failing.
    this.db.pragma('busy_timeout = 5000');
  }

  counts(): AgentCounts {
    const one = (sql: string, ...args: unknown[]) => (this.db.prepare(sql).get(...args) as { n: number | null } | undefined)?.n ?? 0;
    return {
      lastSeq: one('SELECT value AS n FROM sequences WHERE name = ?', `event_seq:${this.site}`),
      outbox: one('SELECT count(*) AS n FROM outbox WHERE site = ?', this.site),
      pendingChanges: one('SELECT count(*) AS n FROM pending_changes'),
      interrogated: one('SELECT count(*) AS n FROM camera_state WHERE snapshot_id IS NOT NULL'),
      claritySamples: one('SELECT sum(n) AS n FROM clarity_samples'),
    };
  }

  close(): void {
    this.db.close();
  }
}
