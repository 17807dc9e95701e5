import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { RequestRouter } from '../../agent/linkage/requests/router.js';
import { basicVerbs } from '../../agent/linkage/verbs/basic.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { waitFor } from '../helpers/broker.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { makeTempDir } from '../helpers/tmp.js';

const SITE = 'site-5';

// MQTT 5 request/response: the answer goes where the request asks, with its correlation data.
describe('MQTT 5 response topic', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('answers on the responseTopic with the correlation data echoed, and only there', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const { db } = openStore(`${tmp.dir}/agent.db`, { migrations, now: () => new Date() });
    cleanups.push(() => void db.close());
    const connection = new MqttConnection({ url: broker.url, clientId: `cea-${SITE}`, keepaliveSeconds: 5, protocolVersion: 5, backoffMs: [100] });
    const router = new RequestRouter({
      site: SITE,
      link: connection,
      db,
      logger: silentLogger(),
      now: () => new Date(),
      verbs: basicVerbs({
        site: { id: SITE, name: 'v5', timezone: 'UTC' },
        cameras: [],
        now: () => new Date(),
        agentVersion: '5.0.0-test',
        cameraStatus: () => ({}),
        storage: () => null,
        reports: () => [],
        latestSnapshot: () => null,
        rebirth: async () => ({}),
      }),
      security: { requireSignedCommands: false, platformKeys: [] },
    });
    router.start();
    const connected = new Promise<void>((resolve) => connection.once('connect', () => resolve()));
    connection.connect();
    await connected;
    cleanups.push(async () => {
      await router.stop();
      await connection.end({ force: true });
    });
    await new Promise((r) => setTimeout(r, 100));

    const plat = await mqtt.connectAsync(broker.url, { clientId: `platform-${randomUUID()}`, protocolVersion: 5, reconnectPeriod: 0 });
    cleanups.push(() => plat.endAsync());
    const got: { topic: string; body: { id: string; status: string }; correlation: Buffer | undefined }[] = [];
    plat.on('message', (topic, payload, packet) => got.push({ topic, body: JSON.parse(payload.toString()) as { id: string; status: string }, correlation: packet.properties?.correlationData }));
    await plat.subscribeAsync([`psv/v1/${SITE}/res/#`, 'platform/replies/node-7'], { qos: 1 });

    const correlation = Buffer.from([0x00, 0xff, 0x10, 0x42]);
    await plat.publishAsync(`psv/v1/${SITE}/req/ping`, JSON.stringify({ id: 'm5-1' }), {
      qos: 1,
      properties: { responseTopic: 'platform/replies/node-7', correlationData: correlation },
    });
    await waitFor('the answer on the response topic', () => got.some((g) => g.body.id === 'm5-1'));
    // Without a responseTopic the contract's res topic is used.
    await plat.publishAsync(`psv/v1/${SITE}/req/ping`, JSON.stringify({ id: 'm5-2' }), { qos: 1 });
    await waitFor('the answer on the res topic', () => got.some((g) => g.body.id === 'm5-2'));
    await new Promise((r) => setTimeout(r, 200));

    const first = got.filter((g) => g.body.id === 'm5-1');
    expect(first).toHaveLength(1);
    expect(first[0]!.topic).toBe('platform/replies/node-7');
    expect(first[0]!.body.status).toBe('ok');
    expect(first[0]!.correlation?.equals(correlation)).toBe(true);
    const second = got.filter((g) => g.body.id === 'm5-2');
    expect(second.map((g) => g.topic)).toEqual([`psv/v1/${SITE}/res/ping`]);
  });
});
