// An attacker on the platform broker sends commands to a running agent (child process,
// mosquitto) that requires signed commands: every forgery, replay and clock trick is
// refused `unauthorized` with its reason, and none of them acts. Also oversized and
// deeply nested payloads: refused `bad_request`, the agent keeps answering, memory bounded.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../agent/canonical-json.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { makeSigner, type PlatformSigner } from '../helpers/platform.js';
import { makeTempDir } from '../helpers/tmp.js';
import { agentConfig, peakRssDuring, platformClient, quickCheck, startAgentProcess, waitFor, type AgentProcess, type Platform } from './harness.js';

const SITE = 'sec-cmd';
const tmp = makeTempDir('cea-sec-cmd-');
let broker: Mosquitto;
let agent: AgentProcess;
let plat: Platform;
let signer: PlatformSigner;
let config: Record<string, unknown>;
let n = 0;
/** Log output of agent processes that were restarted. */
let earlierOutput = '';
const nextId = (tag: string) => `${tag}-${(n += 1)}`;

async function start(): Promise<void> {
  if (agent) earlierOutput += agent.output();
  agent = await startAgentProcess({ dir: tmp.dir, brokerUrl: broker.url, site: SITE, config });
}

/** The agent's answer to a request signed (or not) as the attacker chooses. */
async function attempt(verb: string, body: Record<string, unknown>): Promise<{ id: string; reply: Awaited<ReturnType<Platform['next']>> }> {
  const id = body.id as string;
  await plat.send(verb, body);
  return { id, reply: await plat.next(verb, id) };
}

beforeAll(async () => {
  broker = await startMosquitto();
  signer = makeSigner(tmp.dir, 'platform-1');
  config = await agentConfig(tmp.dir, SITE, broker.url, {
    security: { requireSignedCommands: true, platformKeys: [{ id: signer.keyId, publicKey: signer.publicKeyFile }] },
  });
  await start();
  plat = await platformClient(broker.url, SITE);
}, 60_000);

afterAll(async () => {
  await plat?.client.endAsync(true);
  await agent?.stop();
  await broker?.stop();
  tmp.remove();
});

