import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, EventRecorder, Outbox, OutboxPublisher, type AgentEvent } from '../../agent/events/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { startTestBroker, subscribe, waitFor, type TestBroker } from '../helpers/broker.js';
import { makeTempDir } from '../helpers/tmp.js';

const SITE = 'site-0001';
const now = () => new Date('2026-11-27T08:00:00.000Z');

function open(file: string): { db: Database; outbox: Outbox } {
  const { db } = openStore(file, { migrations, now });
  return { db, outbox: new Outbox({ db, site: SITE, now, newId: randomUUID }) };
}

const started = (n: number) => ({ type: 'agent.started' as const, severity: 'info' as const, data: { n } });

describe('event outbox', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('keeps seq monotonic across restarts and after delivered rows are removed', () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const file = join(tmp.dir, 'agent.db');
    let { db, outbox } = open(file);
    expect([1, 2, 3].map((n) => outbox.append(started(n)).seq)).toEqual([1, 2, 3]);
    outbox.acknowledge(3);
    outbox.acknowledge(2);
    db.close();

    ({ db, outbox } = open(file));
    expect(outbox.append(started(4)).seq).toBe(4);
    expect(outbox.pending(10).map((e) => e.seq)).toEqual([1, 4]);
    db.close();
  });

  it('stores an event only if the fact it reports commits', () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const { db, outbox } = open(join(tmp.dir, 'agent.db'));
    cleanups.push(() => void db.close());
    const heard: AgentEvent[] = [];
    const bus = new EventBus(silentLogger());
    bus.on('event', (e) => heard.push(e));
    const recorder = new EventRecorder(db, outbox, bus);
    expect(() =>
      recorder.withFact((append) => {
        db.prepare("INSERT INTO meta (key, value) VALUES ('fact', 'x')").run();
        append(started(1));
        throw new Error('the decision failed half-way');
      }),
    ).toThrow('half-way');
    expect(outbox.size()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM meta WHERE key = 'fact'").pluck().get()).toBe(0);
    expect(heard).toEqual([]);

    recorder.withFact((append) => {
      db.prepare("INSERT INTO meta (key, value) VALUES ('fact', 'y')").run();
      append(started(2));
    });
    expect(outbox.size()).toBe(1);
    expect(heard.map((e) => e.data)).toEqual([{ n: 2 }]);
  });

  it('deletes an event only after the broker acknowledged it', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const { db, outbox } = open(join(tmp.dir, 'agent.db'));
    cleanups.push(() => void db.close());
    const sub = await subscribe(broker.url, `psv/v1/${SITE}/event`);
    cleanups.push(() => sub.client.endAsync());

    broker.holdAcks('cea-');
    const { connection, publisher } = await connectPublisher(broker, outbox);
    cleanups.push(() => connection.end({ force: true }));
    cleanups.push(() => publisher.stop(100));
    for (let n = 1; n <= 5; n++) outbox.append(started(n));

    await waitFor('the broker to receive the publishes', () => broker.published.filter((p) => p.topic.endsWith('/event')).length === 0 && publisher.busy);
    await new Promise((r) => setTimeout(r, 300));
    expect(outbox.size()).toBe(5); // no PUBACK yet: nothing may be deleted
    broker.holdAcks(null);
    await waitFor('the outbox to empty after PUBACKs', () => outbox.size() === 0);
    await waitFor('the subscriber to get all five', () => sub.messages.length >= 5);
    expect(sub.messages.map((m) => (JSON.parse(m.payload) as AgentEvent).seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('accumulates events while the broker is down and drains them in seq order when it returns', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    let broker: TestBroker = await startTestBroker();
    const port = broker.port;
    const { db, outbox } = open(join(tmp.dir, 'agent.db'));
    cleanups.push(() => void db.close());
    const { connection, publisher } = await connectPublisher(broker, outbox);
    cleanups.push(() => connection.end({ force: true }));
    cleanups.push(() => publisher.stop(100));

    outbox.append(started(1));
    await waitFor('the first event to be delivered', () => outbox.size() === 0);

    await broker.close();
    await waitFor('the agent to notice the broker is gone', () => !connection.connected);
    for (let n = 2; n <= 61; n++) outbox.append(started(n));
    await new Promise((r) => setTimeout(r, 300));
    expect(outbox.size()).toBe(60);

    // The broker comes back (empty, as after a restart). Hold the agent off until the
    // platform's subscriber is listening, so the test sees every event.
    broker = await startTestBroker(port);
    cleanups.push(() => broker.close());
    broker.refuse('cea-');
    const sub = await subscribe(broker.url, `psv/v1/${SITE}/event`);
    cleanups.push(() => sub.client.endAsync());
    broker.refuse(null);

    await waitFor('the outbox to drain', () => outbox.size() === 0, 15_000);
    await waitFor('the subscriber to get all 60', () => new Set(sub.messages.map((m) => m.payload)).size >= 60);
    const seqs = sub.messages.map((m) => (JSON.parse(m.payload) as AgentEvent).seq);
    const firstSeen = seqs.filter((s, i) => seqs.indexOf(s) === i);
    expect(firstSeen).toEqual(Array.from({ length: 60 }, (_, i) => i + 2));
  });
});

async function connectPublisher(broker: TestBroker, outbox: Outbox) {
  const connection = new MqttConnection({
    url: broker.url,
    clientId: `cea-${SITE}`,
    keepaliveSeconds: 5,
    protocolVersion: 4,
    backoffMs: [100, 200],
    connectTimeoutMs: 2000,
  });
  connection.on('error', () => {});
  const publisher = new OutboxPublisher({ outbox, link: connection, topic: `psv/v1/${SITE}/event`, logger: silentLogger(), window: 8 });
  publisher.start();
  connection.connect();
  await waitFor('the publisher to connect', () => connection.connected);
  return { connection, publisher };
}
