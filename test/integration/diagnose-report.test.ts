// `cea diagnose --report DIR`: the acceptance / inspection report (HTML, Markdown, JSON,
// thumbnails) in both languages, judged against the learned clarity baseline when there is
// one; every run recorded in the inspection history (`cea inspections`), from the CLI and
// from the verb; a database that cannot take the record does not stop the report.
import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../agent/config/index.js';
import type { FrameAnalysis } from '../../agent/clarity/metrics.js';
import { createTracker, step } from '../../agent/clarity/policy.js';
import type { CameraReport, Check } from '../../agent/diagnose/checks.js';
import { defaultOnvif } from '../../agent/diagnose/cameras.js';
import { listInspections, recordInspection, type Inspection } from '../../agent/diagnose/inspections.js';
import type { InspectionDocument } from '../../agent/diagnose/report.js';
import { runDiagnose } from '../../agent/diagnose/run.js';
import { diagnoseVerb } from '../../agent/linkage/verbs/diagnose.js';
import { agentVersion } from '../../agent/version.js';
import { ImageWorkerPool } from '../../drivers/image/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { makeDiagnoseCommand } from '../../scripts/commands/diagnose.js';
import { inspectionsCommand } from '../../scripts/commands/inspections.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { simulatedCameraEntry, testConfigObject } from '../helpers/agent-config.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { captureIo } from '../helpers/capture-io.js';
import { chromiumForSuite, pdfPageSizes } from '../helpers/chromium.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

const fakeProbes = {
  timeSync: async () => ({ source: 'chrony' as const, synced: true, offsetMs: 2 }),
  host: async (): Promise<Check[]> => [{ name: 'host: load', status: 'pass', detail: 'fake' }],
  statfs: () => ({ blocks: 1_000_000, bsize: 4096, bavail: 600_000 }),
  rtsp: async () => ({ codec: 'h264', width: 1280, height: 720, fps: 25, bitrate: 4_000_000 }),
};
const command = makeDiagnoseCommand(fakeProbes);
const SCENES = join(REPO_ROOT, 'test', 'fixtures');

let tmp: { dir: string; remove: () => void };
let fleet: Fleet;
let broker: TestBroker;
let pool: ImageWorkerPool<FrameAnalysis>;
const proxies: Server[] = [];
/** Every request each logging proxy passed to its simulated camera: "<path> <SOAP action>". */
const requestLog = new Map<string, string[]>();
let proxyUrl = new Map<string, string>();
let configFile = '';
const USER = 'tech-wang';
/** The full English report of the first test (the print test reads it). */
let enReportDir = '';

