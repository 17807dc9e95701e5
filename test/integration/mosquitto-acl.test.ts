import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { RequestRouter } from '../../agent/linkage/requests/router.js';
import { basicVerbs } from '../../agent/linkage/verbs/basic.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { waitFor } from '../helpers/broker.js';
import { type Mosquitto } from '../helpers/mosquitto.js';
import { clientTls, makePki, startAclMosquitto } from '../helpers/pki.js';
import { makeTempDir } from '../helpers/tmp.js';

// The broker, not the agent, keeps sites apart: each box's certificate CN is its site id and
// the ACL (config/mosquitto-acl.example) confines it to its own topic root.
describe('mosquitto with client certificates and the psv ACL', () => {
  const pki = makeTempDir('cea-pki-');
  let broker: Mosquitto;
  let db: Database;
  let agentLink: MqttConnection;
  let router: RequestRouter;
  const clients: MqttClient[] = [];
  const tls = (cn: string) => clientTls(pki.dir, cn);
  const client = async (cn: string, version: 4 | 5 = 4) => {
    const c = await mqtt.connectAsync(broker.url, { clientId: `${cn}-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0, protocolVersion: version, ...tls(cn) });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    makePki(pki.dir, ['site-a', 'site-b', 'platform']);
    broker = await startAclMosquitto(pki.dir);
    ({ db } = openStore(join(pki.dir, 'agent.db'), { migrations, now: () => new Date() }));
    agentLink = new MqttConnection({
      url: broker.url,
      clientId: 'cea-site-a',
      ca: join(pki.dir, 'ca.pem'),
      cert: join(pki.dir, 'site-a.pem'),
      key: join(pki.dir, 'site-a.key'),
      keepaliveSeconds: 5,
      protocolVersion: 5,
      backoffMs: [100],
    });
    router = new RequestRouter({
      site: 'site-a',
      link: agentLink,
      db,
      logger: silentLogger(),
      now: () => new Date(),
      verbs: basicVerbs({
        site: { id: 'site-a', name: 'A', timezone: 'UTC' },
        cameras: [],
        now: () => new Date(),
        agentVersion: 'acl-test',
        cameraStatus: () => ({}),
        storage: () => null,
        reports: () => [],
        latestSnapshot: () => null,
        rebirth: async () => ({}),
      }),
      security: { requireSignedCommands: false, platformKeys: [] },
    });
    router.start();
    const connected = new Promise<void>((resolve) => agentLink.once('connect', () => resolve()));
    agentLink.connect();
    await connected;
    await new Promise((r) => setTimeout(r, 150));
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await router?.stop();
    await agentLink?.end({ force: true });
    db?.close();
    await broker?.stop();
    pki.remove();
  });

  it('lets the platform command site-a and read its topics over mTLS', async () => {
    const platform = await client('platform');
    const got: { topic: string; payload: string }[] = [];
    platform.on('message', (topic, p) => got.push({ topic, payload: p.toString() }));
    await platform.subscribeAsync('psv/v1/site-a/#', { qos: 1 });
    await agentLink.publish('psv/v1/site-a/state', JSON.stringify({ state: 'online' }), { qos: 1, retain: true });
    await agentLink.publish('psv/v1/site-a/event', JSON.stringify({ seq: 1 }), { qos: 1 });
    await platform.publishAsync('psv/v1/site-a/req/ping', JSON.stringify({ id: 'acl-1' }), { qos: 1 });
    await waitFor('state, event and the ping answer', () =>
      ['psv/v1/site-a/state', 'psv/v1/site-a/event', 'psv/v1/site-a/res/ping'].every((t) => got.some((g) => g.topic === t)),
    );
    expect(JSON.parse(got.find((g) => g.topic === 'psv/v1/site-a/res/ping')!.payload)).toMatchObject({ id: 'acl-1', status: 'ok' });
  });

  it("keeps site-b's certificate out of site-a: no reading its state/events, no commanding it", async () => {
    const platform = await client('platform');
    const answers: string[] = [];
    platform.on('message', (_t, p) => answers.push((JSON.parse(p.toString()) as { id: string }).id));
    await platform.subscribeAsync('psv/v1/site-a/res/#', { qos: 1 });

    const siteB = await client('site-b');
    const seen: string[] = [];
    siteB.on('message', (topic) => seen.push(topic));
    // mosquitto 2.0 may grant the subscription; the ACL is applied to every delivery.
    await siteB.subscribeAsync(['psv/v1/site-a/#', 'psv/v1/site-a/state', 'psv/v1/site-a/event', 'psv/v1/site-b/req/#'], { qos: 1 });
    await agentLink.publish('psv/v1/site-a/event', JSON.stringify({ seq: 2 }), { qos: 1 });
    await agentLink.publish('psv/v1/site-a/state', JSON.stringify({ state: 'online' }), { qos: 1, retain: true });
    // site-b tries to command site-a: the broker drops it, the agent never sees it.
    await siteB.publishAsync('psv/v1/site-a/req/ping', JSON.stringify({ id: 'from-b' }), { qos: 1 });
    await platform.publishAsync('psv/v1/site-a/req/ping', JSON.stringify({ id: 'from-platform' }), { qos: 1 });
    await waitFor('the platform ping answered', () => answers.includes('from-platform'));
    await new Promise((r) => setTimeout(r, 300));
    expect(answers).not.toContain('from-b');
    expect(seen).toEqual([]);
    expect(router.stats().received).toBe(2);
    // Positive control: site-b does receive its own requests.
    await platform.publishAsync('psv/v1/site-b/req/ping', JSON.stringify({ id: 'for-b' }), { qos: 1 });
    await waitFor('site-b to get its own request', () => seen.includes('psv/v1/site-b/req/ping'));
    expect(seen).toEqual(['psv/v1/site-b/req/ping']);
  });

  it('falls back to res/<verb> when the ACL refuses the requested MQTT 5 response topic', async () => {
    const platform = await client('platform', 5);
    const got: { topic: string; id: string }[] = [];
    platform.on('message', (topic, p) => got.push({ topic, id: (JSON.parse(p.toString()) as { id: string }).id }));
    await platform.subscribeAsync(['psv/v1/site-a/res/#', 'platform/private/#'], { qos: 1 });
    await platform.publishAsync('psv/v1/site-a/req/ping', JSON.stringify({ id: 'rt-out' }), {
      qos: 1,
      properties: { responseTopic: 'platform/private/x', correlationData: Buffer.from('c1') },
    });
    await platform.publishAsync('psv/v1/site-a/req/ping', JSON.stringify({ id: 'rt-in' }), {
      qos: 1,
      properties: { responseTopic: 'psv/v1/site-a/res/ping/node-1', correlationData: Buffer.from('c2') },
    });
    await waitFor('both answers', () => got.some((g) => g.id === 'rt-out') && got.some((g) => g.id === 'rt-in'));
    await new Promise((r) => setTimeout(r, 200));
    expect(got.filter((g) => g.id === 'rt-out').map((g) => g.topic)).toEqual(['psv/v1/site-a/res/ping']);
    expect(got.filter((g) => g.id === 'rt-in').map((g) => g.topic)).toEqual(['psv/v1/site-a/res/ping/node-1']);
  });

  it('refuses a client without a certificate', async () => {
    await expect(
      mqtt.connectAsync(broker.url, { clientId: 'no-cert', reconnectPeriod: 0, connectTimeout: 3000, ca: readFileSync(join(pki.dir, 'ca.pem')) }),
    ).rejects.toThrow();
  });
});
