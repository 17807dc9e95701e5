import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, OutboxPublisher, type AgentEvent } from '../../agent/events/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { subscribe, waitFor } from '../helpers/broker.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { makeTempDir } from '../helpers/tmp.js';

const SITE = 'site-0001';
const EVENTS = 10_000;

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

// Correctness only (timing is bench:drain's business): a long outage against the
// reference broker, then every event arrives once at least, in seq order.
describe('outbox after a broker outage (mosquitto)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`delivers ${EVENTS} events appended while the broker was down, in seq order, and empties the outbox`, async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const { db } = openStore(join(tmp.dir, 'agent.db'), { migrations, now: () => new Date() });
    cleanups.push(() => db.close());
    const outbox = new Outbox({ db, site: SITE, now: () => new Date(), newId: randomUUID });

    // The agent starts while nothing listens on the broker's port.
    const port = await closedPort();
    const connection = new MqttConnection({
      url: `mqtt://127.0.0.1:${port}`,
      clientId: `cea-${SITE}`,
      username: 'cea-agent',
      password: 'agent-secret',
      keepaliveSeconds: 5,
      protocolVersion: 4,
      backoffMs: [100],
      connectTimeoutMs: 2000,
    });
    connection.on('error', () => {});
    cleanups.push(() => connection.end({ force: true }));
    const publisher = new OutboxPublisher({ outbox, link: connection, topic: `psv/v1/${SITE}/event`, logger: silentLogger(), window: 32 });
    publisher.start();
    cleanups.push(() => publisher.stop(100));
    connection.connect();

    for (let n = 1; n <= EVENTS; n++) outbox.append({ type: 'camera.offline', severity: 'warning', camera: `cam-${n % 16}`, data: { n } });
    expect(connection.connected).toBe(false);
    expect(outbox.size()).toBe(EVENTS);

    // The broker comes up on that port, but does not know the agent's account yet: the
    // platform's subscriber must be listening before the first event is sent, or the test
    // could not tell a lost event from one published before anyone subscribed.
    const passwd = join(tmp.dir, 'passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwd, 'platform', 'platform-secret'], { stdio: 'ignore' });
    // mosquitto started as root drops to its own user before reading the file.
    chmodSync(tmp.dir, 0o755);
    chmodSync(passwd, 0o644);
    const broker = await startMosquitto({
      port,
      // A lagging QoS 1 subscriber would otherwise lose everything past 1000 queued messages.
      extraConfig: [`password_file ${passwd}`, 'max_queued_messages 0'],
    });
    cleanups.push(() => broker.stop());
    const sub = await subscribe(broker.url, `psv/v1/${SITE}/event`);
    cleanups.push(() => sub.client.endAsync(true));
    expect(connection.connected).toBe(false);

    // Now admit the agent (mosquitto re-reads the password file on SIGHUP).
    execFileSync('mosquitto_passwd', ['-b', passwd, 'cea-agent', 'agent-secret'], { stdio: 'ignore' });
    chmodSync(passwd, 0o644);
    broker.reload();

    await waitFor('the outbox to drain', () => outbox.size() === 0, 30_000);
    await waitFor(`the subscriber to get all ${EVENTS}`, () => new Set(sub.messages.map((m) => m.payload)).size >= EVENTS, 30_000);
    const seqs = sub.messages.map((m) => (JSON.parse(m.payload) as AgentEvent).seq);
    const firstSeen = [...new Set(seqs)];
    expect(firstSeen).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    expect(outbox.size()).toBe(0);
  }, 60_000);
});
