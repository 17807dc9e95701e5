import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerCheck } from '../../agent/diagnose/broker.js';
import { ffprobeRtsp } from '../../agent/diagnose/cameras.js';
import type { Check } from '../../agent/diagnose/checks.js';
import { diagnoseVerb } from '../../agent/linkage/verbs/diagnose.js';
import { VerbError } from '../../agent/linkage/requests/verb.js';
import { resolveConfigObject } from '../../agent/config/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { makeDiagnoseCommand } from '../../scripts/commands/diagnose.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { simulatedCameraEntry } from '../helpers/agent-config.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { captureIo } from '../helpers/capture-io.js';
import { makeTempDir } from '../helpers/tmp.js';
import { startRtspSource } from '../fakes/rtsp-source.js';
import { existsSync } from 'node:fs';

// The box-specific probes are replaced: the box's NTP, host sensors, the disk and ffprobe
// (the simulator serves no RTSP) answer the same on every machine.
const rtspProbed: string[] = [];
const command = makeDiagnoseCommand({
  timeSync: async () => ({ source: 'chrony', synced: true, offsetMs: 2 }),
  host: async () => [{ name: 'host: load', status: 'pass', detail: 'fake' }],
  statfs: () => ({ blocks: 1_000_000, bsize: 4096, bavail: 600_000 }),
  rtsp: async (uri) => {
    rtspProbed.push(uri);
    return { codec: 'h264', width: 1280, height: 720, fps: 25, bitrate: 4_000_000 };
  },
});

let tmp: { dir: string; remove: () => void };
let fleet: Fleet;
let broker: TestBroker;
let trap: Server;
let trapConnections = 0;
let trapPort = 0;
let closedPort = 0;

function baseConfig(dir: string, brokerUrl: string): Record<string, unknown> {
  return {
    site: { id: 'diag', name: 'Diag site', timezone: 'Asia/Shanghai' },
    profile: 'liaoning-2008',
    mqtt: { url: brokerUrl, keepaliveSeconds: 5, protocolVersion: 4 },
    security: { requireSignedCommands: false, platformKeys: [] },
    database: join(dir, 'agent.db'),
    storage: { root: join(dir, 'recordings') },
    cameras: [
      simulatedCameraEntry(fleet.camera('healthy'), { record: true }),
      simulatedCameraEntry(fleet.camera('offline')),
      simulatedCameraEntry(fleet.camera('wrongpw'), { password: 'not-the-password' }),
      simulatedCameraEntry(fleet.camera('blurred')),
      simulatedCameraEntry(fleet.camera('skewed')),
      { id: 'washroom', name: 'washroom', onvif: { url: `http://127.0.0.1:${trapPort}/onvif/device_service`, username: 'admin', password: 'x' }, location: { kind: 'bathroom', description: 'staff washroom' }, record: true },
    ],
  };
}

function writeConfig(name: string, doc: Record<string, unknown>): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, JSON.stringify(doc, null, 2)); // JSON is YAML
  return file;
}

