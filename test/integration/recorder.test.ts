// The recorder against real things: ffmpeg 5.1 reading RTSP over TCP from a real RTSP
// server on 127.0.0.1 (test/fakes/rtsp-source.ts), segments on disk, a real SQLite index.
import { spawn, execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CameraConfig } from '../../agent/config/types.js';
import { EventBus, EventRecorder, Outbox, type AgentEvent } from '../../agent/events/index.js';
import { parseSegmentPath, segmentPath } from '../../agent/recording/layout.js';
import { SegmentStore } from '../../agent/recording/segment-store.js';
import { RecordingService } from '../../agent/recording/service.js';
import { FfmpegError, grabFrame, Supervisor, type RunContext, type Transition } from '../../drivers/ffmpeg/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { startRtspSource, type RtspSource } from '../fakes/rtsp-source.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const TZ = 'Asia/Shanghai';
const PASSWORD = 'p@ss:w/rd%S3cret';
const ENCODED_PASSWORD = encodeURIComponent(PASSWORD);

function camera(id: string, extra: Partial<CameraConfig> = {}): CameraConfig {
  return {
    id,
    name: id,
    onvif: { url: 'http://127.0.0.1:1/onvif/device_service', username: 'admin', password: PASSWORD },
    location: { kind: 'street', description: id },
    record: true,
    prohibited: false,
    ...extra,
  };
}

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Live (not zombie) ffmpeg processes whose command line mentions `marker`. */
function ffmpegProcesses(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv[0]?.endsWith('ffmpeg') || !argv.some((a) => a.includes(marker))) continue;
      if (alive(Number(entry))) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Running, not a zombie waiting for a reaper (a container's pid 1 may never reap). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p).split('\\').join('/'));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface Harness {
  db: Database;
  root: string;
  events: AgentEvent[];
  logs: () => string;
  service: RecordingService;
  uriCalls: string[];
}

