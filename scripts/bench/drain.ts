// Outbox drain after an outage: N events (default 10 000) wait in a SQLite outbox while
// the broker is down; then a real mosquitto comes up and an OutboxPublisher (window 32,
// as in production) drains them to a QoS 1 subscriber. Baseline in the same run, same
// broker, same payloads: raw MQTT.js QoS 1 publishes without the outbox (all at once, and
// with the same window of 32 in flight). Goal: >= 5 000 events/s.
//   npm run bench:drain [-- --events 10000 --window 32]
import type { BenchRow } from './summary.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { Outbox, OutboxPublisher } from '../../agent/events/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { freePort, startMosquitto, type BenchMosquitto } from './mosquitto.js';

const SITE = 'bench-site';
const GOAL = 5000;

function option(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

/** A subscriber counting distinct payloads per topic; resolves `until(n)` once it has n. */
async function counter(url: string, topic: string) {
  const client = await mqtt.connectAsync(url, { clientId: `bench-sub-${randomUUID()}`, reconnectPeriod: 0 });
  let received = 0;
  let waiter: { n: number; resolve: () => void } | null = null;
  client.on('message', () => {
    received += 1;
    if (waiter && received >= waiter.n) waiter.resolve();
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    client,
    until: (n: number) => new Promise<void>((resolve) => (received >= n ? resolve() : (waiter = { n, resolve }))),
    reset: () => void (received = 0),
  };
}

/** Raw QoS 1 publishes; window 0 = everything at once (MQTT.js queues them itself). */
async function rawPublish(client: MqttClient, topic: string, payloads: string[], window: number): Promise<void> {
  if (window === 0) {
    await Promise.all(payloads.map((p) => client.publishAsync(topic, p, { qos: 1 })));
    return;
  }
  let next = 0;
  const lane = async () => {
    while (next < payloads.length) await client.publishAsync(topic, payloads[next++] as string, { qos: 1 });
  };
  await Promise.all(Array.from({ length: window }, lane));
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

export async function benchDrain(argv: string[]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const events = option(argv, 'events', 10_000);
  const window = option(argv, 'window', 32);
  const dir = mkdtempSync(join(tmpdir(), 'cea-bench-drain-'));
  let broker: BenchMosquitto | null = null;
  const clients: MqttClient[] = [];
  const { db } = openStore(join(dir, 'agent.db'), { migrations, now: () => new Date() });
  const outbox = new Outbox({ db, site: SITE, now: () => new Date(), newId: randomUUID });
  const topic = `psv/v1/${SITE}/event`;
  let connection: MqttConnection | null = null;
  let publisher: OutboxPublisher | null = null;
  try {
    // The outage: the broker's port is closed while the events are appended.
    const port = await freePort();
    const t0 = performance.now();
    for (let n = 1; n <= events; n++) {
      outbox.append({
        type: 'clarity.fault',
        severity: 'warning',
        camera: `cam-${String(n % 64).padStart(3, '0')}`,
        data: { faults: ['blur'], active: ['blur'], verdict: 'degraded', metrics: { sharpness: 41.7, brightness: 118.2, contrast: 52.9, noise: 3.1 } },
      });
    }
    const appendMs = performance.now() - t0;
    // The same bytes the publisher will send, for the baseline.
    const payloads = outbox.pending(events).map((e) => JSON.stringify(e));

    // mosquitto drops QoS 1 messages beyond max_queued_messages (default 1000) for a
    // subscriber that lags; a platform broker must allow a backlog like this one too.
    broker = await startMosquitto(port, ['max_queued_messages 0']);
    const sub = await counter(broker.url, `psv/v1/${SITE}/#`);
    clients.push(sub.client);

    connection = new MqttConnection({ url: broker.url, clientId: `cea-${SITE}`, keepaliveSeconds: 30, protocolVersion: 4, backoffMs: [50] });
    connection.on('error', () => {});
    publisher = new OutboxPublisher({ outbox, link: connection, topic, logger: silentLogger(), window });
    publisher.start();
    const d0 = performance.now();
    connection.connect();
    await sub.until(events);
    while (outbox.size() > 0) await new Promise((r) => setTimeout(r, 1));
    const drainMs = performance.now() - d0;
    await publisher.stop();
    await connection.end();

    const raw = await mqtt.connectAsync(broker.url, { clientId: `bench-raw-${randomUUID()}`, reconnectPeriod: 0 });
    clients.push(raw);
    const baselines: { label: string; ms: number }[] = [];
    for (const [label, w] of [['raw MQTT.js, all at once', 0], [`raw MQTT.js, window ${window}`, window]] as const) {
      sub.reset();
      const b0 = performance.now();
      await rawPublish(raw, `psv/v1/${SITE}/baseline`, payloads, w);
      await sub.until(events);
      baselines.push({ label, ms: performance.now() - b0 });
    }

    const drainRate = rate(events, drainMs);
    const out = process.stdout;
    out.write(`drain: ${events} events, ${payloads[0]?.length ?? 0}-byte payloads, mosquitto on 127.0.0.1, QoS 1\n`);
    out.write(`  append while down: ${appendMs.toFixed(0)} ms (${rate(events, appendMs)} events/s)\n`);
    out.write(`  outbox drain (window ${window}): ${drainMs.toFixed(0)} ms = ${drainRate} events/s (goal >= ${GOAL}: ${drainRate >= GOAL ? 'met' : 'NOT met'})\n`);
    for (const b of baselines) {
      const r = rate(events, b.ms);
      out.write(`  baseline ${b.label}: ${b.ms.toFixed(0)} ms = ${r} events/s; outbox/baseline = ${(drainRate / r).toFixed(2)}\n`);
      rows.push({ bench: 'outbox', what: `drain ${events} events (QoS 1)`, measured: `${drainRate} events/s`, baseline: `${r} events/s ${b.label}`, ratio: drainRate / r, goal: `>= ${GOAL} events/s`, met: drainRate >= GOAL });
    }
    return rows;
  } finally {
    await publisher?.stop(100);
    await connection?.end({ force: true });
    for (const c of clients) await c.endAsync(true);
    await broker?.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