async function diagnose(...argv: string[]) {
  const cap = captureIo(tmp.dir);
  const code = await command.run(argv, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

const byName = (checks: Check[], name: string) => {
  const c = checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check "${name}" in ${checks.map((x) => x.name).join(', ')}`);
  return c;
};

beforeAll(async () => {
  tmp = makeTempDir('cea-diagnose-');
  mkdirSync(join(tmp.dir, 'recordings'));
  fleet = await startFleet([{ id: 'healthy' }, { id: 'offline' }, { id: 'wrongpw' }, { id: 'blurred', condition: 'blur' }, { id: 'skewed' }], { discovery: false });
  await fleet.camera('offline').setFailure('offline', true);
  await fleet.camera('skewed').setFailure('clock_skew', true, { skewMs: 60_000 });
  broker = await startTestBroker();
  // The prohibited camera's address: counts every connection attempt.
  trap = createServer((s) => {
    trapConnections += 1;
    s.destroy();
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', () => r()));
  trapPort = (trap.address() as { port: number }).port;
  // A port nothing listens on.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  // The agent's database with one fresh segment of the recording camera.
  const { db } = openStore(join(tmp.dir, 'agent.db'), { migrations, now: () => new Date() });
  const now = Date.now();
  db.prepare('INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, indexed_ms) VALUES (?, ?, ?, ?, ?, ?)').run('healthy', 'healthy/x/00-00-00.mp4', now - 120_000, now - 60_000, 1_000_000, now);
  db.close();
}, 30_000);

afterAll(async () => {
  await fleet?.stop();
  await broker?.close();
  await new Promise<void>((r) => (trap ? trap.close(() => r()) : r()));
  tmp?.remove();
});

describe('cea diagnose', () => {
  it('--json: one document; each camera judged, with advice on every failure; exit 1', async () => {
    const file = writeConfig('all.yaml', baseConfig(tmp.dir, broker.url));
    const r = await diagnose('--config', file, '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { checks: Check[]; cameras: { id: string; prohibited: boolean }[] };
    expect(Object.keys(doc)).toEqual(['checks', 'cameras']); // cameras: an extension of the DESIGN.md document
    expect(doc.cameras.map((x) => [x.id, x.prohibited])).toEqual([['healthy', false], ['offline', false], ['wrongpw', false], ['blurred', false], ['skewed', false], ['washroom', true]]);
    for (const c of doc.checks) {
      expect(typeof c.name).toBe('string');
      expect(['pass', 'warn', 'fail']).toContain(c.status);
      expect(typeof c.detail).toBe('string');
      if (c.status !== 'pass') expect(c.advice, c.name).toMatch(/\S/);
    }
    const c = doc.checks;
    expect(byName(c, 'config').status).toBe('warn'); // the prohibited camera is a config warning
    expect(byName(c, 'database')).toMatchObject({ status: 'pass', detail: expect.stringContaining('quick_check ok') });
    expect(byName(c, 'storage: writable').status).toBe('pass');
    expect(byName(c, 'storage: free space').status).toBe('pass');
    expect(byName(c, 'storage: retention forecast').status).toBe('warn'); // two minutes of history: rate unknown
    expect(byName(c, 'time: box').status).toBe('pass');
    expect(byName(c, 'broker')).toMatchObject({ status: 'pass', detail: expect.stringContaining('psv/v1/diag/diagnose/') });
    expect(byName(c, 'platform keys').status).toBe('warn');

    expect(byName(c, 'camera healthy: onvif')).toMatchObject({ status: 'pass', detail: expect.stringContaining('CEA-Sim SimCam-1') });
    expect(byName(c, 'camera healthy: clock').status).toBe('pass');
    expect(byName(c, 'camera healthy: stream')).toMatchObject({ status: 'pass', detail: expect.stringContaining('rtsp://') });
    expect(byName(c, 'camera healthy: snapshot')).toMatchObject({ status: 'pass', detail: expect.stringContaining('no clarity fault') });
    expect(byName(c, 'camera healthy: recording')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/last segment ended \d+ s ago/) });
    expect(byName(c, 'camera healthy: rtsp')).toMatchObject({ status: 'pass', detail: expect.stringContaining('h264 1280x720') });

    expect(byName(c, 'camera offline: onvif')).toMatchObject({ status: 'fail', advice: expect.stringContaining('cameras[1].onvif.url') });
    expect(c.filter((x) => x.name.startsWith('camera offline:')).map((x) => x.name)).toEqual(['camera offline: onvif']);

    expect(byName(c, 'camera wrongpw: onvif')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('wrong password for wrongpw'),
      advice: 'wrong password for wrongpw: update cameras[2].onvif.password (or .username)',
    });
    expect(byName(c, 'camera blurred: snapshot')).toMatchObject({ status: 'fail', detail: expect.stringContaining('blur'), advice: expect.stringContaining('refocus') });
    expect(byName(c, 'camera blurred: onvif').status).toBe('pass');

    const skew = byName(c, 'camera skewed: clock');
    expect(skew).toMatchObject({ status: 'fail', advice: expect.stringContaining('enable NTP') });
    expect(skew.detail).toMatch(/clock (59|60|61)\.\d s ahead of the box \(limit 5 s\)/);

    // The prohibited camera: one failing check, never contacted, never probed.
    expect(c.filter((x) => x.name.startsWith('camera washroom:'))).toEqual([
      expect.objectContaining({ name: 'camera washroom: prohibited', status: 'fail', detail: expect.stringContaining('not contacted') }),
    ]);
    expect(trapConnections).toBe(0);
    expect(rtspProbed.some((u) => u.includes(String(trapPort)))).toBe(false);
  });

  it('human output: one line per check with ✔/!/✘ and a summary; exit 0 when only warnings (--camera)', async () => {
    const file = writeConfig('human.yaml', baseConfig(tmp.dir, broker.url));
    const r = await diagnose('--config', file, '--camera', 'healthy');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✔ camera healthy: onvif: /m);
    expect(r.stdout).toMatch(/^! platform keys: /m);
    expect(r.stdout).not.toContain('camera blurred');
    expect(r.stdout).not.toContain('\x1b['); // not a TTY: no colour, no progress line
    expect(r.stdout).toMatch(/\d+ checks: \d+ pass, \d+ warn, 0 fail\n$/);
  });

  it('an unreachable broker fails with advice; an embedded broker that does not listen warns that the agent is not running', async () => {
    const file = writeConfig('nobroker.yaml', baseConfig(tmp.dir, `mqtt://127.0.0.1:${closedPort}`));
    const r = await diagnose('--config', file, '--json', '--camera', 'healthy');
    expect(r.code).toBe(1);
    const b = byName((JSON.parse(r.stdout) as { checks: Check[] }).checks, 'broker');
    expect(b).toMatchObject({ status: 'fail', detail: expect.stringContaining('connection refused'), advice: expect.stringContaining('mqtt.url') });

    const loaded = resolveConfigObject(
      { ...baseConfig(tmp.dir, broker.url), mqtt: undefined, broker: { listen: `127.0.0.1:${closedPort}` }, cameras: [] },
      '<test>',
      { env: {}, cwd: tmp.dir },
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    expect(await brokerCheck(loaded.config)).toMatchObject({ status: 'warn', detail: expect.stringContaining('the agent is not running') });
  });

  it('an invalid config: exit 2, errors on stderr; with --json the config check fails in the document', async () => {
    const file = writeConfig('bad.yaml', { ...baseConfig(tmp.dir, broker.url), storage: { deleteAbovePercent: 'lots' } });
    const human = await diagnose('--config', file);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain('storage.deleteAbovePercent');
    const r = await diagnose('--config', file, '--json');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { checks: Check[] };
    expect(doc.checks).toEqual([expect.objectContaining({ name: 'config', status: 'fail', detail: expect.stringContaining('storage.deleteAbovePercent') })]);
  });

  it('an unknown --camera is a usage error', async () => {
    const file = writeConfig('usage.yaml', baseConfig(tmp.dir, broker.url));
    await expect(diagnose('--config', file, '--camera', 'nope')).rejects.toThrow(/no camera "nope"/);
  });

  it('the diagnose verb answers the same document and hands the run to `record`; an unknown camera is not_found', async () => {
    const calls: { camera?: string }[] = [];
    const recorded: unknown[] = [];
    const verb = diagnoseVerb({
      cameraIds: () => ['healthy'],
      run: async (o) => {
        calls.push(o);
        return { checks: [{ name: 'config', status: 'pass', detail: 'ok' }] };
      },
      record: (r) => void recorded.push(r),
    });
    const ctx = { verb: 'diagnose', id: 'r1', keyId: null, receivedAt: new Date() };
    expect(await verb.run(verb.args.parse({ camera: 'healthy' }), ctx)).toEqual({ checks: [{ name: 'config', status: 'pass', detail: 'ok' }] });
    expect(calls).toEqual([{ camera: 'healthy' }]);
    expect(recorded).toEqual([
      expect.objectContaining({ source: 'verb', requester: 'platform:unsigned:r1', camera: 'healthy', report: { checks: [{ name: 'config', status: 'pass', detail: 'ok' }] } }),
    ]);
    const err = await verb.run(verb.args.parse({ camera: 'nope' }), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerbError);
    expect((err as VerbError).code).toBe('not_found');
    expect(verb.args.safeParse({ camera: 3 }).success).toBe(false);
  });
});

describe.skipIf(!existsSync('/usr/bin/ffprobe'))('the RTSP probe (ffprobe)', () => {
  it('reports codec, size, fps and the bitrate received; a dead stream rejects without credentials in the message', async () => {
    const src = await startRtspSource({ credentials: { username: 'admin', password: 's3cret' }, size: '320x240', rate: 10 });
    try {
      const probe = ffprobeRtsp()!;
      const r = await probe(src.urlWithCredentials, 2, new AbortController().signal);
      expect(r).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(r.fps).toBeCloseTo(10, 0);
      expect(r.bitrate).toBeGreaterThan(0);
      await src.stop();
      const err = (await probe(src.urlWithCredentials, 2, new AbortController().signal).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).not.toContain('s3cret');
    } finally {
      await src.close();
    }
  });
});
