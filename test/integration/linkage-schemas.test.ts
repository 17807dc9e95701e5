import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { resolveConfigObject } from '../../agent/config/index.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import type { InventoryRecord } from '../../agent/inventory/policy.js';
import type { Service } from '../../agent/lifecycle/service.js';
import { BirthPublisher, configFingerprint } from '../../agent/linkage/birth.js';
import { CameraStatusService } from '../../agent/linkage/camera-status.js';
import { HealthPublisher, type HostProbe } from '../../agent/linkage/health.js';
import { RequestRouter } from '../../agent/linkage/requests/router.js';
import { LinkageService } from '../../agent/linkage/service.js';
import { basicVerbs } from '../../agent/linkage/verbs/basic.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { startTestBroker, waitFor } from '../helpers/broker.js';
import { makeSigner } from '../helpers/platform.js';
import { makeTempDir } from '../helpers/tmp.js';

const SCHEMA_DIR = new URL('../../config/schemas/', import.meta.url);

function validators() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // RFC 3339 date-time, as the agent writes it (toISOString) and the contract requires.
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
  const out = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const f of readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.schema.json'))) {
    out.set(f.replace('.schema.json', ''), ajv.compile(JSON.parse(readFileSync(new URL(f, SCHEMA_DIR), 'utf8')) as object));
  }
  return out;
}

const RECORD: InventoryRecord = {
  identity: { manufacturer: 'Acme', model: 'C1', firmware: '1.0', serial: 'SN1', hardwareId: 'hw' },
  hostname: null,
  network: [],
  scopes: [],
  profiles: [{ token: 'p', name: 'main', videoSourceToken: null, encoder: null, streamUri: 'rtsp://admin:pw@192.0.2.1/main', snapshotUri: null }],
  imaging: {},
};