describe('recorder: real ffmpeg recording RTSP over TCP', () => {
  let source: RtspSource;
  const cleanups: (() => Promise<void> | void)[] = [];
  const markers: string[] = [];

  beforeAll(async () => {
    source = await startRtspSource({ credentials: { username: 'admin', password: PASSWORD } });
  });
  afterAll(async () => {
    await source?.close();
    for (const pid of source?.publisherPids() ?? []) expect(alive(pid)).toBe(false);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    // No ffmpeg of ours outlives its test.
    for (const m of markers.splice(0)) {
      await waitFor(`ffmpeg recording into ${m} to exit`, () => ffmpegProcesses(m).length === 0 || null, 5000);
    }
  });

  function harness(cameras: CameraConfig[], opts: { segmentSeconds?: number; backoffMs?: number[]; ffmpegPath?: string } = {}): Harness {
    const tmp = makeTempDir('cea-rec-');
    const root = join(tmp.dir, 'recordings');
    markers.push(root);
    const { db } = openStore(join(tmp.dir, 'agent.db'), { migrations, now: () => new Date() });
    const bus = new EventBus(silentLogger());
    const recorder = new EventRecorder(db, new Outbox({ db, site: 'site-0001', now: () => new Date(), newId: randomUUID }), bus);
    const events: AgentEvent[] = [];
    bus.on('event', (e) => events.push(e));
    // A plain pino without the agent's scrubber: the driver must redact by itself.
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const uriCalls: string[] = [];
    const service = new RecordingService({
      db,
      recorder,
      logger,
      now: () => new Date(),
      cameras,
      storageRoot: root,
      timeZone: TZ,
      segmentSeconds: opts.segmentSeconds ?? 2,
      backoffMs: opts.backoffMs ?? [200, 500],
      ...(opts.ffmpegPath ? { ffmpegPath: opts.ffmpegPath } : {}),
      streamUri: async (c) => {
        uriCalls.push(c.id);
        return source.url;
      },
    });
    cleanups.push(async () => {
      await service.stop();
      db.close();
      tmp.remove();
    });
    return { db, root, events, logs: () => text, service, uriCalls };
  }

  it('records 2 s segments in the site-zone layout, indexes them (bytes, end, sha256), and never records a prohibited camera', async () => {
    const t0 = Date.now();
    const h = harness([
      camera('gate-north'),
      camera('staff-toilet', { location: { kind: 'toilet', description: 'x' }, prohibited: true, record: true }),
      camera('lobby', { record: false }),
    ]);
    h.service.start();
    const store = new SegmentStore(h.db);
    await waitFor('two hashed segments', () => store.all().filter((s) => s.sha256 !== null).length >= 2 || null);
    expect(h.service.state('gate-north')?.state).toBe('recording');
    await h.service.stop();
    const t1 = Date.now();

    // Layout: <root>/<cameraId>/<YYYY-MM-DD>/<HH-mm-ss>.mp4, named in Asia/Shanghai.
    const files = filesUnder(h.root);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      expect(f).toMatch(/^gate-north\/\d{4}-\d{2}-\d{2}\/\d{2}-\d{2}-\d{2}\.mp4$/);
      const parsed = parseSegmentPath(f, TZ);
      expect(parsed).not.toBeNull();
      // Off by the zone's 8 hours if ffmpeg had named it in UTC.
      expect(parsed!.startMs).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
      expect(parsed!.startMs).toBeLessThanOrEqual(t1);
      expect(segmentPath('gate-north', parsed!.startMs, TZ)).toBe(f);
    }
    expect(readdirSync(h.root)).toEqual(['gate-north']);

    // Every file is indexed (the last one closed by SIGTERM on stop, too), and matches its row.
    const rows = store.all();
    expect(rows.map((r) => r.path).sort()).toEqual(files);
    for (const row of rows) {
      const abs = join(h.root, row.path);
      const st = statSync(abs);
      expect(row.cameraId).toBe('gate-north');
      expect(row.bytes).toBe(st.size);
      expect(row.endMs).toBe(Math.round(st.mtimeMs));
      expect(row.endMs).toBeGreaterThan(row.startMs);
      if (row.sha256 !== null) expect(row.sha256).toBe(sha256(abs));
      const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name,duration:stream=codec_type,codec_name', '-of', 'json', abs]);
      const info = JSON.parse(probe.stdout) as { format: { format_name: string; duration: string }; streams: { codec_type: string; codec_name: string }[] };
      expect(info.format.format_name).toContain('mp4');
      expect(Number(info.format.duration)).toBeGreaterThan(0);
      expect(info.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264')).toBe(true);
    }
    expect(rows.filter((r) => r.sha256 !== null).length).toBeGreaterThanOrEqual(2);

    // The prohibited and the record:false cameras were never even asked for a stream.
    expect(h.uriCalls.every((id) => id === 'gate-north')).toBe(true);
    expect(h.service.state('staff-toilet')?.state).toBe('prohibited');
    expect(h.service.state('lobby')?.state).toBe('disabled');
    expect(h.service.state('nope')).toBeNull();
    expect(await h.service.stopCamera('staff-toilet', 'x')).toBe(false);
    expect(h.service.startCamera('staff-toilet')).toBe(false);

    // The camera demanded credentials and got them; no log line carries them.
    expect(source.stats().unauthorized).toBeGreaterThan(0);
    const logs = h.logs();
    expect(logs).toContain('ffmpeg started');
    expect(logs).toContain('Input #0, rtsp');
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain(ENCODED_PASSWORD);
    expect(h.events.filter((e) => e.type.startsWith('recording.'))).toEqual([]);
  }, 45_000);

  it('raises recording.stopped / recording.resumed once per transition: camera gone (exit) and hung stream (stall)', async () => {
    const h = harness([camera('gate-north')]);
    const recordingEvents = () => h.events.filter((e) => e.type.startsWith('recording.'));
    h.service.start();
    await waitFor('recording', () => h.service.state('gate-north')?.state === 'recording');

    // The camera goes away: ffmpeg ends, restarts fail (404) with backoff, one event only.
    await source.stop();
    await waitFor('recording.stopped', () => recordingEvents().length === 1);
    await waitFor('a few failed restarts', () => (h.service.state('gate-north')?.failures ?? 0) >= 3);
    expect(recordingEvents().map((e) => e.type)).toEqual(['recording.stopped']);
    const stopped = recordingEvents()[0]!;
    expect(stopped.severity).toBe('warning');
    expect(stopped.camera).toBe('gate-north');
    expect(stopped.data.reason).toBe('exited');
    expect(Date.parse(String(stopped.data.since))).not.toBeNaN();
    expect(h.service.state('gate-north')?.downSince).not.toBeNull();

    await source.start();
    await waitFor('recording.resumed', () => recordingEvents().length === 2);
    const resumed = recordingEvents()[1]!;
    expect(resumed.type).toBe('recording.resumed');
    expect(resumed.severity).toBe('info');
    expect(resumed.data.downtimeMs).toBeGreaterThan(0);
    expect(h.service.state('gate-north')).toMatchObject({ state: 'recording', downSince: null });

    // A hung camera: the connection stays, no packets. No new segment for 2 × 2 s → stalled.
    await waitFor('a segment after resuming', () => h.service.state('gate-north')?.lastSegmentAt);
    source.freeze(true);
    await waitFor('recording.stopped (stall)', () => recordingEvents().length === 3);
    expect(recordingEvents()[2]).toMatchObject({ type: 'recording.stopped', data: { reason: 'stalled' } });
    source.freeze(false);
    await waitFor('recording.resumed after the stall', () => recordingEvents().length === 4, 20_000);
    expect(recordingEvents().map((e) => e.type)).toEqual(['recording.stopped', 'recording.resumed', 'recording.stopped', 'recording.resumed']);

    // Retention's stop (hard watermark) is one more transition, with its reason.
    expect(await h.service.stopCamera('gate-north', 'storage.floor_at_risk')).toBe(true);
    expect(h.service.state('gate-north')?.state).toBe('stopped');
    expect(recordingEvents().at(-1)).toMatchObject({ type: 'recording.stopped', data: { reason: 'storage.floor_at_risk' } });
    expect(ffmpegProcesses(h.root)).toEqual([]);
    expect(h.logs()).not.toContain(ENCODED_PASSWORD);
  }, 60_000);

  it('a recorder that cannot start is reported once (missing ffmpeg), with the reason', async () => {
    const h = harness([camera('gate-north')], { ffmpegPath: '/nonexistent/ffmpeg' });
    h.service.start();
    await waitFor('failed restarts', () => (h.service.state('gate-north')?.failures ?? 0) >= 3, 10_000);
    const events = h.events.filter((e) => e.type.startsWith('recording.'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'recording.stopped', camera: 'gate-north', data: { reason: 'exited' } });
    expect(String(events[0]!.data.detail)).toMatch(/nonexistent\/ffmpeg/);
    expect(h.service.state('gate-north')?.state).toMatch(/backoff|starting/);
  });

  it('ffmpeg dies with the agent: kill -9 of the process running the service leaves no ffmpeg behind', async () => {
    const tmp = makeTempDir('cea-rec-kill-');
    cleanups.push(tmp.remove);
    const root = join(tmp.dir, 'recordings');
    markers.push(root);
    const built = await transpileForChild(['agent/recording/service.ts', 'agent/events/index.ts', 'drivers/store/index.ts', 'drivers/log/logger.ts']);
    cleanups.push(built.remove);
    const script = join(built.dir, 'run-recorder.mjs');
    writeFileSync(
      script,
      `import { openStore, migrations } from './drivers/store/index.js';
import { EventBus, EventRecorder, Outbox } from './agent/events/index.js';
import { RecordingService } from './agent/recording/service.js';
import { silentLogger } from './drivers/log/logger.js';
const [dbFile, root, url] = process.argv.slice(2);
const now = () => new Date();
const { db } = openStore(dbFile, { migrations, now });
const recorder = new EventRecorder(db, new Outbox({ db, site: 's', now, newId: () => crypto.randomUUID() }), new EventBus(silentLogger()));
const camera = { id: 'gate-north', name: 'g', onvif: { url: 'http://127.0.0.1:1/', username: 'admin', password: ${JSON.stringify(PASSWORD)} },
  location: { kind: 'street', description: '' }, record: true, prohibited: false };
const service = new RecordingService({ db, recorder, logger: silentLogger(), now, cameras: [camera], storageRoot: root,
  timeZone: ${JSON.stringify(TZ)}, segmentSeconds: 2, streamUri: async () => url });
service.start();
setInterval(() => {
  const s = service.state('gate-north');
  if (s && s.state === 'recording' && s.pid) console.log('RECORDING ' + s.pid);
}, 100);
`,
    );
    const child = spawn(process.execPath, [script, join(tmp.dir, 'agent.db'), root, source.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });

    const pid = Number(await waitFor('the child recording', () => /RECORDING (\d+)/.exec(out)?.[1], 15_000).catch((err: Error) => {
      throw new Error(`${err.message}; child said:\n${out}`);
    }));
    expect(ffmpegProcesses(root)).toEqual([pid]);
    // Kill it while a segment is open with a fragment or so in it: wait for a fresh file
    // (a clock-aligned cut), then a bit more than the 1 s GOP.
    const before = filesUnder(root);
    const fresh = await waitFor('a new segment file', () => filesUnder(root).find((f) => !before.includes(f)), 10_000);
    await new Promise((r) => setTimeout(r, 1300));
    child.kill('SIGKILL');
    await exited;
    const t = Date.now();
    await waitFor('ffmpeg to die with its parent', () => !alive(pid), 5000);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(ffmpegProcesses(root)).toEqual([]);
    // Fragmented MP4 flushed per fragment: the segment that was open is still playable.
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', join(root, fresh)]);
    const info = JSON.parse(probe.stdout) as { format: { duration?: string }; streams: { codec_type: string }[] };
    expect(info.streams.map((s) => s.codec_type)).toContain('video');
    expect(Number(info.format.duration)).toBeGreaterThan(0.5);
  });

  it('grabs one JPEG frame over RTSP with a deadline and a size cap, never leaking credentials', async () => {
    const jpeg = await grabFrame(source.urlWithCredentials, { timeoutMs: 8000 });
    expect(jpeg[0]).toBe(0xff);
    expect(jpeg[1]).toBe(0xd8);
    expect(jpeg.at(-2)).toBe(0xff);
    expect(jpeg.at(-1)).toBe(0xd9);

    const tooLarge = await grabFrame(source.urlWithCredentials, { maxBytes: 100 }).catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(FfmpegError);
    expect((tooLarge as FfmpegError).code).toBe('too_large');

    const wrong = source.urlWithCredentials.replace(ENCODED_PASSWORD, 'wrong%40pw');
    const refused = (await grabFrame(wrong, { timeoutMs: 8000 }).catch((e: unknown) => e)) as FfmpegError;
    expect(refused.code).toBe('no_frame');
    expect(`${refused.message} ${refused.detail}`).not.toContain('wrong%40pw');
    expect(refused.detail).toMatch(/401|unauthori/i);

    source.freeze(true);
    try {
      const hung = (await grabFrame(source.urlWithCredentials, { timeoutMs: 1500 }).catch((e: unknown) => e)) as FfmpegError;
      expect(['timeout', 'no_frame']).toContain(hung.code);
    } finally {
      source.freeze(false);
    }
    await waitFor('no frame grabber left', () => ffmpegProcesses(`127.0.0.1:${source.port}/cam`).length === 0 || null, 5000);
  });
});

