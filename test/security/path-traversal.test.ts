// Path traversal through the platform's arguments and the technician's CLI, against a
// running agent that holds one real recording: `../`, absolute paths, URL-encoded and
// backslashed forms, NUL bytes, a destination smuggled into the args. Every attempt is
// refused, nothing is written outside `exports/`, nothing is deleted, and a legitimate
// export still works (the control that shows the refusals are not just a broken verb).
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentPath } from '../../agent/recording/layout.js';
import { spawnCea } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { makeSigner, type PlatformSigner } from '../helpers/platform.js';
import { makeTempDir } from '../helpers/tmp.js';
import { agentConfig, platformClient, quickCheck, startAgentProcess, type AgentProcess, type Platform } from './harness.js';

const SITE = 'sec-paths';
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
const tmp = makeTempDir('cea-sec-paths-');
// The agent's files live one level down, so "../" from its exports dir is still inside tmp and visible to us.
const home = join(tmp.dir, 'box');
let broker: Mosquitto;
let agent: AgentProcess;
let plat: Platform;
let signer: PlatformSigner;
const segStart = Date.now() - 3 * HOUR;
const window = { from: new Date(segStart - HOUR).toISOString(), to: new Date(segStart + 2 * HOUR).toISOString() };
const docs = { staff: ['police-7', 'police-9'], approvalDoc: 'APPROVAL-1', lawEnforcementDoc: 'PSB-1', purpose: 'traversal test' };

/** Every file under tmp (relative), except the database's own files and what exports/ holds. */
function files(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(tmp.dir, p));
    }
  };
  walk(tmp.dir);
  return out.filter((f) => !/^box\/agent\.db/.test(f) && !f.startsWith('box/exports/')).sort();
}

const TRAVERSALS = [
  '../../etc',
  '..',
  '../gate',
  'gate/../../..',
  '/etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc',
  '..%2F..%2Fetc',
  'gate\\..\\..\\etc',
  'gate\u0000/../../etc',
  '\u0000',
  'gate/',
  './gate',
  'ＧＡＴＥ',
];

beforeAll(async () => {
  mkdirSync(home);
  // One settled recording of "gate" before the agent starts: reconcile adopts it.
  const rel = segmentPath('gate', segStart, TZ);
  const abs = join(home, 'recordings', rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, Buffer.alloc(8192, 7));
  utimesSync(abs, new Date(segStart + HOUR), new Date(segStart + HOUR));
  // Bait outside the agent's tree.
  writeFileSync(join(tmp.dir, 'bait.txt'), 'do not touch');
  broker = await startMosquitto();
  signer = makeSigner(tmp.dir);
  const config = await agentConfig(home, SITE, broker.url, {
    security: { requireSignedCommands: true, platformKeys: [{ id: signer.keyId, publicKey: signer.publicKeyFile }] },
    cameras: [{ id: 'gate', name: 'Gate', onvif: { url: 'http://127.0.0.1:9/onvif/device_service' }, location: { kind: 'street', description: 'gate' }, record: false }],
  });
  agent = await startAgentProcess({ dir: home, brokerUrl: broker.url, site: SITE, config });
  plat = await platformClient(broker.url, SITE);
}, 60_000);

afterAll(async () => {
  await plat?.client.endAsync(true);
  await agent?.stop();
  await broker?.stop();
  tmp.remove();
});

