// Live view end to end: live.open through its verb handler, the authenticated relay on
// 127.0.0.1, real ffmpeg reading the RTSP test source and producing MPEG-1 in MPEG-TS.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { LIVE_CLOSE, LiveRelay, LiveTokens } from '../../drivers/live/index.js';
import { liveOpenVerb, type LiveAccessEntry, type LiveOpenArgs } from '../../agent/linkage/verbs/live.js';
import { VerbError, type RequestContext } from '../../agent/linkage/requests/verb.js';
import { startRtspSource, type RtspSource } from '../fakes/rtsp-source.js';

const CAMERAS: Record<string, { id: string; prohibited: boolean }> = {
  gate: { id: 'gate', prohibited: false },
  lobby: { id: 'lobby', prohibited: false },
  changing: { id: 'changing', prohibited: true },
};
const PASSWORD = 's3cret-Live!';
const MAX_VIEWERS = 2;

let source: RtspSource;
let tokens: LiveTokens;
let relay: LiveRelay;
let port: number;
const register: LiveAccessEntry[] = [];
let registerFails = false;
const logLines: string[] = [];
const open: WebSocket[] = [];
let seq = 0;

const ctx = (): RequestContext => ({ verb: 'live.open', id: `req-${(seq += 1)}`, keyId: 'platform-1', receivedAt: new Date() });
const args = (camera: string): LiveOpenArgs => ({ camera, requester: { staff: ['officer-7'], purpose: 'incident check' } });

function handler(tokenTtlSeconds = 300) {
  return liveOpenVerb({
    camera: (id) => CAMERAS[id],
    registerAccess: async (entry) => {
      // The register is written before any token exists.
      register.push({ ...entry, detail: { ...entry.detail } });
      if (registerFails) throw new Error('disk full');
    },
    issueToken: (camera, keyId, expiresAt) => tokens.issue(camera, keyId, expiresAt),
    advertise: { host: '127.0.0.1', port },
    tokenTtlSeconds,
  });
}

async function liveOpen(camera: string, ttl?: number): Promise<{ url: string; token: string; expiresAt: string }> {
  const h = handler(ttl);
  return (await h.run(h.args.parse(args(camera)), ctx())) as { url: string; token: string; expiresAt: string };
}

type Outcome = { ws: WebSocket; first: Promise<Buffer> } | { status: number };

function connect(url: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      req.destroy();
    });
    ws.once('open', () => {
      open.push(ws);
      const first = new Promise<Buffer>((res) => ws.once('message', (d: Buffer) => res(d)));
      resolve({ ws, first });
    });
    ws.once('error', (err) => reject(err));
  });
}

async function viewer(url: string): Promise<{ ws: WebSocket; first: Promise<Buffer> }> {
  const r = await connect(url);
  if ('status' in r) throw new Error(`refused with ${r.status}`);
  return r;
}

const closed = (ws: WebSocket) =>
  new Promise<{ code: number; at: number }>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve({ code: -1, at: Date.now() });
    ws.once('close', (code) => resolve({ code, at: Date.now() }));
  });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  source = await startRtspSource({ credentials: { username: 'admin', password: PASSWORD } });
  tokens = new LiveTokens();
  relay = new LiveRelay({
    host: '127.0.0.1',
    port: 0,
    tokens,
    streamUrl: async () => source.urlWithCredentials,
    maxViewersPerCamera: MAX_VIEWERS,
    lingerMs: 300,
    log: {
      info: (o, m) => logLines.push(`${m} ${JSON.stringify(o)}`),
      warn: (o, m) => logLines.push(`${m} ${JSON.stringify(o)}`),
    },
  });
  port = (await relay.start()).port;
});

