import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import mqtt, { type MqttClient } from 'mqtt';
import { RequestRouter, type RequestRouterDeps } from '../../agent/linkage/requests/router.js';
import { VerbError, type VerbHandler } from '../../agent/linkage/requests/verb.js';
import { basicVerbs } from '../../agent/linkage/verbs/basic.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { makeSigner, type PlatformSigner } from '../helpers/platform.js';
import { makeTempDir } from '../helpers/tmp.js';

const SITE = 'site-r';
type Reply = { id: string | null; status: 'ok' | 'error'; data?: Record<string, unknown>; error?: { code: string; message: string; reason?: string } };

/** The platform's side: publishes requests, collects answers from res/#. */
async function platform(url: string): Promise<{ client: MqttClient; replies: { topic: string; body: Reply }[]; send: (verb: string, payload: unknown) => Promise<void>; next: (verb: string, id: string | null, n?: number) => Promise<Reply> }> {
  const client = await mqtt.connectAsync(url, { clientId: `platform-${randomUUID()}`, reconnectPeriod: 0 });
  const replies: { topic: string; body: Reply }[] = [];
  client.on('message', (topic, p) => replies.push({ topic, body: JSON.parse(p.toString()) as Reply }));
  await client.subscribeAsync(`psv/v1/${SITE}/res/#`, { qos: 1 });
  return {
    client,
    replies,
    send: async (verb, payload) => {
      await client.publishAsync(`psv/v1/${SITE}/req/${verb}`, typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), { qos: 1 });
    },
    next: async (verb, id, n = 1) => {
      const mine = () => replies.filter((r) => r.topic === `psv/v1/${SITE}/res/${verb}` && r.body.id === id);
      await waitFor(`${n} answer(s) to ${verb} ${String(id)}`, () => mine().length >= n, 5000);
      return mine()[n - 1]!.body;
    },
  };
}

