import type { Database } from '../../drivers/store/index.js';
import type { AgentEvent, NewEvent } from './types.js';

export interface OutboxDeps {
  db: Database;
  site: string;
  now: () => Date;
  newId: () => string;
}

interface OutboxRow {
  seq: number;
  id: string;
  ts: string;
  type: string;
  severity: string;
  camera: string | null;
  data: string;
}

/**
 * The durable queue of platform events. `append` is synchronous and joins the caller's
 * transaction, so an event is stored if and only if the fact it reports is. `seq` is
 * per site, monotonic, and survives restarts and deletion of acknowledged rows.
 */
export class Outbox {
  private readonly listeners = new Set<() => void>();
  private readonly stmts;

  constructor(private readonly deps: OutboxDeps) {
    const { db } = deps;
    this.stmts = {
      bumpSeq: db.prepare<[string], { value: number }>(
        `INSERT INTO sequences (name, value) VALUES (?, 1)
         ON CONFLICT(name) DO UPDATE SET value = value + 1
         RETURNING value`,
      ),
      insert: db.prepare(
        `INSERT INTO outbox (seq, id, site, ts, type, severity, camera, data)
         VALUES (@seq, @id, @site, @ts, @type, @severity, @camera, @data)`,
      ),
      pendingAfter: db.prepare<[string, number, number], OutboxRow>(
        `SELECT seq, id, ts, type, severity, camera, data FROM outbox
         WHERE site = ? AND seq > ? ORDER BY seq LIMIT ?`,
      ),
      remove: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
      count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE site = ?'),
    };
  }

  private seqName(): string {
    return `event_seq:${this.deps.site}`;
  }

  append(event: NewEvent): AgentEvent {
    const { db, site } = this.deps;
    const stored = db.transaction((): AgentEvent => {
      const row = this.stmts.bumpSeq.get(this.seqName());
      if (!row) throw new Error('event sequence did not advance');
      const out: AgentEvent = {
        seq: row.value,
        id: this.deps.newId(),
        ts: this.deps.now().toISOString(),
        type: event.type,
        severity: event.severity,
        data: event.data,
      };
      if (event.camera !== undefined) out.camera = event.camera;
      this.stmts.insert.run({
        seq: out.seq,
        id: out.id,
        site,
        ts: out.ts,
        type: out.type,
        severity: out.severity,
        camera: out.camera ?? null,
        data: JSON.stringify(out.data),
      });
      return out;
    })();
    // Wake publishers after the caller's transaction has had the chance to commit; if it
    // rolled back, the publisher simply finds nothing new.
    setImmediate(() => {
      for (const l of this.listeners) l();
    });
    return stored;
  }

  /** Oldest first; `afterSeq` skips what a publisher already has in flight. */
  pending(limit: number, afterSeq = 0): AgentEvent[] {
    return this.stmts.pendingAfter.all(this.deps.site, afterSeq, limit).map(toEvent);
  }

  /** Called only once the broker acknowledged delivery (PUBACK). */
  acknowledge(seq: number): void {
    this.stmts.remove.run(seq);
  }

  /** Several acknowledged events in one transaction: one disk sync instead of one per event. */
  acknowledgeMany(seqs: readonly number[]): void {
    this.deps.db.transaction(() => {
      for (const seq of seqs) this.stmts.remove.run(seq);
    })();
  }

  size(): number {
    return this.stmts.count.get(this.deps.site)?.n ?? 0;
  }

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function toEvent(row: OutboxRow): AgentEvent {
  const event: AgentEvent = {
    seq: row.seq,
    id: row.id,
    ts: row.ts,
    type: row.type as AgentEvent['type'],
    severity: row.severity as AgentEvent['severity'],
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
  if (row.camera !== null) event.camera = row.camera;
  return event;
}