afterAll(async () => {
  for (const ws of open) ws.terminate();
  const pids = relay.stats().flatMap((s) => (s.pid ? [s.pid] : []));
  await relay.stop();
  await source.close();
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

describe('live.open', () => {
  test('answers url, token and expiry after writing the access register', async () => {
    const before = register.length;
    const res = await liveOpen('gate');
    expect(res.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.url).toBe(`ws://127.0.0.1:${port}/live/gate?token=${res.token}`);
    const ttl = Date.parse(res.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(295_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    expect(register.slice(before)).toMatchObject([
      { verb: 'live.open', cameras: ['gate'], keyId: 'platform-1', staff: ['officer-7'], purpose: 'incident check', result: 'granted', detail: { expiresAt: res.expiresAt } },
    ]);
    expect(JSON.stringify(register)).not.toContain(res.token);
  });

  test('unknown camera → not_found; prohibited place → forbidden; neither gets a token', async () => {
    const held = tokens.size();
    await expect(liveOpen('nowhere')).rejects.toMatchObject({ code: 'not_found' });
    await expect(liveOpen('changing')).rejects.toMatchObject({ code: 'forbidden' });
    expect(tokens.size()).toBe(held);
  });

  test('a failing access register refuses the request and issues no token', async () => {
    const held = tokens.size();
    registerFails = true;
    try {
      const err = await liveOpen('gate').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerbError);
      expect((err as VerbError).code).toBe('internal');
    } finally {
      registerFails = false;
    }
    expect(tokens.size()).toBe(held);
  });

  test('bad args are refused by the args schema', () => {
    const h = handler();
    expect(h.args.safeParse({ camera: 'gate' }).success).toBe(false);
    expect(h.args.safeParse({ camera: 'gate', requester: { staff: [], purpose: 'x' } }).success).toBe(false);
    expect(h.args.safeParse({ camera: '../etc', requester: { staff: ['a'], purpose: 'x' } }).success).toBe(false);
  });
});

describe('relay', () => {
  test('listens on loopback only', () => {
    expect(relay.address().host).toBe('127.0.0.1');
  });

  test('without a valid token for that camera: 401, nothing streamed', async () => {
    const { token } = await liveOpen('lobby');
    const base = `ws://127.0.0.1:${port}/live`;
    expect(await connect(`${base}/gate`)).toEqual({ status: 401 });
    expect(await connect(`${base}/gate?token=${'A'.repeat(43)}`)).toEqual({ status: 401 });
    expect(await connect(`${base}/gate?token=${token}`)).toEqual({ status: 401 }); // lobby's token
    expect(await connect(`ws://127.0.0.1:${port}/other?token=${token}`)).toEqual({ status: 401 });
    // Plain HTTP has nothing to offer.
    const status = await new Promise<number>((resolve, reject) => {
      request(`http://127.0.0.1:${port}/live/gate?token=${token}`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(404);
    expect(relay.stats()).toEqual([]);
    expect(source.stats().readers).toBe(0);
  });

  test('streams MPEG-TS with MPEG-1 video; N viewers max; ffmpeg stops after the last leaves', async () => {
    const { url } = await liveOpen('gate');
    const a = await viewer(url);
    const first = await a.first;
    expect(first[0]).toBe(0x47); // TS sync byte: chunks start on packet boundaries
    expect(first.length % 188).toBe(0);
    // An MPEG-1 sequence header (00 00 01 B3) arrives in the stream.
    const chunks: Buffer[] = [first];
    await new Promise<void>((resolve) => {
      const onMsg = (d: Buffer) => {
        chunks.push(d);
        if (Buffer.concat(chunks).includes(Buffer.from([0, 0, 1, 0xb3]))) {
          a.ws.off('message', onMsg);
          resolve();
        }
      };
      if (Buffer.concat(chunks).includes(Buffer.from([0, 0, 1, 0xb3]))) resolve();
      else a.ws.on('message', onMsg);
    });

    const [feed] = relay.stats();
    expect(feed).toMatchObject({ camera: 'gate', viewers: 1 });
    const pid = feed?.pid ?? 0;
    expect(alive(pid)).toBe(true);

    const b = await viewer(url); // same token, second viewer: shares the one ffmpeg
    await b.first;
    expect(relay.stats()).toEqual([{ camera: 'gate', viewers: 2, pid }]);
    expect(await connect(url)).toEqual({ status: 429 });

    const closing = [closed(a.ws), closed(b.ws)];
    a.ws.close();
    b.ws.close();
    await Promise.all(closing);
    await waitFor(() => !alive(pid), 5000);
    expect(relay.stats()).toEqual([]);
    await waitFor(() => source.stats().readers === 0, 5000);
    // The camera password never reached a log line.
    expect(logLines.join('\n')).not.toContain(PASSWORD);
  });

  test('a token expires: its open viewer is closed, a new connection with it gets 401', async () => {
    const { url, expiresAt } = await liveOpen('lobby', 2);
    const v = await viewer(url);
    await v.first;
    const pid = relay.stats()[0]?.pid ?? 0;
    const end = await closed(v.ws);
    expect(end.code).toBe(LIVE_CLOSE.expired);
    expect(Math.abs(end.at - Date.parse(expiresAt))).toBeLessThan(1000);
    expect(await connect(url)).toEqual({ status: 401 });
    await waitFor(() => !alive(pid), 5000);
  });
});
