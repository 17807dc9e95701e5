// Another site's certificate against site A's running agent. mosquitto authenticates every
// client by its TLS client certificate (CN = site id, `use_identity_as_username`) and
// applies config/mosquitto-acl.example. The agent runs WITHOUT required signatures here,
// so the broker is the only wall: site B's box (a stolen or compromised one) must neither
// command site A, nor read its events, state or answers, nor speak in its name; a
// certificate from another CA claiming CN=site-a must not connect at all. The platform's
// certificate is the positive control throughout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mosquitto } from '../helpers/mosquitto.js';
import { clientTls, makePki, startAclMosquitto } from '../helpers/pki.js';
import { makeTempDir } from '../helpers/tmp.js';
import { agentConfig, platformClient, startAgentProcess, waitFor, type AgentProcess, type Platform } from './harness.js';

const pki = makeTempDir('cea-sec-pki-');
const rogue = makeTempDir('cea-sec-rogue-');
const home = makeTempDir('cea-sec-site-a-');
let broker: Mosquitto;
let agent: AgentProcess;
let plat: Platform;
const clients: MqttClient[] = [];
const tls = (dir: string, cn: string) => clientTls(pki.dir, cn, dir);

/** Reasons of the holds in site A's database (read-only, while the agent runs). */
function holds(): string[] {
  const db = new BetterSqlite3(join(home.dir, 'agent.db'), { readonly: true });
  try {
    return db.prepare<[], { reason: string }>('SELECT reason FROM holds ORDER BY rowid').all().map((r) => r.reason);
  } finally {
    db.close();
  }
}