describe('linkage payloads match config/schemas', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('validates every payload the agent publishes and every request the platform sends', async () => {
    const schemas = validators();
    expect([...schemas.keys()].sort()).toEqual(['birth', 'camera-status', 'event', 'health', 'request', 'response', 'state']);
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const signer = makeSigner(tmp.dir);
    const loaded = resolveConfigObject(
      {
        site: { id: 'site-sc', name: 'Schemas', timezone: 'Asia/Shanghai' },
        profile: 'liaoning-2008',
        mqtt: { url: broker.url, keepaliveSeconds: 5, protocolVersion: 4, username: 'u', password: 'mqtt-secret' },
        security: { requireSignedCommands: true, platformKeys: [{ id: signer.keyId, publicKey: signer.publicKeyFile }] },
        database: `${tmp.dir}/agent.db`,
        storage: { root: `${tmp.dir}/recordings` },
        discovery: { enabled: false },
        cameras: [
          { id: 'gate', name: 'Gate', onvif: { url: 'http://192.0.2.1/onvif/device_service', username: 'admin', password: 'cam-secret' }, location: { kind: 'street', description: 'Gate' }, record: true },
          { id: 'wc', name: 'WC', onvif: { url: 'http://192.0.2.2/onvif/device_service' }, location: { kind: 'toilet', description: 'no' }, record: true },
        ],
      },
      '<test>',
      { env: {}, cwd: tmp.dir },
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const config = loaded.config;
    const now = () => new Date();
    const logger = silentLogger();
    const { db } = openStore(config.database, { migrations, now });
    cleanups.push(() => void db.close());
    const bus = new EventBus(logger);
    const outbox = new Outbox({ db, site: config.site.id, now, newId: randomUUID });
    const recorder = new EventRecorder(db, outbox, bus);
    const connection = new MqttConnection({ url: broker.url, clientId: 'cea-site-sc', keepaliveSeconds: 5, protocolVersion: 4, backoffMs: [100] });
    const linkage = new LinkageService({ site: config.site.id, connection, outbox, logger, now, agentVersion: '1.2.3', bootId: 'boot-1' });
    const cameraStatus = new CameraStatusService({
      site: config.site.id,
      cameras: config.cameras,
      link: connection,
      bus,
      logger,
      now,
      sources: {
        uptime: (id) => (id === 'gate' ? { online: true, clockSkewMs: 120, h24: 0.99, d7: 1, d30: 0.5 } : null),
        clarity: (id) => (id === 'gate' ? { verdict: 'degraded', faults: ['blur'], metrics: { sharpness: 0.2 } } : null),
        recording: (id) => (id === 'gate' ? { state: 'recording', oldest: '2026-01-01T00:00:00.000Z', days: 3.5 } : null),
      },
    });
    const birth = new BirthPublisher({ config, link: connection, db, logger, now, agentVersion: '1.2.3', bootId: 'boot-1', inventory: (id) => (id === 'gate' ? RECORD : null) });
    let router: RequestRouter | null = null;
    const health = new HealthPublisher({
      site: config.site.id,
      link: connection,
      logger,
      now,
      refusals: () => router?.refusals() ?? { missing: 0, unknown_key: 0, bad_signature: 0, stale: 0, replayed: 0 },
      outboxSize: () => outbox.size(),
      agentVersion: '1.2.3',
      bootId: 'boot-1',
      probeTimeoutMs: 5000,
    });
    router = new RequestRouter({
      site: config.site.id,
      link: connection,
      db,
      logger,
      now,
      security: config.security,
      verbs: basicVerbs({
        site: config.site,
        cameras: config.cameras,
        now,
        agentVersion: '1.2.3',
        cameraStatus: (c) => cameraStatus.status(c),
        storage: () => ({ root: config.storage.root }),
        reports: () => [],
        latestSnapshot: (id) => (id === 'gate' ? { id: 1, cameraId: 'gate', takenAt: '2026-01-01T00:00:00.000Z', hash: 'h', record: RECORD } : null),
        rebirth: async () => {
          const b = await birth.publish();
          await health.publish();
          return { birthSeq: b.seq };
        },
      }),
    });
    const services: Service[] = [router, birth, health, cameraStatus, linkage];
    for (const s of services) await s.start(new AbortController().signal);
    cleanups.push(async () => {
      for (const s of services) await s.stop();
    });
    recorder.record({ type: 'clarity.fault', severity: 'warning', camera: 'gate', data: { faults: ['blur'] } });

    const root = 'psv/v1/site-sc';
    await waitFor('birth, health, state, status and event', () =>
      ['state', 'birth', 'health', 'event', 'camera/gate/status', 'camera/wc/status'].every((t) => broker.published.some((p) => p.topic === `${root}/${t}`)),
    );

    const platform = await mqtt.connectAsync(broker.url, { clientId: 'platform-sc', reconnectPeriod: 0 });
    cleanups.push(() => platform.endAsync());
    await platform.subscribeAsync(`${root}/res/#`, { qos: 1 });
    const requests: Record<string, unknown>[] = [];
    let n = 0;
    const send = async (verb: string, signed = true) => {
      const id = `r${++n}`;
      const req = { id, args: {}, ...(signed ? { auth: signer.auth(verb, id, {}) } : {}) };
      requests.push(req);
      await platform.publishAsync(`${root}/req/${verb}`, JSON.stringify(req), { qos: 1 });
      return id;
    };
    for (const verb of ['ping', 'status', 'cameras', 'rebirth', 'nope']) await send(verb);
    await send('ping', false);
    await platform.publishAsync(`${root}/req/ping`, '{', { qos: 1 });
    await waitFor('7 responses', () => broker.published.filter((p) => p.topic.startsWith(`${root}/res/`)).length >= 7);
    await waitFor('the second birth', () => broker.published.filter((p) => p.topic === `${root}/birth`).length >= 2);
    await linkage.stop(); // publishes "stopped"

    const check = (schema: string, payload: unknown, where: string) => {
      const validate = schemas.get(schema)!;
      const ok = validate(payload);
      expect(ok, `${where}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(payload)}`).toBe(true);
    };
    const kinds = new Set<string>();
    for (const p of broker.published) {
      if (!p.topic.startsWith(root) || p.clientId === 'platform-sc') continue;
      const rest = p.topic.slice(root.length + 1);
      const schema = rest === 'state' ? 'state' : rest === 'birth' ? 'birth' : rest === 'health' ? 'health' : rest === 'event' ? 'event' : rest.startsWith('res/') ? 'response' : /^camera\/[^/]+\/status$/.test(rest) ? 'camera-status' : null;
      expect(schema, `unexpected topic ${p.topic}`).not.toBeNull();
      kinds.add(schema!);
      check(schema!, JSON.parse(p.payload), p.topic);
    }
    expect([...kinds].sort()).toEqual(['birth', 'camera-status', 'event', 'health', 'response', 'state']);
    for (const r of requests) check('request', r, 'request');

    const responses = broker.published.filter((p) => p.topic.startsWith(`${root}/res/`)).map((p) => JSON.parse(p.payload) as { id: string | null; status: string; data?: Record<string, unknown>; error?: Record<string, unknown> });
    expect(responses.find((r) => r.id === 'r5')?.error).toMatchObject({ code: 'unknown_verb' });
    expect(responses.find((r) => r.id === 'r6')?.error).toMatchObject({ code: 'unauthorized', reason: 'missing' });
    expect(responses.find((r) => r.id === null)?.error).toMatchObject({ code: 'bad_request' });
    const status = responses.find((r) => r.id === 'r2')!.data!;
    expect(status.cameras).toEqual([expect.objectContaining({ id: 'gate', online: true }), expect.objectContaining({ id: 'wc', online: null })]);
    for (const c of status.cameras as Record<string, unknown>[]) check('camera-status', c, 'status verb camera');
    const cams = JSON.stringify(responses.find((r) => r.id === 'r3')!.data);
    expect(cams).toContain('Acme');
    // No secret leaves the box: not the camera password, not the credentials in a stream URI.
    for (const p of broker.published) expect(p.payload).not.toMatch(/cam-secret|mqtt-secret|admin:pw/);

    const births = broker.published.filter((p) => p.topic === `${root}/birth`).map((p) => JSON.parse(p.payload) as { seq: number; configFingerprint: string; cameras: unknown[] });
    expect(births.map((b) => b.seq)).toEqual([1, 2]);
    expect(responses.find((r) => r.id === 'r4')?.data).toEqual({ birthSeq: 2 });
    expect(births[0]!.configFingerprint).toBe(configFingerprint(config));
    // The fingerprint ignores secrets: another password, same fingerprint.
    expect(configFingerprint({ ...config, mqtt: { ...config.mqtt, password: 'other' } })).toBe(births[0]!.configFingerprint);
    expect(configFingerprint({ ...config, retention: { ...config.retention, ceilingDays: 99 } })).not.toBe(births[0]!.configFingerprint);
  });

  it('publishes health with what arrived when a host probe hangs or fails', async () => {
    const schemas = validators();
    const hanging: HostProbe = {
      cpu: async () => ({ loadPercent: 12.5 }),
      memory: () => new Promise(() => {}),
      temperature: async () => {
        throw new Error('no sensor');
      },
      disks: async () => [{ mount: '/', fs: '/dev/sda1', sizeBytes: 100, usedBytes: 50, usePercent: 50 }],
    };
    const published: string[] = [];
    const health = new HealthPublisher({
      site: 's',
      link: { connected: true, publish: async (_t, p) => void published.push(p), on: () => undefined, off: () => undefined },
      logger: silentLogger(),
      now: () => new Date(),
      probe: hanging,
      refusals: () => ({ missing: 1, unknown_key: 0, bad_signature: 0, stale: 0, replayed: 0 }),
      outboxSize: () => 3,
      agentVersion: 'x',
      bootId: 'b',
      probeTimeoutMs: 100,
    });
    const started = Date.now();
    await health.publish();
    expect(Date.now() - started).toBeLessThan(2000);
    const body = JSON.parse(published[0]!) as Record<string, unknown>;
    expect(body).toMatchObject({ cpu: { loadPercent: 12.5 }, memory: null, temperature: null, timedOut: ['memory'], outbox: { pending: 3 }, requests: { refusals: { missing: 1 } } });
    expect(schemas.get('health')!(body)).toBe(true);
  });

  it('rejects payloads that break the contract (the schemas are not vacuous)', () => {
    const schemas = validators();
    const response = schemas.get('response')!;
    expect(response({ id: 'a', status: 'ok', data: {} })).toBe(true);
    expect(response({ id: 'a', status: 'ok' })).toBe(false);
    expect(response({ id: 'a', status: 'ok', data: {}, error: { code: 'busy', message: '' } })).toBe(false);
    expect(response({ id: 'a', status: 'error', error: { code: 'unauthorized', message: 'x' } })).toBe(false);
    expect(response({ id: null, status: 'error', error: { code: 'teapot', message: 'x' } })).toBe(false);
    const request = schemas.get('request')!;
    expect(request({ id: 'x'.repeat(129) })).toBe(false);
    expect(request({ id: 'a', auth: { keyId: 'k', ts: '2026-01-01T00:00:00+08:00', nonce: 'n'.repeat(16), sig: 'AA==' } })).toBe(false);
    expect(request({ id: 'a', auth: { keyId: 'k', ts: '2026-01-01T00:00:00Z', nonce: 'short', sig: 'AA==' } })).toBe(false);
    expect(schemas.get('state')!({ state: 'sleeping', ts: '2026-01-01T00:00:00Z', agentVersion: '1', bootId: 'b' })).toBe(false);
    expect(schemas.get('event')!({ seq: 0, id: 'e', ts: '2026-01-01T00:00:00Z', type: 'camera.offline', severity: 'info', data: {} })).toBe(false);
  });
});