describe('platform requests', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(opts: { signer?: PlatformSigner; extraVerbs?: VerbHandler<never>[]; db?: string; broker?: TestBroker; router?: Partial<RequestRouterDeps> } = {}) {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const broker = opts.broker ?? (await startTestBroker());
    if (!opts.broker) cleanups.push(() => broker.close());
    const { db } = openStore(opts.db ?? `${tmp.dir}/agent.db`, { migrations, now: () => new Date() });
    const connection = new MqttConnection({ url: broker.url, clientId: `cea-${randomUUID()}`, keepaliveSeconds: 5, protocolVersion: 4, backoffMs: [100] });
    const verbs: VerbHandler<never>[] = [
      ...(basicVerbs({
        site: { id: SITE, name: 'Requests', timezone: 'Asia/Shanghai' },
        cameras: [],
        now: () => new Date(),
        agentVersion: '9.9.9-test',
        cameraStatus: () => ({}),
        storage: () => null,
        reports: () => [],
        latestSnapshot: () => null,
        rebirth: async () => ({}),
      }) as VerbHandler<never>[]),
      ...(opts.extraVerbs ?? []),
    ];
    const router = new RequestRouter({
      site: SITE,
      link: connection,
      db,
      logger: silentLogger(),
      now: () => new Date(),
      verbs,
      security: opts.signer
        ? { requireSignedCommands: true, platformKeys: [{ id: opts.signer.keyId, publicKey: opts.signer.publicKeyFile }, { id: 'broken', publicKey: `${tmp.dir}/missing.pem` }] }
        : { requireSignedCommands: false, platformKeys: [] },
      ...opts.router,
    });
    router.start();
    const connected = new Promise<void>((resolve) => connection.once('connect', () => resolve()));
    connection.connect();
    await connected;
    // Let the SUBACK arrive before the platform publishes.
    await new Promise((r) => setTimeout(r, 100));
    const stop = async () => {
      await router.stop();
      await connection.end({ force: true });
      db.close();
    };
    cleanups.push(stop);
    const plat = await platform(broker.url);
    cleanups.push(() => plat.client.endAsync());
    return { broker, router, plat, stop, tmp };
  }

  it('answers ping, and bad requests with errors without falling over', async () => {
    const { plat, router } = await setup();
    await plat.send('ping', { id: 'p1' });
    const pong = await plat.next('ping', 'p1');
    expect(pong).toMatchObject({ id: 'p1', status: 'ok', data: { agentVersion: '9.9.9-test', ts: expect.any(String) } });

    await plat.send('ping', '{not json');
    expect((await plat.next('ping', null)).error).toMatchObject({ code: 'bad_request' });
    await plat.send('ping', Buffer.alloc(300 * 1024, 0x20));
    expect((await plat.next('ping', null, 2)).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/too large/) });
    await plat.send('ping', { args: {} });
    expect((await plat.next('ping', null, 3)).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/id/) });
    await plat.send('ping', { id: 'x'.repeat(129) });
    expect((await plat.next('ping', null, 4)).error?.code).toBe('bad_request');
    await plat.send('ping', { id: 'p-args', args: [1] });
    expect((await plat.next('ping', 'p-args')).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/args/) });
    await plat.send('no.such.verb', { id: 'u1' });
    expect(await plat.next('no.such.verb', 'u1')).toMatchObject({ status: 'error', error: { code: 'unknown_verb' } });

    await plat.send('ping', { id: 'p2' });
    expect((await plat.next('ping', 'p2')).status).toBe('ok');
    expect(router.stats()).toMatchObject({ badRequests: 5, unknownVerbs: 1 });
  });

  it('maps verb failures: invalid args, VerbError, and exceptions as internal without the stack', async () => {
    const verbs = [
      { verb: 'needs.camera', args: z.object({ camera: z.string() }), run: async () => ({}) },
      { verb: 'not.there', args: z.object({}), run: async () => { throw new VerbError('not_found', 'no such camera', { camera: 'x' }); } },
      { verb: 'explodes', args: z.object({}), run: async () => { throw new Error('secret internals at /srv/x.ts:12'); } },
    ] as unknown as VerbHandler<never>[];
    const { plat } = await setup({ extraVerbs: verbs });
    await plat.send('needs.camera', { id: 'a1', args: {} });
    expect((await plat.next('needs.camera', 'a1')).error).toMatchObject({ code: 'bad_request', issues: [{ path: 'camera' }] });
    await plat.send('not.there', { id: 'a2' });
    expect((await plat.next('not.there', 'a2')).error).toEqual({ code: 'not_found', message: 'no such camera', camera: 'x' });
    await plat.send('explodes', { id: 'a3' });
    const boom = await plat.next('explodes', 'a3');
    expect(boom.error?.code).toBe('internal');
    expect(JSON.stringify(boom)).not.toMatch(/secret|srv|stack/);
    await plat.send('ping', { id: 'a4' });
    expect((await plat.next('ping', 'a4')).status).toBe('ok');
  });

  it('checks signatures: ok, missing, unknown key, bad signature, stale, replayed (also across a restart)', async () => {
    const keyDir = makeTempDir();
    cleanups.push(keyDir.remove);
    const signer = makeSigner(keyDir.dir);
    const dbFile = `${keyDir.dir}/agent.db`;
    const first = await setup({ signer, db: dbFile });
    const { plat } = first;

    await plat.send('ping', { id: 's1', args: {}, auth: signer.auth('ping', 's1', {}) });
    expect(await plat.next('ping', 's1')).toMatchObject({ status: 'ok' });

    await plat.send('ping', { id: 's2' });
    expect((await plat.next('ping', 's2')).error).toMatchObject({ code: 'unauthorized', reason: 'missing' });

    await plat.send('ping', { id: 's3', args: {}, auth: { ...signer.auth('ping', 's3', {}), keyId: 'platform-9' } });
    expect((await plat.next('ping', 's3')).error).toMatchObject({ code: 'unauthorized', reason: 'unknown_key' });
    // A configured key whose file did not load is unusable, not a crash.
    await plat.send('ping', { id: 's3b', args: {}, auth: { ...signer.auth('ping', 's3b', {}), keyId: 'broken' } });
    expect((await plat.next('ping', 's3b')).error).toMatchObject({ code: 'unauthorized', reason: 'unknown_key' });

    await plat.send('ping', { id: 's4', args: { extra: 1 }, auth: signer.auth('ping', 's4', {}) });
    expect((await plat.next('ping', 's4')).error).toMatchObject({ code: 'unauthorized', reason: 'bad_signature' });
    // Signed for another verb: the verb comes from the topic, so the signature fails.
    await plat.send('status', { id: 's4b', args: {}, auth: signer.auth('ping', 's4b', {}) });
    expect((await plat.next('status', 's4b')).error).toMatchObject({ code: 'unauthorized', reason: 'bad_signature' });

    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    await plat.send('ping', { id: 's5', args: {}, auth: signer.auth('ping', 's5', {}, { ts: old }) });
    expect((await plat.next('ping', 's5')).error).toMatchObject({ code: 'unauthorized', reason: 'stale' });

    const nonce = 'fixed-nonce-0123456789';
    await plat.send('ping', { id: 's6', args: {}, auth: signer.auth('ping', 's6', {}, { nonce }) });
    expect((await plat.next('ping', 's6')).status).toBe('ok');
    await plat.send('ping', { id: 's7', args: {}, auth: signer.auth('ping', 's7', {}, { nonce }) });
    expect((await plat.next('ping', 's7')).error).toMatchObject({ code: 'unauthorized', reason: 'replayed' });
    expect(first.router.refusals()).toEqual({ missing: 1, unknown_key: 2, bad_signature: 2, wrong_site: 0, stale: 1, replayed: 1 });

    // The agent restarts on the same database: the nonce is still remembered.
    await first.stop();
    const second = await setup({ signer, db: dbFile, broker: first.broker });
    await second.plat.send('ping', { id: 's8', args: {}, auth: signer.auth('ping', 's8', {}, { nonce }) });
    expect((await second.plat.next('ping', 's8')).error).toMatchObject({ code: 'unauthorized', reason: 'replayed' });
    await second.plat.send('ping', { id: 's9', args: {}, auth: signer.auth('ping', 's9', {}) });
    expect((await second.plat.next('ping', 's9')).status).toBe('ok');
  });

  it('answers a duplicate id with the first reply without acting twice; an unsigned replay gets nothing', async () => {
    const keyDir = makeTempDir();
    cleanups.push(keyDir.remove);
    const signer = makeSigner(keyDir.dir);
    let runs = 0;
    const counter = { verb: 'count', args: z.object({}).passthrough(), run: async () => ({ runs: ++runs }) } as unknown as VerbHandler<never>;
    const { plat, router } = await setup({ signer, extraVerbs: [counter] });
    await plat.send('count', { id: 'd1', args: {}, auth: signer.auth('count', 'd1', {}) });
    const firstReply = await plat.next('count', 'd1');
    expect(firstReply).toEqual({ id: 'd1', status: 'ok', data: { runs: 1 } });
    // The platform retries, re-signed with a fresh nonce: same answer, the verb did not run again.
    await plat.send('count', { id: 'd1', args: {}, auth: signer.auth('count', 'd1', {}) });
    expect(await plat.next('count', 'd1', 2)).toEqual(firstReply);
    // Two copies at once: one run, both answered alike.
    const auth1 = signer.auth('count', 'd2', {});
    const auth2 = signer.auth('count', 'd2', {});
    await Promise.all([plat.send('count', { id: 'd2', args: {}, auth: auth1 }), plat.send('count', { id: 'd2', args: {}, auth: auth2 })]);
    expect(await plat.next('count', 'd2', 2)).toEqual(await plat.next('count', 'd2', 1));
    expect(runs).toBe(2);
    // Unsigned with a known id: refused before the cache is looked at.
    await plat.send('count', { id: 'd1' });
    expect((await plat.next('count', 'd1', 3)).error).toMatchObject({ code: 'unauthorized', reason: 'missing' });
    expect(router.stats().duplicates).toBe(2);
  });

  it('says busy beyond the queue, and answers the rest', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const slow = { verb: 'slow', args: z.object({}), run: async () => { started += 1; await gate; return { done: true }; } } as unknown as VerbHandler<never>;
    const { plat } = await setup({ extraVerbs: [slow], router: { concurrency: 1, queueLimit: 2 } });
    await plat.send('slow', { id: 'b1' });
    await waitFor('the first slow request to start', () => started === 1);
    await plat.send('slow', { id: 'b2' });
    await plat.send('slow', { id: 'b3' });
    await plat.send('slow', { id: 'b4' });
    expect((await plat.next('slow', 'b4')).error).toMatchObject({ code: 'busy' });
    release();
    for (const id of ['b1', 'b2', 'b3']) expect((await plat.next('slow', id)).status).toBe('ok');
    // busy is not remembered: the same id later gets a real answer.
    await plat.send('slow', { id: 'b4' });
    expect((await plat.next('slow', 'b4', 2)).status).toBe('ok');
    await plat.send('ping', { id: 'b5' });
    expect((await plat.next('ping', 'b5')).status).toBe('ok');
  });
});
