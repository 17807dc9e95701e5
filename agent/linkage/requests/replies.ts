// The first answer to each (verb, id), so a platform retry inside the window gets the same
// answer instead of the verb acting twice. Persisted: a retry may cross an agent restart.
import type { Database } from '../../../drivers/store/index.js';
import type { ResponsePayload } from './envelope.js';

export class ReplyCache {
  private readonly stmts;

  constructor(
    db: Database,
    private readonly windowMs = 600_000,
  ) {
    this.stmts = {
      get: db.prepare<[string, string, number], { reply: string }>('SELECT reply FROM request_replies WHERE verb = ? AND request_id = ? AND at_ms >= ?'),
      // REPLACE: an expired row not yet pruned is superseded by the new first answer.
      put: db.prepare<[string, string, string, number]>('INSERT OR REPLACE INTO request_replies (verb, request_id, reply, at_ms) VALUES (?, ?, ?, ?)'),
      prune: db.prepare<[number]>('DELETE FROM request_replies WHERE at_ms < ?'),
    };
  }

  get(verb: string, id: string, now: Date): ResponsePayload | null {
    const row = this.stmts.get.get(verb, id, now.getTime() - this.windowMs);
    return row ? (JSON.parse(row.reply) as ResponsePayload) : null;
  }

  put(verb: string, id: string, reply: ResponsePayload, now: Date): void {
    this.stmts.put.run(verb, id, JSON.stringify(reply), now.getTime());
  }

  prune(now: Date): void {
    this.stmts.prune.run(now.getTime() - this.windowMs);
  }
}