describe('path traversal in arguments', () => {
  let before: string[];

  it('control: a legitimate export lands in exports/<exportId>/ with its manifest', async () => {
    let res = await plat.call('recordings.export', { camera: 'gate', ...window, ...docs }, signer);
    // The agent indexes the recording while it starts: ask again until it has.
    for (let i = 0; i < 20 && res.error?.code === 'not_found'; i += 1) {
      await new Promise((r) => setTimeout(r, 500));
      res = await plat.call('recordings.export', { camera: 'gate', ...window, ...docs }, signer);
    }
    expect(res.error).toBeUndefined();
    const id = res.data!.exportId as string;
    expect(res.data!.location).toBe(join(home, 'exports', id));
    expect(readdirSync(join(home, 'exports'))).toEqual([id]);
    before = files();
    expect(before).toContain('bait.txt');
  });

  it.each(TRAVERSALS)('recordings.export, recordings.query, snapshot, live.open and hold.add refuse camera %j', async (camera) => {
    const exportsBefore = readdirSync(join(home, 'exports'));
    const calls: [string, Record<string, unknown>][] = [
      ['recordings.export', { camera, ...window, ...docs }],
      ['recordings.query', { camera, ...window }],
      ['snapshot', { camera, requester: { staff: ['p1'], purpose: 'x' } }],
      ['live.open', { camera, requester: { staff: ['p1'], purpose: 'x' } }],
      ['hold.add', { camera, ...window, kind: 'legal', reason: 'x' }],
    ];
    for (const [verb, args] of calls) {
      const res = await plat.call(verb, args, signer);
      expect(res.status, `${verb} ${JSON.stringify(camera)}`).toBe('error');
      expect(['bad_request', 'not_found']).toContain(res.error?.code);
    }
    expect(readdirSync(join(home, 'exports'))).toEqual(exportsBefore);
    expect(files()).toEqual(before);
  });

  it('a destination smuggled into the export args is ignored: the copy still goes to exports/<id>/', async () => {
    const smuggled = { exportId: '../../pwned', location: join(tmp.dir, 'pwned'), dest: '/tmp/pwned', path: '../../pwned', out: '../..' };
    const res = await plat.call('recordings.export', { camera: 'gate', ...window, ...docs, ...smuggled }, signer);
    expect(res.error).toBeUndefined();
    const id = res.data!.exportId as string;
    expect(id).toMatch(/^exp-[0-9TZ]+-[a-z0-9]+$/);
    expect(res.data!.location).toBe(join(home, 'exports', id));
    expect(files()).toEqual(before);
  });

  it('traversal in the time range and in hold ids: refused, no hold touched, nothing deleted', async () => {
    const bad = await plat.call('recordings.export', { camera: 'gate', from: '../../etc/passwd', to: window.to, ...docs }, signer);
    expect(bad.error?.code).toBe('bad_request');
    const hold = await plat.call('hold.add', { camera: 'gate', ...window, kind: 'legal', reason: 'kept' }, signer);
    expect(hold.error).toBeUndefined();
    for (const holdId of ['../../agent.db', '/etc/passwd', "x' OR '1'='1", 'h\u0000../', '%2e%2e%2f']) {
      const res = await plat.call('hold.release', { holdId, reason: 'attack' }, signer);
      expect(res.error?.code, holdId).toBe('not_found');
    }
    const status = await plat.call('register.query', { camera: 'gate' }, signer);
    expect(status.data?.chainOk).toBe(true);
    expect(files()).toEqual(before);
    expect(statSync(join(tmp.dir, 'bait.txt')).size).toBe(12);
    expect(quickCheck(join(home, 'agent.db'))).toBe('ok');
  });

  it('cea hold add/release with traversal camera and hold ids: refused, nothing written', async () => {
    for (const camera of ['../../etc', '/etc/passwd', 'gate/../..', 'gate\\..']) {
      const p = spawnCea(['hold', 'add', '--camera', camera, '--from', window.from, '--to', window.to, '--kind', 'legal', '--reason', 'x', '--config', agent.configFile, '--json'], { cwd: home });
      const exit = await p.exited;
      expect(exit.code, camera).not.toBe(0);
    }
    const rel = spawnCea(['hold', 'release', '../../agent.db', '--reason', 'x', '--config', agent.configFile, '--json'], { cwd: home });
    expect((await rel.exited).code).toBe(1);
    expect(JSON.parse(rel.stdout())).toMatchObject({ error: { code: 'not_found' } });
    expect(files()).toEqual(before);
  }, 60_000);
});