async function siteB(): Promise<{ client: MqttClient; seen: { topic: string; payload: string }[] }> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `site-b-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0, ...tls(pki.dir, 'site-b') });
  clients.push(client);
  const seen: { topic: string; payload: string }[] = [];
  client.on('message', (topic, p) => seen.push({ topic, payload: p.toString() }));
  return { client, seen };
}

beforeAll(async () => {
  makePki(pki.dir, ['site-a', 'site-b', 'platform']);
  makePki(rogue.dir, ['site-a']); // another CA's certificate with the same CN
  broker = await startAclMosquitto(pki.dir);
  const config = await agentConfig(home.dir, 'site-a', broker.url, {
    mqtt: { url: broker.url, keepaliveSeconds: 5, ca: join(pki.dir, 'ca.pem'), cert: join(pki.dir, 'site-a.pem'), key: join(pki.dir, 'site-a.key') },
    security: { requireSignedCommands: false, platformKeys: [] },
    cameras: [{ id: 'gate', name: 'Gate', onvif: { url: 'http://127.0.0.1:9/onvif/device_service' }, location: { kind: 'street', description: 'gate' }, record: false }],
  });
  agent = await startAgentProcess({ dir: home.dir, brokerUrl: broker.url, site: 'site-a', config, watch: tls(pki.dir, 'platform') });
  plat = await platformClient(broker.url, 'site-a', tls(pki.dir, 'platform'));
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await plat?.client.endAsync(true);
  await agent?.stop();
  await broker?.stop();
  for (const d of [pki, rogue, home]) d.remove();
});

describe("site B's certificate against site A", () => {
  it('control: the platform commands site A over mTLS', async () => {
    expect(await plat.call('ping')).toMatchObject({ status: 'ok' });
  });

  it("cannot command site A: its requests never reach the agent, which never acts or answers", async () => {
    const b = await siteB();
    const hold = { camera: 'gate', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', kind: 'legal', reason: 'from-b' };
    await b.client.publishAsync('psv/v1/site-a/req/ping', JSON.stringify({ id: 'from-b-ping' }), { qos: 1 });
    await b.client.publishAsync('psv/v1/site-a/req/hold.add', JSON.stringify({ id: 'from-b-hold', args: hold }), { qos: 1 });
    await b.client.publishAsync('psv/v1/site-a/req/rebirth', JSON.stringify({ id: 'from-b-rebirth' }), { qos: 0 });
    // A ping from the platform after them: once it is answered, B's would have been too.
    const after = await plat.call('ping');
    expect(after.status).toBe('ok');
    await new Promise((r) => setTimeout(r, 300));
    expect(plat.replies.map((r) => r.body.id)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^from-b/)]));
    expect(agent.output()).not.toContain('from-b');
    expect(holds()).toEqual([]);
    // The same hold from the platform does act: the empty table above means something.
    const granted = await plat.call('hold.add', { ...hold, reason: 'from-platform' });
    expect(granted.error).toBeUndefined();
    expect(holds()).toEqual(['from-platform']);
  });

  it("cannot read site A's events, state, birth or answers, even by wildcard", async () => {
    const b = await siteB();
    await b.client.subscribeAsync(['psv/v1/site-a/#', 'psv/v1/+/event', 'psv/v1/+/res/#', '#', 'psv/v1/site-a/state'], { qos: 1 });
    const seenByPlatform: string[] = [];
    const watch = await mqtt.connectAsync(broker.url, { clientId: `platform-watch-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0, ...tls(pki.dir, 'platform') });
    clients.push(watch);
    watch.on('message', (topic) => seenByPlatform.push(topic));
    await watch.subscribeAsync('psv/v1/site-a/#', { qos: 1 });
    // Make the agent publish: a rebirth (birth), its answer, and the retained state already there.
    expect((await plat.call('rebirth')).status).toBe('ok');
    await waitFor('the platform to see birth and state', () => ['psv/v1/site-a/birth', 'psv/v1/site-a/state'].every((t) => seenByPlatform.includes(t)));
    await new Promise((r) => setTimeout(r, 300));
    expect(b.seen.filter((m) => m.topic.startsWith('psv/v1/site-a/'))).toEqual([]);
  });

  it('cannot speak as site A: a forged offline state or event never reaches the platform', async () => {
    const b = await siteB();
    const seen: { topic: string; payload: string }[] = [];
    const watch = await mqtt.connectAsync(broker.url, { clientId: `platform-watch-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0, ...tls(pki.dir, 'platform') });
    clients.push(watch);
    watch.on('message', (topic, p) => seen.push({ topic, payload: p.toString() }));
    await watch.subscribeAsync(['psv/v1/site-a/state', 'psv/v1/site-a/event', 'psv/v1/site-a/res/#'], { qos: 1 });
    await waitFor('the retained state', () => seen.some((m) => m.topic === 'psv/v1/site-a/state'));
    await b.client.publishAsync('psv/v1/site-a/state', JSON.stringify({ state: 'offline', forgedBy: 'site-b' }), { qos: 1, retain: true });
    await b.client.publishAsync('psv/v1/site-a/event', JSON.stringify({ seq: 999999, type: 'camera.offline', forgedBy: 'site-b' }), { qos: 1 });
    await b.client.publishAsync('psv/v1/site-a/res/ping', JSON.stringify({ id: 'x', status: 'ok', forgedBy: 'site-b' }), { qos: 1 });
    expect((await plat.call('ping')).status).toBe('ok');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((m) => m.payload.includes('forgedBy'))).toEqual([]);
  });

  it('a certificate from another CA claiming CN=site-a, and no certificate at all: refused at the handshake', async () => {
    const forged = tls(rogue.dir, 'site-a'); // our CA trusted, the rogue CA's certificate
    await expect(mqtt.connectAsync(broker.url, { clientId: 'rogue-site-a', reconnectPeriod: 0, connectTimeout: 3000, ...forged })).rejects.toThrow();
    await expect(mqtt.connectAsync(broker.url, { clientId: 'no-cert', reconnectPeriod: 0, connectTimeout: 3000, ca: forged.ca })).rejects.toThrow();
    // The agent is still connected and answering.
    expect((await plat.call('ping')).status).toBe('ok');
  });

  it("site A's private key never appears in its log", () => {
    const key = readFileSync(join(pki.dir, 'site-a.key'), 'utf8');
    const body = key.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    expect(body.length).toBeGreaterThan(40);
    const log = agent.output();
    expect(log).toMatch(/connected to broker/);
    for (const line of key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(log).not.toContain(line);
  });
});