describe('signed commands (requireSignedCommands: true)', () => {
  it('a correctly signed ping is answered (the control every refusal below is measured against)', async () => {
    const id = nextId('ok');
    const { reply } = await attempt('ping', { id, args: {}, auth: signer.auth('ping', id, {}) });
    expect(reply).toMatchObject({ id, status: 'ok' });
  });

  it('unsigned: refused, reason missing', async () => {
    const { reply } = await attempt('status', { id: nextId('unsigned'), args: {} });
    expect(reply.error).toMatchObject({ code: 'unauthorized', reason: 'missing' });
    expect(reply.data).toBeUndefined();
  });

  it('an auth block with the wrong types or a short nonce: refused, reason missing', async () => {
    const id = nextId('malformed');
    const good = signer.auth('ping', id, {});
    expect((await attempt('ping', { id, args: {}, auth: { ...good, sig: 42 } })).reply.error).toMatchObject({ code: 'unauthorized', reason: 'missing' });
    const id2 = nextId('malformed');
    const short = signer.auth('ping', id2, {}, { nonce: 'abc' });
    expect((await attempt('ping', { id: id2, args: {}, auth: short })).reply.error).toMatchObject({ code: 'unauthorized', reason: 'missing' });
    const id3 = nextId('malformed');
    expect((await attempt('ping', { id: id3, args: {}, auth: 'let me in' })).reply.error).toMatchObject({ code: 'unauthorized', reason: 'missing' });
  });

  it('signed by a key the agent does not know (right keyId, wrong private key): bad_signature', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const id = nextId('wrongkey');
    const ts = new Date().toISOString();
    const nonce = randomBytes(18).toString('base64url');
    const sig = sign(null, Buffer.from(canonicalJson({ verb: 'ping', id, args: {}, ts, nonce })), privateKey).toString('base64');
    const { reply } = await attempt('ping', { id, args: {}, auth: { keyId: signer.keyId, ts, nonce, sig } });
    expect(reply.error).toMatchObject({ code: 'unauthorized', reason: 'bad_signature' });
  });

  it('one flipped byte in the signature: bad_signature', async () => {
    const id = nextId('flip');
    const auth = signer.auth('ping', id, {});
    const raw = Buffer.from(auth.sig, 'base64');
    raw[7] = raw[7]! ^ 0x01;
    const { reply } = await attempt('ping', { id, args: {}, auth: { ...auth, sig: raw.toString('base64') } });
    expect(reply.error).toMatchObject({ code: 'unauthorized', reason: 'bad_signature' });
  });

  it('a genuine signature over other args, another id, another verb: bad_signature, nothing done', async () => {
    const hold = { camera: 'gate', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', kind: 'legal', reason: 'case 1' };
    const id = nextId('otherargs');
    const signedFor = signer.auth('hold.add', id, { ...hold, camera: 'yard' });
    expect((await attempt('hold.add', { id, args: hold, auth: signedFor })).reply.error).toMatchObject({ code: 'unauthorized', reason: 'bad_signature' });
    const id2 = nextId('otherid');
    expect((await attempt('ping', { id: id2, args: {}, auth: signer.auth('ping', `${id2}-x`, {}) })).reply.error).toMatchObject({ reason: 'bad_signature' });
    const id3 = nextId('otherverb');
    expect((await attempt('rebirth', { id: id3, args: {}, auth: signer.auth('ping', id3, {}) })).reply.error).toMatchObject({ reason: 'bad_signature' });
  });

  it('unknown keyId: unknown_key', async () => {
    const id = nextId('unknownkey');
    const { reply } = await attempt('ping', { id, args: {}, auth: { ...signer.auth('ping', id, {}), keyId: 'platform-evil' } });
    expect(reply.error).toMatchObject({ code: 'unauthorized', reason: 'unknown_key' });
  });

  it('stale ts (10 min old, genuinely signed): stale', async () => {
    const id = nextId('stale');
    const ts = new Date(Date.now() - 10 * 60_000).toISOString();
    const { reply } = await attempt('ping', { id, args: {}, auth: signer.auth('ping', id, {}, { ts }) });
    expect(reply.error).toMatchObject({ code: 'unauthorized', reason: 'stale' });
  });

  it('future-dated ts (10 min ahead, also a non-UTC and an impossible date): stale', async () => {
    const id = nextId('future');
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
    expect((await attempt('ping', { id, args: {}, auth: signer.auth('ping', id, {}, { ts: ahead }) })).reply.error).toMatchObject({ reason: 'stale' });
    const id2 = nextId('future');
    const local = new Date().toISOString().replace('Z', '+08:00');
    expect((await attempt('ping', { id: id2, args: {}, auth: signer.auth('ping', id2, {}, { ts: local }) })).reply.error).toMatchObject({ reason: 'stale' });
    const id3 = nextId('future');
    expect((await attempt('ping', { id: id3, args: {}, auth: signer.auth('ping', id3, {}, { ts: '2026-02-30T00:00:00Z' }) })).reply.error).toMatchObject({ reason: 'stale' });
  });

  it('a replayed nonce (captured from a good request, re-sent with a new id and a fresh signature): replayed', async () => {
    const nonce = randomBytes(18).toString('base64url');
    const id = nextId('first');
    expect((await attempt('ping', { id, args: {}, auth: signer.auth('ping', id, {}, { nonce }) })).reply.status).toBe('ok');
    // The byte-identical message again (a broker redelivery or a sniffer's replay).
    const id2 = nextId('replay');
    expect((await attempt('ping', { id: id2, args: {}, auth: signer.auth('ping', id2, {}, { nonce }) })).reply.error).toMatchObject({ reason: 'replayed' });
  });

  it('a replayed nonce across an agent restart: still replayed (request_nonces persists)', async () => {
    const nonce = randomBytes(18).toString('base64url');
    const id = nextId('before-restart');
    const body = { id, args: {}, auth: signer.auth('ping', id, {}, { nonce }) };
    expect((await attempt('ping', body)).reply.status).toBe('ok');
    const exit = await agent.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    await start();
    // The same message, word for word, after the restart.
    await plat.send('ping', body);
    expect((await plat.next('ping', id, 2)).error).toMatchObject({ code: 'unauthorized', reason: 'replayed' });
    const id2 = nextId('after-restart');
    expect((await attempt('ping', { id: id2, args: {}, auth: signer.auth('ping', id2, {}, { nonce }) })).reply.error).toMatchObject({ reason: 'replayed' });
    const id3 = nextId('fresh');
    expect((await attempt('ping', { id: id3, args: {}, auth: signer.auth('ping', id3, {}) })).reply.status).toBe('ok');
  });

  it('every refusal is logged with its reason, never with the signature or nonce it carried', async () => {
    const id = nextId('logged');
    const auth = { ...signer.auth('ping', id, {}), keyId: 'platform-evil' };
    await attempt('ping', { id, args: {}, auth });
    await new Promise((r) => setTimeout(r, 200)); // the log line is written after the answer
    const output = `${earlierOutput}\n${agent.output()}`;
    const refused = output.split('\n').filter((l) => l.includes('request refused'));
    const reasons = new Set(refused.map((l) => (JSON.parse(l) as { reason: string }).reason));
    expect([...reasons].sort()).toEqual(['bad_signature', 'missing', 'replayed', 'stale', 'unknown_key']);
    expect(output).not.toContain(auth.sig);
    expect(output).not.toContain(auth.nonce);
  });
});

