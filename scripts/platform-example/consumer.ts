// An example platform consumer of the linkage contract (DESIGN.md "MQTT linkage
// contract"), for integrators: what a police platform does with one site's topics.
// It depends on nothing of the agent but the JCS helper, so it can be copied out.
import { createPrivateKey, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { canonicalJson } from '../../agent/canonical-json.js';

export interface ConsumerOptions {
  url: string;
  /** One site id, or `+` for every site on the broker. */
  site: string;
  /** Ed25519 private key (PEM, or a KeyObject) and its id as configured on the box (`security.platformKeys`). */
  key?: string | KeyObject;
  keyId?: string;
  /** Broker credentials: acknowledging means publishing, which anonymous users may not do. */
  username?: string;
  password?: string;
  /** Receipt numbers for acknowledged reports (the platform's own numbering). */
  receiptNo?: (reportId: string) => string;
  onState?: (site: string, state: unknown) => void;
  onStatus?: (site: string, camera: string, status: unknown) => void;
  onEvent?: (site: string, event: WireEvent) => void;
  /** Events `from`..`to` (inclusive) never arrived between two that did. */
  onGap?: (site: string, gap: { from: number; to: number }) => void;
  /** The same event id again (at-least-once delivery: expected after a reconnect, and harmless). */
  onDuplicate?: (site: string, event: WireEvent) => void;
  /** A `config.changed` report arrived; `acked` says whether a `report.ack` was sent for it. */
  onReport?: (site: string, report: { id: string }, acked: boolean) => void;
  /** The box answered a `report.ack` (`res/report.ack`). */
  onAck?: (site: string, response: AckResponse) => void;
}

export interface WireEvent {
  seq: number;
  id: string;
  ts: string;
  type: string;
  severity: string;
  camera?: string;
  data: Record<string, unknown>;
}

export interface AckResponse {
  id: string | null;
  status: 'ok' | 'error';
  data?: unknown;
  error?: { code: string; message: string; reason?: string };
}

export interface AuthBlock {
  keyId: string;
  ts: string;
  nonce: string;
  sig: string;
  /** The site the request is for (extension; signed with the rest). */
  site?: string;
}

/**
 * The `auth` block of a request: Ed25519 over the UTF-8 bytes of the RFC 8785 (JCS)
 * canonical JSON of {verb, id, args, ts, nonce, site}. `verb` is not in the payload (it is
 * the topic's last level) but is signed, so a signature cannot be moved to another verb;
 * `site` (auth.site) binds it to one site, so it cannot be replayed at another site whose
 * req topics the same broker lets someone publish to. Send it always: sites with
 * security.requireSiteBinding refuse requests without it. Without `site` the signed object
 * is the contract's original {verb, id, args, ts, nonce}.
 */
export function signRequest(
  verb: string,
  id: string,
  args: Record<string, unknown>,
  key: KeyObject,
  keyId: string,
  now = new Date(),
  site?: string,
): AuthBlock {
  const ts = now.toISOString(); // RFC 3339 UTC; the box accepts ±120 s
  const nonce = randomBytes(18).toString('base64url'); // 24 chars; never reused within 10 min
  const signed = site === undefined ? { verb, id, args, ts, nonce } : { verb, id, args, ts, nonce, site };
  const sig = sign(null, Buffer.from(canonicalJson(signed), 'utf8'), key).toString('base64');
  return site === undefined ? { keyId, ts, nonce, sig } : { keyId, ts, nonce, sig, site };
}

/**
 * Per-site `seq` bookkeeping. `seq` is monotonic per site and every event is delivered at
 * least once, so: a repeated `id` is a duplicate (drop it), and a jump over seq numbers
 * is a gap. The first event seen sets the starting point (a consumer that starts late
 * missed nothing it could have had: events are not retained).
 */
export class SeqTracker {
  private last: number | null = null;
  // Ids seen recently; redeliveries come soon after the original (in-flight window on reconnect).
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  constructor(private readonly remember = 10_000) {}

  /** 'new', 'duplicate', or a gap {from,to} before this (new) event. */
  check(event: { seq: number; id: string }): { kind: 'new' } | { kind: 'duplicate' } | { kind: 'gap'; from: number; to: number } {
    if (this.seen.has(event.id)) return { kind: 'duplicate' };
    this.seen.add(event.id);
    this.order.push(event.id);
    if (this.order.length > this.remember) this.seen.delete(this.order.shift() as string);
    const last = this.last;
    if (last === null || event.seq > last) this.last = event.seq;
    if (last !== null && event.seq > last + 1) return { kind: 'gap', from: last + 1, to: event.seq - 1 };
    return { kind: 'new' };
  }
}

export interface Consumer {
  client: MqttClient;
  /** Requests sent and not yet answered, by request id. */
  readonly pendingAcks: ReadonlyMap<string, { site: string; reportId: string }>;
  stop(): Promise<void>;
}

export async function createConsumer(opts: ConsumerOptions): Promise<Consumer> {
  const key = typeof opts.key === 'string' ? createPrivateKey(opts.key) : opts.key;
  if (key && !opts.keyId) throw new Error('a signing key needs its key id (--key-id)');
  const trackers = new Map<string, SeqTracker>();
  const pendingAcks = new Map<string, { site: string; reportId: string }>();
  const client = await mqtt.connectAsync(opts.url, {
    clientId: `platform-example-${randomUUID()}`,
    // MQTT 3.1.1 works with every broker (the demo's embedded aedes speaks only 3.1.1).
    protocolVersion: 4,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  });

  const ack = (site: string, reportId: string): boolean => {
    if (!opts.username) return false; // anonymous clients may only read
    const id = randomUUID();
    const args = { reportId, receiptNo: opts.receiptNo ? opts.receiptNo(reportId) : `RCPT-${reportId}` };
    const body: Record<string, unknown> = { id, args };
    if (key && opts.keyId) body.auth = signRequest('report.ack', id, args, key, opts.keyId, new Date(), site);
    pendingAcks.set(id, { site, reportId });
    client.publish(`psv/v1/${site}/req/report.ack`, JSON.stringify(body), { qos: 1 });
    return true;
  };

  client.on('message', (topic, payload) => {
    // psv/v1/<site>/<rest…>
    const parts = topic.split('/');
    const site = parts[2];
    const rest = parts.slice(3).join('/');
    if (!site) return;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return; // not ours to judge; a real platform would log it
    }
    if (rest === 'state') return opts.onState?.(site, body);
    if (parts[3] === 'camera' && parts[5] === 'status' && parts[4]) return opts.onStatus?.(site, parts[4], body);
    if (rest === 'res/report.ack') {
      const res = body as AckResponse;
      if (res.id === null || !pendingAcks.has(res.id)) return; // someone else's request
      pendingAcks.delete(res.id);
      return opts.onAck?.(site, res);
    }
    if (rest !== 'event') return;
    const event = body as WireEvent;
    let tracker = trackers.get(site);
    if (!tracker) trackers.set(site, (tracker = new SeqTracker()));
    const verdict = tracker.check(event);
    if (verdict.kind === 'duplicate') return opts.onDuplicate?.(site, event);
    if (verdict.kind === 'gap') opts.onGap?.(site, { from: verdict.from, to: verdict.to });
    opts.onEvent?.(site, event);
    if (event.type === 'config.changed') {
      const report = (event.data as { report?: { id?: unknown } }).report;
      if (report && typeof report.id === 'string') {
        // Acknowledge first: `onReport?.(…, ack())` would skip the ack when no hook is set.
        const acked = ack(site, report.id);
        opts.onReport?.(site, { id: report.id }, acked);
      }
    }
  });
  // QoS 1: events are at-least-once end to end only if the subscription is QoS 1 too.
  await client.subscribeAsync(`psv/v1/${opts.site}/#`, { qos: 1 });
  return { client, pendingAcks, stop: () => client.endAsync() };
}
