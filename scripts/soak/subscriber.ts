// The soak's platform side: one MQTT client subscribed to the site's events (QoS 1), its
// health and state, counting what arrives as a platform would: deduplicated on `id`,
// checked for `seq` continuity, order and id/seq conflicts. It also sends requests (`ping`).
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../agent/linkage/topics.js';

export interface ReceivedEvent {
  seq: number;
  id: string;
  type: string;
  camera: string | null;
  /** config.changed: the cameras of the report; clarity.fault: its fault codes. */
  cameras?: string[];
  faults?: string[];
}

export interface HealthSample {
  receivedAtMs: number;
  rssBytes: number | null;
  cpuPercent: number | null;
  loadWindowSeconds: number | null;
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  outboxPending: number | null;
}

export interface EventAccounting {
  /** Distinct event ids. */
  unique: number;
  /** Messages whose id had been seen already (at-least-once redelivery). */
  duplicates: number;
  /** First arrivals whose seq was lower than an earlier first arrival's. */
  outOfOrder: number;
  /** The same id with two seqs, or the same seq with two ids. */
  conflicts: number;
  /** Payloads that were not an event. */
  malformed: number;
  highestSeq: number;
  lowestSeq: number | null;
}

export class SiteSubscriber {
  readonly events: ReceivedEvent[] = [];
  readonly health: HealthSample[] = [];
  lastState: string | null = null;
  private readonly idToSeq = new Map<string, number>();
  private readonly seqToId = new Map<number, string>();
  private duplicates = 0;
  private outOfOrder = 0;
  private conflicts = 0;
  private malformed = 0;
  private highest = 0;
  private readonly replies = new Map<string, (body: Record<string, unknown>) => void>();

  private constructor(
    private readonly client: MqttClient,
    private readonly site: string,
  ) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  /**
   * Connects (retrying until `deadlineMs`, for a broker that is still starting, like an
   * agent's embedded one) and subscribes. A persistent session: a blip of the soak's own
   * connection must not lose events to it.
   */
  static async connect(url: string, site: string, opts: { protocolVersion: 4 | 5; deadlineMs: number; giveUp?: () => boolean }): Promise<SiteSubscriber> {
    const clientId = `cea-soak-${randomUUID().slice(0, 8)}`;
    for (;;) {
      try {
        const client = await mqtt.connectAsync(url, {
          clientId,
          clean: false,
          protocolVersion: opts.protocolVersion,
          ...(opts.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
          reconnectPeriod: 500,
          connectTimeout: 5000,
          // No retries inside connectAsync: a refused first connection comes back here at once.
        }, false);
        const sub = new SiteSubscriber(client, site);
        const root = `psv/v1/${site}`;
        await client.subscribeAsync(
          { [topics.event(site)]: { qos: 1 }, [topics.health(site)]: { qos: 1 }, [topics.state(site)]: { qos: 1 }, [`${root}/res/#`]: { qos: 1 } },
        );
        return sub;
      } catch (err) {
        if (Date.now() > opts.deadlineMs || opts.giveUp?.()) throw new Error(`cannot subscribe at ${url}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  accounting(): EventAccounting {
    let lowest: number | null = null;
    for (const s of this.seqToId.keys()) lowest = lowest === null ? s : Math.min(lowest, s);
    return {
      unique: this.idToSeq.size,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      conflicts: this.conflicts,
      malformed: this.malformed,
      highestSeq: this.highest,
      lowestSeq: lowest,
    };
  }

  /** Seqs in [from, to] never received. */
  missing(from: number, to: number): number[] {
    const out: number[] = [];
    for (let s = from; s <= to; s++) if (!this.seqToId.has(s)) out.push(s);
    return out;
  }

  /** Sends a request and waits for its answer on `res/<verb>` (unsigned: the soak's agent does not require signatures). */
  request(verb: string, args: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new Error(`no answer to ${verb} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.replies.set(id, (body) => {
        clearTimeout(timer);
        resolve(body);
      });
      this.client.publishAsync(topics.request(this.site, verb), JSON.stringify({ id, args }), { qos: 1 }).catch((err: Error) => {
        clearTimeout(timer);
        this.replies.delete(id);
        reject(err);
      });
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }

  private onMessage(topic: string, payload: Buffer): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      if (topic === topics.event(this.site)) this.malformed += 1;
      return;
    }
    if (topic === topics.event(this.site)) this.onEvent(body);
    else if (topic === topics.health(this.site)) this.onHealth(body);
    else if (topic === topics.state(this.site)) this.lastState = typeof body.state === 'string' ? body.state : null;
    else if (typeof body.id === 'string') this.replies.get(body.id)?.(body);
  }

  private onEvent(body: Record<string, unknown>): void {
    const { seq, id, type } = body;
    if (typeof seq !== 'number' || typeof id !== 'string' || typeof type !== 'string') {
      this.malformed += 1;
      return;
    }
    const knownSeq = this.idToSeq.get(id);
    if (knownSeq !== undefined) {
      this.duplicates += 1;
      if (knownSeq !== seq) this.conflicts += 1;
      return;
    }
    const knownId = this.seqToId.get(seq);
    if (knownId !== undefined && knownId !== id) {
      this.conflicts += 1;
      return;
    }
    if (seq < this.highest) this.outOfOrder += 1;
    this.highest = Math.max(this.highest, seq);
    this.idToSeq.set(id, seq);
    this.seqToId.set(seq, id);
    const data = (body.data ?? {}) as Record<string, unknown>;
    const event: ReceivedEvent = { seq, id, type, camera: typeof body.camera === 'string' ? body.camera : null };
    if (type === 'config.changed') {
      const report = data.report as { cameras?: unknown } | undefined;
      event.cameras = Array.isArray(report?.cameras) ? report.cameras.filter((c): c is string => typeof c === 'string') : [];
    }
    if (type === 'clarity.fault' && Array.isArray(data.faults)) event.faults = data.faults.filter((f): f is string => typeof f === 'string');
    this.events.push(event);
  }

  private onHealth(body: Record<string, unknown>): void {
    const agent = (body.agent ?? {}) as Record<string, unknown>;
    const outbox = (body.outbox ?? {}) as Record<string, unknown>;
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    const eld = agent.eventLoopDelayMs as HealthSample['eventLoopDelayMs'] | undefined;
    this.health.push({
      receivedAtMs: performance.now(),
      rssBytes: num(agent.rssBytes),
      cpuPercent: num(agent.cpuPercent),
      loadWindowSeconds: num(agent.loadWindowSeconds),
      eventLoopDelayMs: eld && typeof eld.p99 === 'number' ? eld : null,
      outboxPending: num(outbox.pending),
    });
  }
}
