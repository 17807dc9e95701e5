import type { Database } from '../../drivers/store/index.js';
import type { EventBus } from './bus.js';
import type { Outbox } from './outbox.js';
import type { AgentEvent, NewEvent } from './types.js';

/**
 * How capabilities raise platform events. `withFact` runs the caller's writes and the
 * events that report them in one transaction; listeners on the bus hear the events
 * only after that transaction committed.
 */
export class EventRecorder {
  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly bus: EventBus,
  ) {}

  record(event: NewEvent): AgentEvent {
    return this.withFact((append) => append(event)).result;
  }

  withFact<T>(fn: (append: (event: NewEvent) => AgentEvent) => T): { result: T; events: AgentEvent[] } {
    const events: AgentEvent[] = [];
    const result = this.db.transaction(() => fn((e) => {
      const stored = this.outbox.append(e);
      events.push(stored);
      return stored;
    }))();
    for (const e of events) this.bus.emit('event', e);
    return { result, events };
  }
}
