// Live view from the attacker's side, against the running agent's relay: no token, a
// made-up token, another camera's token, an expired token, one viewer too many on a good
// token, an unsigned live.open, a prohibited place. Every one is refused (401 / 429 /
// unauthorized / forbidden) or closed, and nothing streams for it.
//
// The cameras listen on a random 127.x.y.z so that their RTSP URI (always port 554 in the
// simulator) can be answered here by a silent TCP server: ffmpeg then waits on it, the
// feed stays up, and the viewer limit can be reached without a real stream.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { makeSigner, type PlatformSigner } from '../helpers/platform.js';
import { makeTempDir } from '../helpers/tmp.js';
import { agentConfig, platformClient, startAgentProcess, untilInterrogated, type AgentProcess, type Platform } from './harness.js';

const SITE = 'sec-live';
const TTL_SECONDS = 3;
const CLOSE_EXPIRED = 4001; // drivers/live LIVE_CLOSE.expired
const tmp = makeTempDir('cea-sec-live-');
const HOST = `127.${10 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
let broker: Mosquitto;
let fleet: Fleet;
let agent: AgentProcess;
let plat: Platform;
let signer: PlatformSigner;
let rtsp: Server;
const rtspSockets = new Set<Socket>();
const open: WebSocket[] = [];
const requester = { staff: ['officer-3'], purpose: 'live view security test' };

type Outcome = { status: number } | { ws: WebSocket };

/** Opens a viewer; resolves with the HTTP status of a refusal, or the open socket. */
function connect(url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      req.destroy();
    });
    ws.once('open', () => {
      open.push(ws);
      resolve({ ws });
    });
    ws.once('error', reject);
  });
}

async function liveOpen(camera: string): Promise<{ url: string; token: string; expiresAt: string }> {
  const res = await plat.call('live.open', { camera, requester }, signer);
  expect(res.error).toBeUndefined();
  return res.data as { url: string; token: string; expiresAt: string };
}

const base = (url: string) => url.replace(/\/live\/.*$/, '/live');

beforeAll(async () => {
  // The cameras' RTSP port: accepts and says nothing (ffmpeg waits, the feed stays up).
  rtsp = createServer((s) => {
    rtspSockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => rtspSockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    rtsp.once('error', reject);
    rtsp.listen(554, HOST, resolve);
  });
  broker = await startMosquitto();
  signer = makeSigner(tmp.dir);
  fleet = await startFleet([{ id: 'gate' }, { id: 'lobby' }, { id: 'shower' }], { discovery: false, host: HOST });
  const cam = (id: string, kind = 'street') => ({
    id,
    name: id,
    onvif: { url: fleet.camera(id).deviceServiceUrl, username: fleet.camera(id).username, password: fleet.camera(id).password },
    location: { kind, description: id },
    record: false,
  });
  const config = await agentConfig(tmp.dir, SITE, broker.url, {
    security: { requireSignedCommands: true, platformKeys: [{ id: signer.keyId, publicKey: signer.publicKeyFile }] },
    live: { listen: '127.0.0.1:0', tokenTtlSeconds: TTL_SECONDS, maxViewersPerCamera: 1 },
    cameras: [cam('gate'), cam('lobby'), cam('shower', 'bathroom')],
  });
  agent = await startAgentProcess({ dir: tmp.dir, brokerUrl: broker.url, site: SITE, config });
  plat = await platformClient(broker.url, SITE);
}, 60_000);

afterAll(async () => {
  for (const ws of open) ws.terminate();
  await plat?.client.endAsync(true);
  await agent?.stop();
  await fleet?.stop();
  for (const s of rtspSockets) s.destroy();
  await new Promise<void>((resolve) => (rtsp ? rtsp.close(() => resolve()) : resolve()));
  await broker?.stop();
  tmp.remove();
});

describe('live view refuses whoever has no valid token', () => {
  it('live.open unsigned: unauthorized, no token handed out', async () => {
    const res = await plat.call('live.open', { camera: 'gate', requester });
    expect(res.error).toMatchObject({ code: 'unauthorized', reason: 'missing' });
    expect(JSON.stringify(res)).not.toMatch(/token|ws:\/\//);
  });

  it('live.open for a prohibited place (bathroom): forbidden, even signed', async () => {
    const res = await plat.call('live.open', { camera: 'shower', requester }, signer);
    expect(res.error?.code).toBe('forbidden');
    expect(res.data).toBeUndefined();
  });

  it('the relay listens on loopback, and without a token answers 401', async () => {
    const { url } = await liveOpen('gate');
    expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(await connect(`${base(url)}/gate`)).toEqual({ status: 401 });
    expect(await connect(`${base(url)}/gate?token=`)).toEqual({ status: 401 });
  });

  it('a made-up, an over-long, or a wrong Bearer token: 401', async () => {
    const { url, token } = await liveOpen('gate');
    expect(await connect(`${base(url)}/gate?token=${'A'.repeat(43)}`)).toEqual({ status: 401 });
    expect(await connect(`${base(url)}/gate?token=${token}${'x'.repeat(200)}`)).toEqual({ status: 401 });
    expect(await connect(`${base(url)}/gate`, { Authorization: `Bearer ${token.slice(0, -1)}B` })).toEqual({ status: 401 });
    // A path that tries to walk to another camera with this token.
    expect(await connect(`${base(url)}/lobby/../gate?token=${token.replace(/./, 'Z')}`)).toEqual({ status: 401 });
  });

  it("another camera's token: 401", async () => {
    const lobby = await liveOpen('lobby');
    const gate = await liveOpen('gate');
    expect(await connect(`${base(gate.url)}/gate?token=${lobby.token}`)).toEqual({ status: 401 });
    expect(await connect(`${base(gate.url)}/shower?token=${gate.token}`)).toEqual({ status: 401 });
  });

  it('one viewer more than maxViewersPerCamera on a good token: 429', async () => {
    expect((await untilInterrogated(plat, 'gate', signer)).error).toBeUndefined();
    const { url } = await liveOpen('gate');
    const first = await connect(url);
    expect('ws' in first).toBe(true);
    expect(await connect(url)).toEqual({ status: 429 });
    (first as { ws: WebSocket }).ws.close();
  });

  it('an expired token: its open viewer is closed, a new connection with it gets 401', async () => {
    expect((await untilInterrogated(plat, 'lobby', signer)).error).toBeUndefined();
    const { url, expiresAt } = await liveOpen('lobby');
    const viewer = await connect(url);
    expect('ws' in viewer).toBe(true);
    const ws = (viewer as { ws: WebSocket }).ws;
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    // ffmpeg waits 10 s on the silent camera; the 3 s token ends the viewer first.
    expect(code).toBe(CLOSE_EXPIRED);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 200));
    expect(await connect(url)).toEqual({ status: 401 });
  }, 20_000);
});
