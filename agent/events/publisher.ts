import type { Logger } from '../../drivers/log/logger.js';
import type { Outbox } from './outbox.js';
import type { AgentEvent } from './types.js';

/** The part of an MQTT connection the publisher needs (MqttConnection satisfies it). */
export interface EventLink {
  readonly connected: boolean;
  publish(topic: string, payload: string, opts: { qos: 1 }): Promise<void>;
  on(event: 'connect' | 'close', listener: () => void): unknown;
  off(event: 'connect' | 'close', listener: () => void): unknown;
}

export interface OutboxPublisherDeps {
  outbox: Outbox;
  link: EventLink;
  topic: string;
  logger: Logger;
  /** Events in flight at once; they are sent in seq order on one connection, so order holds. */
  window?: number;
  /** Told of each event the broker acknowledged (e.g. a change report becomes "reported"). */
  onDelivered?: (event: AgentEvent) => void;
}

/**
 * Drains the outbox to `…/event` at QoS 1, deleting each row only after its PUBACK.
 * Each connection is a generation (as go2rtc does): when it drops, whatever was in flight
 * is sent again from the outbox on the next one, oldest first. Delivery is at-least-once;
 * the platform deduplicates on `id`.
 */
export class OutboxPublisher {
  private generation = 0;
  private inFlight = 0;
  private lastSent = 0;
  private running = false;
  private failing = false;
  private idleWaiters: (() => void)[] = [];
  private readonly window: number;
  private unsubscribe: (() => void) | null = null;
  private acked: AgentEvent[] = [];
  private flushScheduled = false;

  constructor(private readonly deps: OutboxPublisherDeps) {
    this.window = deps.window ?? 32;
  }

  private readonly onConnect = (): void => {
    this.generation += 1;
    this.inFlight = 0;
    this.lastSent = 0;
    this.pump();
  };

  private readonly onClose = (): void => {
    this.generation += 1;
    this.inFlight = 0;
    this.settleIdle();
  };

  start(): void {
    this.running = true;
    this.deps.link.on('connect', this.onConnect);
    this.deps.link.on('close', this.onClose);
    this.unsubscribe = this.deps.outbox.onAppend(() => this.pump());
    if (this.deps.link.connected) this.onConnect();
  }

  /** Stops sending new events; waits (bounded) for those in flight to be acknowledged. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.running = false;
    this.flushAcked();
    this.unsubscribe?.();
    this.deps.link.off('connect', this.onConnect);
    this.deps.link.off('close', this.onClose);
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.flushAcked(); // the store closes after us: acknowledged rows go now, not on a later tick
  }

  /** Resolves when nothing is in flight and the outbox holds nothing sendable (tests, shutdown). */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  private pump(): void {
    if (!this.running || !this.deps.link.connected) return;
    const gen = this.generation;
    while (this.inFlight < this.window) {
      const batch = this.deps.outbox.pending(this.window - this.inFlight, this.lastSent);
      if (batch.length === 0) break;
      for (const event of batch) {
        this.lastSent = event.seq;
        this.inFlight += 1;
        this.deps.link
          .publish(this.deps.topic, JSON.stringify(event), { qos: 1 })
          .then(
            () => this.delivered(event),
            (err: unknown) => this.failed(event.seq, err),
          )
          .finally(() => {
            if (gen !== this.generation) return;
            this.inFlight -= 1;
            this.settleIdle();
            this.pump();
          });
      }
    }
  }

  private delivered(event: AgentEvent): void {
    // Acknowledged rows are removed in small batches: with synchronous=FULL each commit is
    // a disk sync, and one per event caps the drain after an outage. A crash before the
    // batch commits only means those events are sent again (at-least-once), never lost.
    this.acked.push(event);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushAcked());
  }

  private flushAcked(): void {
    this.flushScheduled = false;
    const batch = this.acked.splice(0);
    if (batch.length === 0) return;
    try {
      this.deps.outbox.acknowledgeMany(batch.map((e) => e.seq));
    } catch (err) {
      // The rows stay and are sent again later: duplicates, never a loss.
      this.deps.logger.warn({ err, events: batch.length }, 'could not remove delivered events from the outbox');
      return;
    }
    for (const event of batch) {
      try {
        this.deps.onDelivered?.(event);
      } catch (err) {
        this.deps.logger.error({ err, seq: event.seq }, 'delivery listener failed');
      }
    }
    if (this.failing) {
      this.failing = false;
      this.deps.logger.info({ pending: this.deps.outbox.size() }, 'event delivery recovered');
    }
  }

  private failed(seq: number, err: unknown): void {
    // Logged when failures start, not for every event (Home Assistant's habit).
    if (!this.failing) {
      this.failing = true;
      this.deps.logger.warn({ err, seq }, 'event not acknowledged; it stays in the outbox and is sent again after reconnect');
    }
  }

  private settleIdle(): void {
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