/** An HTTP proxy in front of a simulated camera that logs each request (path and SOAP action). */
async function loggingProxy(id: string, target: URL): Promise<string> {
  const log: string[] = [];
  requestLog.set(id, log);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(body.toString('utf8'))?.[1] ?? '';
      log.push(`${req.url ?? ''} ${action}`.trim());
      const out = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxies.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}${target.pathname}`;
}

function siteConfig(): Record<string, unknown> {
  const viaProxy = (id: string, over: Parameters<typeof simulatedCameraEntry>[1] = {}) => {
    const e = simulatedCameraEntry(fleet.camera(id), over) as { onvif: Record<string, unknown> };
    return { ...e, onvif: { ...e.onvif, url: proxyUrl.get(id) } };
  };
  return testConfigObject(tmp.dir, broker.url, 'rep', {
    site: { id: 'rep', name: '示例广场 Example plaza', timezone: 'Asia/Shanghai' },
    cameras: [
      viaProxy('healthy'),
      simulatedCameraEntry(fleet.camera('blurred')),
      simulatedCameraEntry(fleet.camera('offline')),
      simulatedCameraEntry(fleet.camera('rebuilt')),
      viaProxy('washroom', { kind: 'bathroom' }),
    ],
  });
}

async function diagnose(argv: string[], env: NodeJS.ProcessEnv = { USER }) {
  const cap = captureIo(tmp.dir, env);
  const code = await command.run(argv, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

async function inspections(...argv: string[]): Promise<Inspection[]> {
  const cap = captureIo(tmp.dir, {});
  expect(await inspectionsCommand.run(['--config', configFile, '--json', ...argv], cap.io)).toBe(0);
  return (JSON.parse(cap.stdout()) as { inspections: Inspection[] }).inspections;
}

async function snapshotOf(id: string): Promise<Buffer> {
  const cam = fleet.camera(id);
  const r = await fetch(cam.snapshotUrl, { headers: { Authorization: `Basic ${Buffer.from(`${cam.username}:${cam.password}`).toString('base64')}` } });
  expect(r.status).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

beforeAll(async () => {
  tmp = makeTempDir('cea-diagnose-report-');
  mkdirSync(join(tmp.dir, 'recordings'));
  fleet = await startFleet(
    [
      { id: 'healthy', scene: join(SCENES, 'scene-street.jpg') },
      { id: 'blurred', condition: 'blur', scene: join(SCENES, 'scene-street.jpg') },
      { id: 'offline' },
      // Learned on the building, now shows the street: re-aimed.
      { id: 'rebuilt', scene: join(SCENES, 'scene-street.jpg') },
      { id: 'reference', scene: join(SCENES, 'scene-building.jpg') },
      { id: 'washroom' },
    ],
    { discovery: false },
  );
  await fleet.camera('offline').setFailure('offline', true);
  broker = await startTestBroker();
  proxyUrl = new Map([
    ['healthy', await loggingProxy('healthy', new URL(fleet.camera('healthy').deviceServiceUrl))],
    ['washroom', await loggingProxy('washroom', new URL(fleet.camera('washroom').deviceServiceUrl))],
  ]);
  pool = new ImageWorkerPool<FrameAnalysis>({ analyser: new URL('../../agent/clarity/metrics.ts', import.meta.url), size: 1 });

  // The agent's database, with the clarity monitor's learned state of `rebuilt` (its old view).
  const { db } = openStore(join(tmp.dir, 'agent.db'), { migrations, now: () => new Date() });
  let tracker = createTracker();
  const t0 = Date.now() - 60_000;
  for (let i = 0; i < 3; i++) {
    const { analysis } = await pool.analyse(await snapshotOf('reference'));
    tracker = step(tracker, { analysis }, t0 + i * 10_000, { baselineSamples: 2 }).state;
  }
  expect(tracker.modes.day.baseline).not.toBeNull();
  expect(tracker.modes.day.reference).not.toBeNull();
  db.prepare('INSERT INTO clarity_state (camera_id, tracker, verdict, faults, metrics, updated_ms) VALUES (?, ?, ?, ?, ?, ?)').run('rebuilt', JSON.stringify(tracker), 'ok', '[]', '{}', t0);
  db.close();
  configFile = join(tmp.dir, 'agent.yaml');
  writeFileSync(configFile, JSON.stringify(siteConfig(), null, 2)); // JSON is YAML
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await fleet?.stop();
  await broker?.close();
  await Promise.all(proxies.map((s) => new Promise<void>((r) => s.close(() => r()))));
  tmp?.remove();
});

describe('cea diagnose --report', () => {

  it('writes a dated report directory: HTML for A4, Markdown, JSON, a real JPEG thumbnail per camera that gave a picture (en)', async () => {
    const r = await diagnose(['--config', configFile, '--json', '--report', 'reports', '--lang', 'en']);
    expect(r.code, r.stderr).toBe(1); // blurred, offline, rebuilt and the prohibited camera fail
    expect(r.stderr).not.toContain('not recorded');
    const json = JSON.parse(r.stdout) as { checks: Check[]; cameras: CameraReport[]; reportDir: string };
    expect(Object.keys(json)).toEqual(['checks', 'cameras', 'reportDir']);
    expect(json.reportDir.startsWith(join(tmp.dir, 'reports'))).toBe(true);
    expect(basename(json.reportDir)).toMatch(/^rep-inspection-\d{8}-\d{6}$/);
    enReportDir = json.reportDir;
    const dir = json.reportDir;
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.json', 'report.md', 'thumbnails']);
    // healthy, blurred and rebuilt gave pictures; offline did not answer; washroom was never contacted.
    expect(readdirSync(join(dir, 'thumbnails')).sort()).toEqual(['blurred.jpg', 'healthy.jpg', 'rebuilt.jpg']);
    for (const f of readdirSync(join(dir, 'thumbnails'))) {
      const meta = await sharp(readFileSync(join(dir, 'thumbnails', f))).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBe(320);
    }

    const doc = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as InspectionDocument;
    expect(doc).toMatchObject({
      kind: 'cea.inspection-report',
      language: 'en',
      site: { id: 'rep', name: '示例广场 Example plaza', timezone: 'Asia/Shanghai' },
      profile: { id: 'liaoning-2008' },
      box: { hostname: hostname(), agentVersion: agentVersion() },
      requester: `cli:${USER}`,
      camera: null,
      result: 'fail',
    });
    expect(doc.localTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(basename(dir)).toBe(`rep-inspection-${doc.localTime.replace(/[-:]/g, '').replace(' ', '-')}`);
    expect(doc.checks).toEqual(json.checks);
    expect(doc.counts).toEqual({
      total: json.checks.length,
      pass: json.checks.filter((c) => c.status === 'pass').length,
      warn: json.checks.filter((c) => c.status === 'warn').length,
      fail: json.checks.filter((c) => c.status === 'fail').length,
    });
    expect(doc.regulations).toEqual([expect.objectContaining({ article: 'liaoning-14-ii', citation: expect.stringContaining('Art. 14 (ii)'), text: expect.stringContaining('clear picture') })]);

    const cam = (id: string) => doc.cameras.find((c) => c.id === id)!;
    expect(doc.cameras.map((c) => c.id)).toEqual(['healthy', 'blurred', 'offline', 'rebuilt', 'washroom']);
    expect(cam('healthy')).toMatchObject({
      status: 'pass',
      thumbnail: 'thumbnails/healthy.jpg',
      identity: { manufacturer: 'CEA-Sim', model: 'SimCam-1', serial: expect.stringMatching(/\S/), firmware: expect.stringMatching(/\S/) },
      stream: { uri: expect.stringMatching(/^rtsp:\/\//) },
      snapshot: { width: expect.any(Number), bytes: expect.any(Number) },
      clarity: { verdict: 'ok', faults: [], judgedAgainst: 'defaults' },
    });
    expect(cam('blurred')).toMatchObject({ status: 'fail', clarity: { faults: expect.arrayContaining(['blur']), judgedAgainst: 'defaults' } });
    expect(cam('offline')).toMatchObject({ status: 'fail', identity: null, snapshot: null });
    expect(cam('offline').thumbnail).toBeUndefined();
    // Judged against what the monitor learned: the view is no longer the one it learned.
    expect(cam('rebuilt')).toMatchObject({ status: 'fail', clarity: { judgedAgainst: 'baseline', mode: 'day', faults: expect.arrayContaining(['scene_change']) } });
    expect(json.checks.find((c) => c.name === 'camera rebuilt: snapshot')!.detail).toContain("judged against rebuilt's learned baseline (day)");
    expect(json.checks.find((c) => c.name === 'camera healthy: snapshot')!.detail).toContain('judged against the default thresholds');
    expect(cam('washroom')).toMatchObject({ prohibited: true, status: 'fail', identity: null, snapshot: null, clarity: null });
    expect(cam('washroom').thumbnail).toBeUndefined();
    // The prohibited camera's device never saw a request (no SOAP call, so no snapshot URI and
    // no snapshot either), while the same logging proxy in front of `healthy` saw the device
    // service calls (the media calls and the snapshot go to the addresses the camera names).
    expect(requestLog.get('washroom')).toEqual([]);
    expect(requestLog.get('healthy')).toEqual(expect.arrayContaining([expect.stringMatching(/GetDeviceInformation$/)]));

    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/@page \{ size: A4;/);
    expect(html).toContain('<img src="thumbnails/healthy.jpg"');
    expect(html).not.toContain('thumbnails/washroom.jpg');
    expect(html).not.toMatch(/<script|<link|url\(|src="(https?:)?\/\//); // nothing fetched from elsewhere
    expect(html).toContain('<h1>Public safety video image information system — acceptance test / safety inspection record</h1>');
    expect(html).toContain('Overall result: FAIL');
    expect(html).toContain('Liaoning Province measures');
    expect(html).toContain(`cli:${USER}`);
    expect(html).toContain('示例广场 Example plaza');
    expect(html).toContain('Prohibited place');
    for (const c of json.checks) expect(html).toContain(c.name);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('![healthy](thumbnails/healthy.jpg)');
    expect(md).not.toContain('![washroom]');
    expect(md).toContain('**Overall result: FAIL**');
    expect(md).toContain('Art. 14 (ii)');
  }, 60_000);

  it('zh-CN by default (the profile\'s language), CEA_LANG and --lang override it', async () => {
    const zh = await diagnose(['--config', configFile, '--json', '--camera', 'healthy', '--report', 'reports']);
    expect(zh.code, zh.stderr).toBe(0);
    const dir = (JSON.parse(zh.stdout) as { reportDir: string }).reportDir;
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('验收检测 / 安全检查记录');
    expect(html).toContain('《辽宁省公共安全视频图像信息系统管理办法》（省政府令第211号）第十四条第（二）项');
    expect(html).toContain('总体结论: 基本合格（有警告项）'); // platform keys warn, nothing fails
    expect(html).toContain('仅摄像机 healthy');
    expect(html).toContain('按默认阈值判定');
    expect(html).toContain('<img src="thumbnails/healthy.jpg"');
    const doc = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as InspectionDocument;
    expect(doc).toMatchObject({ language: 'zh-CN', camera: 'healthy', result: 'warn' });
    expect(doc.cameras.map((c) => c.id)).toEqual(['healthy']);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('**总体结论: 基本合格（有警告项）**');

    const en = await diagnose(['--config', configFile, '--json', '--camera', 'healthy', '--report', 'reports'], { USER, CEA_LANG: 'en' });
    const enDoc = JSON.parse(readFileSync(join((JSON.parse(en.stdout) as { reportDir: string }).reportDir, 'report.json'), 'utf8')) as InspectionDocument;
    expect(enDoc.language).toBe('en');
    const back = await diagnose(['--config', configFile, '--json', '--camera', 'healthy', '--report', 'reports', '--lang', 'zh-CN'], { USER, CEA_LANG: 'en' });
    const backDir = (JSON.parse(back.stdout) as { reportDir: string }).reportDir;
    expect(readFileSync(join(backDir, 'report.html'), 'utf8')).toContain('<html lang="zh-CN">');
    // Same second, same site: a second directory, never an overwrite.
    expect(new Set([dir, backDir, (JSON.parse(en.stdout) as { reportDir: string }).reportDir]).size).toBe(3);
  }, 60_000);

  it('an unknown --lang is a usage error', async () => {
    await expect(diagnose(['--config', configFile, '--lang', 'fr'])).rejects.toThrow(/--lang/);
  });

  it('a report directory that cannot be made: the checks still print, stderr says why, exit 1', async () => {
    writeFileSync(join(tmp.dir, 'not-a-dir'), 'a file\n');
    const r = await diagnose(['--config', configFile, '--json', '--camera', 'healthy', '--report', 'not-a-dir'], { USER, CEA_LANG: 'en' });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { checks: Check[]; reportDir?: string };
    expect(doc.reportDir).toBeUndefined();
    expect(doc.checks.find((c) => c.name === 'camera healthy: snapshot')).toMatchObject({ status: 'pass' });
    expect(r.stderr).toContain('cea diagnose: the report could not be written to not-a-dir');
  });
});

describe('the inspection history', () => {
  it('records every CLI run; `cea inspections` lists them newest first (JSON and table)', async () => {
    const list = await inspections();
    expect(list.length).toBeGreaterThanOrEqual(4);
    for (const i of list) {
      expect(Object.keys(i).sort()).toEqual(['at', 'camera', 'fail', 'finishedAt', 'id', 'pass', 'reportDir', 'requester', 'result', 'source', 'summary', 'warn']);
      expect(i).toMatchObject({ source: 'cli', requester: `cli:${USER}` });
    }
    const times = list.map((i) => Date.parse(i.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // The first (full) run: its counts, its failing checks and its report directory.
    const full = list.find((i) => i.camera === null)!;
    expect(full).toMatchObject({ result: 'fail', reportDir: expect.stringMatching(/rep-inspection-/) });
    const doc = JSON.parse(readFileSync(join(full.reportDir!, 'report.json'), 'utf8')) as InspectionDocument;
    expect({ pass: full.pass, warn: full.warn, fail: full.fail }).toEqual({ pass: doc.counts.pass, warn: doc.counts.warn, fail: doc.counts.fail });
    expect(full.summary.map((s) => s.name)).toEqual(doc.checks.filter((c) => c.status !== 'pass').map((c) => c.name));
    expect(full.summary.every((s) => s.status !== 'pass' && typeof s.detail === 'string')).toBe(true);

    expect(await inspections('--limit', '1')).toEqual([list[0]]);
    const cap = captureIo(tmp.dir, { CEA_LANG: 'en' });
    expect(await inspectionsCommand.run(['--config', configFile], cap.io)).toBe(0);
    const lines = cap.stdout().trim().split('\n');
    expect(lines[0]).toMatch(/^time \(Asia\/Shanghai\)\s+source\s+requester/);
    expect(lines).toHaveLength(list.length + 1);
    expect(lines[1]).toContain(`cli:${USER}`);
  });

  it('the diagnose verb records its runs with the platform key as requester', async () => {
    const loaded = loadConfigFile(configFile, { env: {}, cwd: tmp.dir });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const config = loaded.config;
    const { db } = openStore(config.database, { migrations, now: () => new Date() });
    try {
      const verb = diagnoseVerb({
        cameraIds: () => config.cameras.map((c) => c.id),
        run: (opts) =>
          runDiagnose(
            {
              config,
              now: () => new Date(),
              openStoreReadonly: () => {
                const handle = openStore(config.database, { migrations, now: () => new Date(), readonly: true }).db;
                return { db: handle, problem: null, close: () => void handle.close() };
              },
              probes: { ...fakeProbes, onvif: defaultOnvif, analyse: (b) => pool.analyse(b) },
            },
            opts,
          ),
        record: (run) => void recordInspection(db, run),
      });
      const answer = (await verb.run(verb.args.parse({ camera: 'blurred' }), { verb: 'diagnose', id: 'req-1', keyId: 'platform-1', receivedAt: new Date() })) as { checks: Check[]; cameras: CameraReport[] };
      expect(answer.cameras.map((c) => c.id)).toEqual(['blurred']);
      const [latest] = listInspections(db, { limit: 1 });
      expect(latest).toMatchObject({ source: 'verb', requester: 'platform:platform-1', camera: 'blurred', result: 'fail', reportDir: null });
      expect(latest!.summary).toContainEqual(expect.objectContaining({ name: 'camera blurred: snapshot', status: 'fail' }));
      expect((await inspections('--limit', '1'))[0]).toMatchObject({ id: latest!.id, source: 'verb' });
      // from/to select by start time.
      const at = Date.parse(latest!.at);
      expect(listInspections(db, { from: at, to: at + 1 }).map((i) => i.id)).toEqual([latest!.id]);
      expect(listInspections(db, { to: at }).some((i) => i.id === latest!.id)).toBe(false);
    } finally {
      db.close();
    }
  }, 60_000);

  it('a locked database: diagnose still reports, stderr says the inspection was not recorded', async () => {
    const before = (await inspections('--limit', '1000')).length;
    const holder = new BetterSqlite3(join(tmp.dir, 'agent.db'));
    holder.exec('BEGIN IMMEDIATE'); // another writer holds the write lock
    try {
      const r = await diagnose(['--config', configFile, '--json', '--camera', 'healthy'], { USER, CEA_LANG: 'en' });
      const doc = JSON.parse(r.stdout) as { checks: Check[] };
      expect(doc.checks.find((c) => c.name === 'camera healthy: snapshot')).toMatchObject({ status: 'pass' });
      expect(r.stderr).toContain('the inspection was not recorded: the database is locked by another process');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect((await inspections('--limit', '1000')).length).toBe(before);
  }, 60_000);

  it('a database the user may not write: diagnose still reports, stderr says the inspection was not recorded', async () => {
    const before = (await inspections('--limit', '1000')).length;
    const db = join(tmp.dir, 'agent.db');
    if (process.getuid?.() === 0) {
      // root writes anything: run the built CLI as `nobody` against a root-owned 0644 file.
      chmodSync(tmp.dir, 0o777);
      chmodSync(db, 0o644);
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'cea.js'), 'diagnose', '--config', configFile, '--json', '--camera', 'healthy'], {
        cwd: tmp.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', USER: 'nobody', CEA_LANG: 'en' },
        uid: 65534,
        gid: 65534,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((r) => child.once('exit', () => r()));
      const doc = JSON.parse(out) as { checks: Check[] };
      expect(doc.checks.find((c) => c.name === 'camera healthy: onvif'), err).toMatchObject({ status: 'pass' });
      expect(doc.checks.find((c) => c.name === 'database')).toMatchObject({ status: 'pass' });
      expect(err).toContain('the inspection was not recorded: the database is read-only for this user');
    } else {
      chmodSync(db, 0o444);
      try {
        const r = await diagnose(['--config', configFile, '--json', '--camera', 'healthy'], { USER, CEA_LANG: 'en' });
        expect((JSON.parse(r.stdout) as { checks: Check[] }).checks.find((c) => c.name === 'camera healthy: onvif')).toMatchObject({ status: 'pass' });
        expect(r.stderr).toContain('the inspection was not recorded: the database is read-only for this user');
      } finally {
        chmodSync(db, 0o644);
      }
    }
    expect((await inspections('--limit', '1000')).length).toBe(before);
    expect(existsSync(db)).toBe(true);
  }, 80_000);
});

describe('the report on A4 paper', () => {
  const browser = chromiumForSuite();

  it('lays out within the A4 printable width, shows the thumbnails from the files beside it, fetches nothing else, prints A4 pages', async () => {
    expect(enReportDir).not.toBe('');
    const page = await browser().newPage();
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(r.url()));
    try {
      await page.emulateMedia({ media: 'print' });
      // A4 is 210 mm wide; the @page margins (14 mm each side) leave 182 mm = 687 CSS px.
      await page.setViewportSize({ width: 687, height: 1000 });
      await page.goto(pathToFileURL(join(enReportDir, 'report.html')).href, { waitUntil: 'load' });
      const layout = await page.evaluate(() => {
        const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number }; querySelectorAll(s: string): ArrayLike<{ getBoundingClientRect(): { right: number }; naturalWidth?: number; getAttribute(n: string): string | null }> } }).document;
        return {
          scroll: d.documentElement.scrollWidth,
          widest: Math.max(...Array.from(d.querySelectorAll('table, section')).map((t) => t.getBoundingClientRect().right)),
          images: Array.from(d.querySelectorAll('img')).map((i) => [i.getAttribute('src'), i.naturalWidth ?? 0] as const),
        };
      });
      expect(layout.scroll).toBeLessThanOrEqual(687);
      expect(layout.widest).toBeLessThanOrEqual(687);
      expect(layout.images.map(([src]) => src).sort()).toEqual(['thumbnails/blurred.jpg', 'thumbnails/healthy.jpg', 'thumbnails/rebuilt.jpg']);
      for (const [, w] of layout.images) expect(w).toBe(320); // decoded from the files
      expect(fetched.every((u) => u.startsWith('file://')), fetched.join('\n')).toBe(true);

      const boxes = pdfPageSizes(await page.pdf({ preferCSSPageSize: true }));
      expect(boxes.length).toBeGreaterThan(1); // several pages: the checks and one section per camera
      for (const [w, h] of boxes) {
        expect(Math.abs(w - 595.3)).toBeLessThan(2);
        expect(Math.abs(h - 841.9)).toBeLessThan(2);
      }
    } finally {
      await page.close();
    }
  }, 60_000);
});