describe('MQTT 5 response topic as a weapon', () => {
  it("a request naming one of the agent's own topics (state, event, birth) as its responseTopic: answered on res/<verb> instead", async () => {
    const v5 = await mqtt.connectAsync(broker.url, { clientId: `attacker-${randomBytes(4).toString('hex')}`, protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const seen: { topic: string; payload: string }[] = [];
      v5.on('message', (topic, p) => seen.push({ topic, payload: p.toString() }));
      const own = ['state', 'event', 'birth', 'health', 'camera/gate/status'].map((t) => `psv/v1/${SITE}/${t}`);
      await v5.subscribeAsync([...own, 'psv/v1/other-site/#'], { qos: 1 });
      await new Promise((r) => setTimeout(r, 200));
      seen.length = 0; // retained state and birth
      const targets = [...own, 'psv/v1/other-site/event'];
      for (const [i, responseTopic] of targets.entries()) {
        const id = `hijack-${i}`;
        // Unsigned: the refusal itself is what would be published there.
        await v5.publishAsync(`psv/v1/${SITE}/req/ping`, JSON.stringify({ id }), { qos: 1, properties: { responseTopic, correlationData: Buffer.from('x') } });
        expect((await plat.next('ping', id)).error).toMatchObject({ code: 'unauthorized' });
      }
      // A platform-side reply topic outside psv/v1 is still honoured (the MQTT 5 contract).
      const id = nextId('own-reply');
      await v5.subscribeAsync('platform/replies/#', { qos: 1 });
      await v5.publishAsync(`psv/v1/${SITE}/req/ping`, JSON.stringify({ id, args: {}, auth: signer.auth('ping', id, {}) }), {
        qos: 1,
        properties: { responseTopic: 'platform/replies/node-1', correlationData: Buffer.from('y') },
      });
      await waitFor('the answer on the platform reply topic', () => seen.some((m) => m.topic === 'platform/replies/node-1'));
      expect(seen.filter((m) => m.payload.includes('hijack-'))).toEqual([]);
    } finally {
      await v5.endAsync(true);
    }
  });
});

describe('payload bombs to req topics', () => {
  it('a 10 MB payload: bad_request "too large", memory bounded, ping still answered', async () => {
    const before = agent.rss();
    const { peak, result } = await peakRssDuring(agent.pid, async () => {
      const big = JSON.stringify({ id: 'big-1', args: { blob: 'A'.repeat(10 * 1024 * 1024) } });
      await plat.send('ping', big);
      return plat.next('ping', null, 1, 30_000);
    });
    process.stdout.write(`commands: 10 MB request: RSS before ${(before / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB\n`);
    expect(result.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/too large/) });
    // The broker hands the agent the whole 10 MB message once; nothing may multiply it.
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
    const id = nextId('after-big');
    expect((await attempt('ping', { id, args: {}, auth: signer.auth('ping', id, {}) })).reply.status).toBe('ok');
  });

  it('JSON nested 100 000 levels deep (under the size cap): bad_request, not a stack overflow or silence', async () => {
    const depth = 100_000;
    const nested = `{"id":"deep-1","args":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    expect(nested.length).toBeLessThan(256 * 1024);
    let mark = plat.replies.length;
    await plat.send('ping', nested);
    const deepArrays = await plat.after(mark, 'ping', (r) => /nested/.test(r.error?.message ?? ''), 20_000);
    expect(deepArrays).toMatchObject({ id: null, status: 'error', error: { code: 'bad_request' } });
    // Signed, so the signature check would canonicalise the (recursive) args: found before that.
    const objects = `{"id":"deep-2","args":{"x":${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}},"auth":${JSON.stringify(signer.auth('ping', 'deep-2', {}))}}`;
    mark = plat.replies.length;
    await plat.send('ping', objects);
    const deepObjects = await plat.after(mark, 'ping', (r) => /nested/.test(r.error?.message ?? ''), 20_000);
    expect(deepObjects).toMatchObject({ id: null, status: 'error', error: { code: 'bad_request' } });
    // Brackets inside strings are text, not nesting: a legitimate request with them is answered.
    const id = nextId('brackets');
    const args = { note: '['.repeat(5000) };
    const reply = await attempt('ping', { id, args, auth: signer.auth('ping', id, args) });
    expect(reply.reply.error?.message ?? '').not.toMatch(/nested/);
    const id2 = nextId('after-deep');
    expect((await attempt('ping', { id: id2, args: {}, auth: signer.auth('ping', id2, {}) })).reply.status).toBe('ok');
    expect(agent.proc.child.exitCode).toBeNull();
  });

  it('a burst of 500 junk messages: each refused, the agent alive and its database sound', async () => {
    const junk = ['', 'null', '[]', '"x"', '{"id":', '\u0000\u0001\u0002', '{"id":"j","args":"x"}', '{"id":{"$gt":""}}', Buffer.from([0xff, 0xfe, 0xfd]).toString('latin1')];
    for (let i = 0; i < 500; i += 1) await plat.send(i % 7 === 0 ? `no.such.${i}` : 'ping', junk[i % junk.length]!);
    const id = nextId('after-junk');
    expect((await attempt('ping', { id, args: {}, auth: signer.auth('ping', id, {}) })).reply.status).toBe('ok');
    expect(quickCheck((config.database as string))).toBe('ok');
    expect(agent.proc.child.exitCode).toBeNull();
  });
});
