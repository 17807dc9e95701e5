// Security finding "cross-site replay": a signed request covered {verb, id, args, ts, nonce}
// but not the site, so a request the platform signed for site A could be replayed at site B
// (its own nonce store has never seen it) by anyone allowed to publish to B's req topics — a
// broker without per-site ACLs, like the in-process aedes here. The fix: an optional,
// signed `auth.site`; one naming another site is refused `wrong_site` always, and with
// `security.requireSiteBinding` a request without it is refused `missing`.
//
// Three real agents on one broker, all trusting the same platform key: A and B require the
// binding, C keeps the old default (requireSiteBinding: false).
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent/main.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { testAgentConfig } from '../helpers/agent-config.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { makeSigner, type PlatformSigner } from '../helpers/platform.js';
import { makeTempDir } from '../helpers/tmp.js';

type Reply = { id: string | null; status: 'ok' | 'error'; data?: Record<string, unknown>; error?: { code: string; message: string; reason?: string } };

const A = 'site-a';
const B = 'site-b';
const C = 'site-c';

const dirs: { remove: () => void }[] = [];
const agents: RunningAgent[] = [];
let broker: TestBroker;
let signer: PlatformSigner;
let plat: MqttClient;
const replies: { topic: string; body: Reply }[] = [];

async function send(site: string, payload: unknown): Promise<void> {
  await plat.publishAsync(`psv/v1/${site}/req/ping`, JSON.stringify(payload), { qos: 1 });
}

/** The n-th answer (1-based) of `site` to request `id`. */
async function answer(site: string, id: string, n = 1): Promise<Reply> {
  const mine = () => replies.filter((r) => r.topic === `psv/v1/${site}/res/ping` && r.body.id === id);
  await waitFor(`answer ${n} of ${site} to ${id}`, () => mine().length >= n, 15_000);
  return mine()[n - 1]!.body;
}

beforeAll(async () => {
  const keys = makeTempDir();
  dirs.push(keys);
  signer = makeSigner(keys.dir);
  broker = await startTestBroker();
  for (const [site, requireSiteBinding] of [
    [A, true],
    [B, true],
    [C, false],
  ] as const) {
    const tmp = makeTempDir();
    dirs.push(tmp);
    const config = testAgentConfig(tmp.dir, broker.url, site, {
      security: { requireSignedCommands: true, requireSiteBinding, platformKeys: [{ id: signer.keyId, publicKey: signer.publicKeyFile }] },
      discovery: { enabled: false },
      cameras: [],
    });
    expect(config.security.requireSiteBinding).toBe(requireSiteBinding);
    agents.push(await startAgent({ config, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100] }));
  }
  plat = await mqtt.connectAsync(broker.url, { clientId: `platform-${randomUUID()}`, reconnectPeriod: 0 });
  plat.on('message', (topic, p) => replies.push({ topic, body: JSON.parse(p.toString()) as Reply }));
  await plat.subscribeAsync('psv/v1/+/res/#', { qos: 1 });
  // Every agent answers before the tests start (each subscribed to its req topics).
  for (const site of [A, B, C]) {
    const id = `warmup-${site}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      await send(site, { id, args: {}, auth: signer.auth('ping', id, {}, { site }) });
      try {
        await answer(site, id);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
  }
}, 60_000);

afterAll(async () => {
  await plat?.endAsync(true);
  for (const a of agents) await a.stop('test done');
  await broker?.close();
  for (const d of dirs) d.remove();
}, 30_000);

describe('site binding of signed requests (security finding: cross-site replay)', () => {
  it('a request signed for site A, replayed byte for byte at site B, is refused wrong_site (B requires the binding)', async () => {
    const id = 'for-a-1';
    const payload = { id, args: {}, auth: signer.auth('ping', id, {}, { site: A }) };
    await send(A, payload);
    expect(await answer(A, id)).toMatchObject({ id, status: 'ok' });
    await send(B, payload);
    const refused = await answer(B, id);
    expect(refused).toMatchObject({ id, status: 'error', error: { code: 'unauthorized', reason: 'wrong_site' } });
    expect(refused.error!.message).toContain(`'${A}'`);
    expect(refused.error!.message).toContain(B);
  });

  it('a signed site that does not match is refused even where the binding is not required (site C)', async () => {
    const id = 'for-a-2';
    const payload = { id, args: {}, auth: signer.auth('ping', id, {}, { site: A }) };
    await send(C, payload);
    expect(await answer(C, id)).toMatchObject({ status: 'error', error: { code: 'unauthorized', reason: 'wrong_site' } });
    // The same key, bound to C, is fine at C.
    const own = 'for-c-1';
    await send(C, { id: own, args: {}, auth: signer.auth('ping', own, {}, { site: C }) });
    expect(await answer(C, own)).toMatchObject({ status: 'ok' });
  });

  it('old-style signatures (no auth.site) still work where the binding is not required, and are refused where it is', async () => {
    const id = 'old-style-1';
    const payload = { id, args: {}, auth: signer.auth('ping', id, {}) };
    expect(payload.auth).not.toHaveProperty('site');
    await send(C, payload);
    expect(await answer(C, id)).toMatchObject({ id, status: 'ok', data: { agentVersion: '0.0.0-test' } });
    // At C the old-style request is as replayable as before (the compatibility price); B, which
    // requires the binding, refuses the same replay outright.
    await send(B, payload);
    const refused = await answer(B, id);
    expect(refused).toMatchObject({ status: 'error', error: { code: 'unauthorized', reason: 'missing' } });
    expect(refused.error!.message).toMatch(/auth\.site/);
    expect(refused.error!.message).toMatch(/requireSiteBinding/);
  });

  it('tampering with auth.site breaks the signature', async () => {
    // Re-addressed to C: the site was signed, so the signature no longer verifies.
    const id = 'tamper-1';
    const auth = signer.auth('ping', id, {}, { site: A });
    await send(C, { id, args: {}, auth: { ...auth, site: C } });
    expect(await answer(C, id)).toMatchObject({ status: 'error', error: { code: 'unauthorized', reason: 'bad_signature' } });
    // Stripped: the request now looks old-style, and the signature covered the site.
    const id2 = 'tamper-2';
    const { site: _dropped, ...stripped } = signer.auth('ping', id2, {}, { site: A });
    await send(C, { id: id2, args: {}, auth: stripped });
    expect(await answer(C, id2)).toMatchObject({ status: 'error', error: { code: 'unauthorized', reason: 'bad_signature' } });
    // A site that is not a string is malformed.
    const id3 = 'tamper-3';
    await send(C, { id: id3, args: {}, auth: { ...signer.auth('ping', id3, {}), site: 7 } });
    expect(await answer(C, id3)).toMatchObject({ status: 'error', error: { code: 'unauthorized', reason: 'missing' } });
  });
});
