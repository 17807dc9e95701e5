import { Aedes } from 'aedes';
import { createServer, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

/**
 * A real MQTT broker (aedes) on 127.0.0.1 with named failure switches, so tests can
 * make the broker misbehave without mocking the client under test.
 */
export interface TestBroker {
  port: number;
  url: string;
  /** Withhold PUBACKs for publishes from clients whose id starts with this prefix. */
  holdAcks(prefix: string | null): void;
  /** Refuse CONNECT from clients whose id starts with this prefix (as if the broker were down for them). */
  refuse(prefix: string | null): void;
  /** Every message published to the broker, in arrival order. */
  published: { topic: string; payload: string; retain: boolean; clientId: string | null }[];
  close(): Promise<void>;
}

export async function startTestBroker(port = 0): Promise<TestBroker> {
  let holdPrefix: string | null = null;
  let refusePrefix: string | null = null;
  const held: (() => void)[] = [];
  const published: TestBroker['published'] = [];
  const aedes = await Aedes.createBroker({
    authenticate(client, _u, _p, done) {
      if (refusePrefix !== null && client.id.startsWith(refusePrefix)) {
        return done(Object.assign(new Error('refused by test switch'), { returnCode: 3 }), false);
      }
      done(null, true);
    },
    authorizePublish(client, packet, callback) {
      if (client && holdPrefix !== null && client.id.startsWith(holdPrefix)) {
        held.push(() => callback(null));
        return;
      }
      callback(null);
    },
  });
  aedes.on('publish', (packet, client) => {
    if (packet.topic.startsWith('$SYS')) return;
    published.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain, clientId: client?.id ?? null });
  });
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    port: actualPort,
    url: `mqtt://127.0.0.1:${actualPort}`,
    published,
    holdAcks(prefix) {
      holdPrefix = prefix;
      if (prefix === null) for (const release of held.splice(0)) release();
    },
    refuse(prefix) {
      refusePrefix = prefix;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A subscriber that records what it receives (the platform's view). */
export async function subscribe(url: string, topic: string): Promise<{ client: MqttClient; messages: { topic: string; payload: string; retain: boolean }[] }> {
  const client = await mqtt.connectAsync(url, { clientId: `test-sub-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (t, p, packet) => messages.push({ topic: t, payload: p.toString(), retain: packet.retain }));
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, messages };
}

/** Polls until `check` returns true, or fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