describe('supervisor: backoff table, stall detection, generations', () => {
  function fakeRuns() {
    const runs: { ctx: RunContext; stopped: boolean }[] = [];
    const transitions: Transition[] = [];
    const sup = new Supervisor({
      launch: (ctx) => {
        const r = { ctx, stopped: false };
        runs.push(r);
        return { stop: async () => void (r.stopped = true) };
      },
      // Wide margins: a loaded CI box must not turn a slow poll into a stall.
      stallAfterMs: 600,
      startTimeoutMs: 2000,
      stableAfterMs: 150,
      backoffMs: [10, 20, 40],
      onTransition: (t) => transitions.push(t),
    });
    return { sup, runs, transitions };
  }

  it('restarts exits with the backoff table (last entry repeats) and resets it after a healthy run', async () => {
    const { sup, runs, transitions } = fakeRuns();
    sup.start();
    for (let i = 0; i < 5; i += 1) {
      await waitFor(`run ${i + 1}`, () => runs.length === i + 1, 2000);
      runs[i]!.ctx.exited('exited', `boom ${i}`);
    }
    await waitFor('run 6', () => runs.length === 6, 2000);
    expect(transitions.filter((t) => t.to === 'backoff').map((t) => t.delayMs)).toEqual([10, 20, 40, 40, 40]);
    // Healthy for longer than stableAfterMs: the next failure starts the table again.
    runs[5]!.ctx.progress();
    expect(sup.state).toBe('recording');
    await new Promise((r) => setTimeout(r, 200));
    runs[5]!.ctx.progress(); // segments keep coming: no stall
    runs[5]!.ctx.exited('exited');
    expect(transitions.at(-1)).toMatchObject({ to: 'backoff', delayMs: 10 });
    await sup.stop('test');
    expect(sup.state).toBe('stopped');
  });

  it('kills a stalled run and ignores everything a stale generation says', async () => {
    const { sup, runs, transitions } = fakeRuns();
    sup.start();
    await waitFor('run 1', () => runs.length === 1, 2000);
    const first = runs[0]!;
    first.ctx.progress();
    await waitFor('stall', () => transitions.some((t) => t.to === 'stalled'), 2000);
    expect(first.stopped).toBe(true);
    expect(first.ctx.current).toBe(false);
    expect(transitions.find((t) => t.to === 'stalled')).toMatchObject({ from: 'recording', reason: 'stalled' });
    // The dead run's late exit and late segment change nothing.
    const before = transitions.length;
    first.ctx.exited('exited');
    first.ctx.progress();
    expect(transitions.length).toBe(before);
    await waitFor('run 2', () => runs.length === 2, 2000);
    expect(sup.state).toBe('starting');
    runs[1]!.ctx.progress();
    expect(sup.state).toBe('recording');
    await sup.stop('test');
    expect(runs[1]!.stopped).toBe(true);
    runs[1]!.ctx.progress();
    expect(sup.state).toBe('stopped');
    expect(sup.generation).toBeGreaterThan(runs[1]!.ctx.generation);
  });
});

/**
 * The service compiled to plain JS for a child `node` process (vitest transforms TS only
 * in its own workers): each file of the import graph through TypeScript's transpileModule,
 * written under node_modules/.cache so the child resolves the repo's packages.
 */
async function transpileForChild(entries: string[]): Promise<{ dir: string; remove: () => void }> {
  const ts = (await import('typescript')).default;
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(join(cacheDir, 'cea-recorder-test-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const seen = new Set<string>();
  const queue = entries.map((e) => resolve(REPO_ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const out = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, isolatedModules: true },
    }).outputText;
    const target = join(dir, relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out);
    for (const m of out.matchAll(/(?:from\s*|import\s*\(?\s*)['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
