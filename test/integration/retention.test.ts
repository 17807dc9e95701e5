import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfigObject } from '../../agent/config/index.js';
import type { AgentConfig } from '../../agent/config/types.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import { segmentPath } from '../../agent/recording/layout.js';
import { SegmentStore } from '../../agent/recording/segment-store.js';
import { HoldStore } from '../../agent/retention/holds.js';
import { reconcile } from '../../agent/retention/reconcile.js';
import { RetentionService } from '../../agent/retention/service.js';
import { Sweeper } from '../../agent/retention/sweeper.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { main } from '../../scripts/cea.js';
import { captureIo } from '../helpers/capture-io.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// Retention against real files and a real SQLite file: the CLI's JSON shapes, deletions
// that never touch protected recordings (checked on disk), a quota that fills up with
// only protected recordings (alarm + recording stopped, nothing deleted), reconciliation,
// and a kill -9 between the audit row and the unlink.

const TZ = 'Asia/Shanghai';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-31T00:00:00Z');
const SEG = 6 * HOUR;

interface Seg {
  cameraId: string;
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
  sha256: string;
}

interface Site {
  dir: string;
  root: string;
  configFile: string;
  raw: Record<string, unknown>;
  config: AgentConfig;
  db: Database;
  segs: Seg[];
}

/** A segment file in the layout, content unique to it, mtime = end. */
function writeSegment(root: string, cameraId: string, startMs: number, endMs: number, bytes: number): Seg {
  const path = segmentPath(cameraId, startMs, TZ);
  const abs = join(root, path);
  mkdirSync(dirname(abs), { recursive: true });
  const content = Buffer.alloc(bytes, `${cameraId}:${startMs}:`);
  writeFileSync(abs, content);
  utimesSync(abs, endMs / 1000, endMs / 1000);
  return { cameraId, path, startMs, endMs, bytes, sha256: createHash('sha256').update(content).digest('hex') };
}

function makeSite(tmpDir: string, opts: { maxBytes?: number | null; cameras?: { id: string; priority?: number }[] } = {}): Site {
  const root = join(tmpDir, 'recordings');
  mkdirSync(root, { recursive: true });
  const raw = {
    site: { id: 'site-ret', timezone: TZ },
    profile: 'liaoning-2008',
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    database: 'agent.db',
    storage: { root: 'recordings', maxBytes: opts.maxBytes ?? null },
    retention: { floorDays: 15, ceilingDays: 30 },
    cameras: (opts.cameras ?? [{ id: 'gate' }, { id: 'yard' }]).map((c) => ({
      id: c.id,
      onvif: { url: 'http://192.0.2.1/onvif/device_service' },
      location: { kind: 'street', description: c.id },
      ...(c.priority !== undefined ? { priority: c.priority } : {}),
    })),
  };
  const configFile = join(tmpDir, 'agent.yaml');
  writeFileSync(configFile, JSON.stringify(raw, null, 2));
  const loaded = resolveConfigObject(raw, configFile, { env: {}, cwd: tmpDir });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const { db } = openStore(loaded.config.database, { migrations, now: () => new Date(NOW) });
  return { dir: tmpDir, root, configFile, raw, config: loaded.config, db, segs: [] };
}

/** Continuous recording of each camera, indexed live by the recorder (SegmentStore.upsert at close). */
function record(site: Site, cameras: string[], fromMs: number, toMs: number, bytes: number, opts: { hashed?: boolean } = {}): Seg[] {
  const store = new SegmentStore(site.db);
  const out: Seg[] = [];
  for (let t = fromMs; t + SEG <= toMs; t += SEG) {
    for (const cam of cameras) {
      const s = writeSegment(site.root, cam, t, t + SEG, bytes);
      store.upsert({ cameraId: cam, path: s.path, startMs: s.startMs, endMs: s.endMs, bytes, sha256: opts.hashed === false ? null : s.sha256 }, s.endMs + 1500);
      out.push(s);
    }
  }
  site.segs.push(...out);
  return out;
}

const onDisk = (site: Site, s: Seg) => existsSync(join(site.root, s.path));

async function cli(site: Site, args: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const cap = captureIo(site.dir);
  const code = await main([...args, '--config', site.configFile, '--json'], cap.io);
  const out = cap.stdout();
  return { code, json: out.trim() === '' ? {} : (JSON.parse(out) as Record<string, unknown>), stderr: cap.stderr() };
}

function recorderFor(site: Site): EventRecorder {
  return new EventRecorder(site.db, new Outbox({ db: site.db, site: 'site-ret', now: () => new Date(NOW), newId: randomUUID }), new EventBus(silentLogger()));
}

function events(db: Database, type: string): { severity: string; camera: string | null; data: Record<string, unknown> }[] {
  return db
    .prepare<[string], { severity: string; camera: string | null; data: string }>('SELECT severity, camera, data FROM outbox WHERE type = ? ORDER BY seq')
    .all(type)
    .map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
}

const states = (db: Database) => Object.fromEntries(db.prepare<[], { state: string; n: number }>('SELECT state, count(*) AS n FROM segments GROUP BY state').all().map((r) => [r.state, r.n]));

describe('retention with real files', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });
  const site = (opts?: Parameters<typeof makeSite>[1]) => {
    const tmp = makeTempDir('cea-retention-');
    const s = makeSite(tmp.dir, opts);
    cleanups.push(tmp.remove, () => s.db.close());
    return s;
  };

  it('cea hold / retention plan / sweep: JSON shapes; the plan changes nothing; the sweep deletes exactly the plan, never a protected file', async () => {
    const s = site();
    record(s, ['gate', 'yard'], NOW - 40 * DAY, NOW, 1024, { hashed: false });
    const heldFrom = NOW - 36 * DAY;
    const heldTo = heldFrom + 12 * HOUR;

    const add = await cli(s, ['hold', 'add', '--camera', 'gate', '--from', new Date(heldFrom).toISOString(), '--to', new Date(heldTo).toISOString(), '--kind', 'legal', '--reason', 'case 2026-118, officer Li', '--now', new Date(NOW).toISOString()]);
    expect(add.code).toBe(0);
    const legal = add.json.hold as Record<string, unknown>;
    expect(legal).toMatchObject({ camera: 'gate', from: new Date(heldFrom).toISOString(), to: new Date(heldTo).toISOString(), kind: 'legal', until: null, active: true });
    expect(typeof legal.id).toBe('string');
    const vital = await cli(s, ['hold', 'add', '--camera', 'yard', '--from', new Date(NOW - 38 * DAY).toISOString(), '--to', new Date(NOW - 37 * DAY).toISOString(), '--kind', 'vital', '--reason', 'traffic accident evidence', '--now', new Date(NOW).toISOString()]);
    expect(vital.code).toBe(0);
    expect((vital.json.hold as { until: string }).until).toBe(new Date(NOW + 365 * DAY).toISOString());
    const list = await cli(s, ['hold', 'list']);
    expect((list.json.holds as unknown[]).length).toBe(2);
    const bad = await cli(s, ['hold', 'add', '--camera', 'nope', '--from', '2026-03-01', '--to', '2026-03-02', '--kind', 'legal', '--reason', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({ error: { code: 'not_found' } });

    const before = states(s.db);
    const plan = await cli(s, ['retention', 'plan', '--now', new Date(NOW).toISOString()]);
    expect(plan.code).toBe(0);
    expect(Object.keys(plan.json)).toEqual(expect.arrayContaining(['delete', 'kept', 'alarms', 'forecast']));
    expect(plan.json.forecast).toMatchObject({ floorDays: 15, ok: expect.any(Boolean) });
    expect(plan.json.forecast).toHaveProperty('daysRetainable');
    const planned = plan.json.delete as { path: string; camera: string; start: string; end: string; bytes: number; reason: string }[];
    expect(planned.length).toBeGreaterThan(0);
    expect(Object.keys(planned[0]!)).toEqual(expect.arrayContaining(['path', 'camera', 'start', 'end', 'bytes', 'reason']));
    expect(plan.json.kept).toMatchObject({ floor: expect.any(Number), hold: 6, other: expect.any(Number) }); // 2 gate + 4 yard segments held
    // Read only: nothing in the index or on disk moved.
    expect(states(s.db)).toEqual(before);
    expect(s.segs.every((x) => onDisk(s, x))).toBe(true);

    const isProtected = (x: Seg) =>
      x.endMs >= NOW - 15 * DAY ||
      (x.cameraId === 'gate' && x.startMs < heldTo && x.endMs > heldFrom) ||
      (x.cameraId === 'yard' && x.startMs < NOW - 37 * DAY && x.endMs > NOW - 38 * DAY);
    for (const d of planned) {
      const seg = s.segs.find((x) => x.path === d.path)!;
      expect(isProtected(seg)).toBe(false);
      expect(d.reason).toBe('past_ceiling');
      expect(Date.parse(d.end)).toBeLessThan(NOW - 30 * DAY);
    }

    const sweep = await cli(s, ['retention', 'sweep', '--now', new Date(NOW).toISOString()]);
    expect(sweep.code).toBe(0);
    const deleted = (sweep.json.delete as { path: string; sha256: string }[]).map((d) => d.path);
    expect(deleted.sort()).toEqual(planned.map((d) => d.path).sort());
    for (const x of s.segs) expect(onDisk(s, x)).toBe(!deleted.includes(x.path));
    for (const x of s.segs.filter(isProtected)) expect(onDisk(s, x)).toBe(true);
    // Every deletion audited, completed, with the hash of what was destroyed (hashed first: the index had none).
    const audit = s.db.prepare<[], { path: string; sha256: string; reason: string; deleted_ms: number | null }>('SELECT path, sha256, reason, deleted_ms FROM deletion_audit').all();
    expect(audit.length).toBe(deleted.length);
    for (const a of audit) {
      expect(a.deleted_ms).not.toBeNull();
      expect(a.sha256).toBe(s.segs.find((x) => x.path === a.path)!.sha256);
    }
    expect(() => s.db.prepare('DELETE FROM deletion_audit').run()).toThrow(/append-only/);

    // Nothing left to do: a second sweep deletes nothing.
    const again = await cli(s, ['retention', 'sweep', '--now', new Date(NOW).toISOString()]);
    expect(again.json.delete).toEqual([]);

    const released = await cli(s, ['hold', 'release', legal.id as string, '--reason', 'case closed']);
    expect(released.code).toBe(0);
    expect((released.json.hold as { released: { reason: string } }).released.reason).toBe('case closed');
    const noVitalRelease = await cli(s, ['hold', 'release', (vital.json.hold as { id: string }).id, '--reason', 'oops']);
    expect(noVitalRelease.code).toBe(1);
    expect(noVitalRelease.json).toMatchObject({ error: { code: 'forbidden' } });
    expect((await cli(s, ['hold', 'release', legal.id as string])).code).toBe(2); // --reason is required
    // The legal hold released: its segments go at the next sweep; the vital one still holds.
    const after = await cli(s, ['retention', 'sweep', '--now', new Date(NOW).toISOString()]);
    const legalHeld = s.segs.filter((y) => y.cameraId === 'gate' && y.startMs < heldTo && y.endMs > heldFrom).map((y) => y.path);
    expect((after.json.delete as { path: string }[]).map((d) => d.path).sort()).toEqual(legalHeld.sort());
    for (const x of s.segs.filter((y) => y.cameraId === 'yard' && y.startMs < NOW - 37 * DAY && y.endMs > NOW - 38 * DAY)) expect(onDisk(s, x)).toBe(true);
  });

  it('a quota full of protected recordings: the agent alarms and stops recording instead of deleting', async () => {
    const s = site({ maxBytes: 1, cameras: [{ id: 'gate', priority: 1 }, { id: 'yard' }, { id: 'dock' }] });
    // Three cameras recording for 20 days; the gate's older days are under a hold.
    record(s, ['gate', 'yard', 'dock'], NOW - 20 * DAY, NOW, 4096);
    new HoldStore(s.db).add({ cameraId: 'gate', fromMs: NOW - 21 * DAY, toMs: NOW - 14 * DAY, kind: 'legal', reason: 'court order 7', createdBy: 'test' }, NOW, 365);
    const isProtected = (x: Seg) => x.endMs >= NOW - 15 * DAY || x.cameraId === 'gate';
    const unprotected = s.segs.filter((x) => !isProtected(x));
    const total = s.segs.reduce((n, x) => n + x.bytes, 0);
    // Full enough that even with every unprotected segment gone it stays past the hard watermark (97 %).
    s.config.storage.maxBytes = Math.floor((total - unprotected.length * 4096) / 0.985);
    const stopped: string[][] = [];
    const resumed: string[][] = [];
    const deps = {
      db: s.db,
      recorder: recorderFor(s),
      logger: silentLogger(),
      now: () => new Date(NOW + 60_000),
      config: s.config,
      stopRecording: (ids: string[]) => void stopped.push(ids),
      resumeRecording: (ids: string[]) => void resumed.push(ids),
      statfs: () => ({ blocks: 1e9, bsize: 4096, bavail: 1e9 }),
      intervalMs: 3_600_000,
      spaceCheckMs: 3_600_000,
    };
    const service = new RetentionService(deps);
    await service.start();
    await service.runOnce(); // the first run, started in the background

    // The unprotected ones went (disk pressure; those within a step of the floor are kept as a guard); nothing protected did.
    for (const x of unprotected) if (x.endMs < NOW - 16 * DAY) expect(onDisk(s, x)).toBe(false);
    for (const x of s.segs.filter(isProtected)) expect(onDisk(s, x)).toBe(true);
    const reasons = s.db.prepare<[], { reason: string }>('SELECT DISTINCT reason FROM deletion_audit').all().map((r) => r.reason);
    expect(reasons).toEqual(['disk_pressure']);
    expect(events(s.db, 'storage.floor_at_risk')).toEqual([expect.objectContaining({ severity: 'critical', data: expect.objectContaining({ active: true }) })]);
    // The lowest priority first (yard, dock: 0), not the gate (1).
    expect(stopped).toEqual([['dock', 'yard']]);
    expect(service.status().cameras).toMatchObject({ gate: { state: 'recording', days: 20 }, yard: { state: 'stopped' }, dock: { state: 'stopped' } });
    // The per-camera accessor (camera status asks camera by camera) says the same.
    for (const id of ['gate', 'yard', 'dock']) expect(service.cameraStatus(id)).toEqual(service.status().cameras[id]);
    expect(service.cameraStatus('no-such-camera')).toBeNull();

    // The next run: the gate stops too; the alarm is not raised twice.
    await service.runOnce();
    await service.stop();
    expect(stopped).toEqual([['dock', 'yard'], ['gate']]);
    expect(events(s.db, 'storage.floor_at_risk').length).toBe(1);
    for (const x of s.segs.filter(isProtected)) expect(onDisk(s, x)).toBe(true);

    // A restart keeps them stopped (the state is in the database), still without a second alarm.
    const restarted = new RetentionService(deps);
    await restarted.start();
    await restarted.runOnce();
    expect(stopped.slice(2)).toEqual([['dock', 'gate', 'yard']]);
    expect(events(s.db, 'storage.floor_at_risk').length).toBe(1);

    // Room again (a bigger quota): recording resumes and the alarm clears, once.
    s.config.storage.maxBytes = total * 4;
    await restarted.runOnce();
    await restarted.stop();
    expect(resumed).toEqual([['dock', 'gate', 'yard']]);
    expect(events(s.db, 'storage.floor_at_risk').map((e) => [e.severity, e.data.active])).toEqual([
      ['critical', true],
      ['info', false],
    ]);
    for (const x of s.segs.filter(isProtected)) expect(onDisk(s, x)).toBe(true);
  });

  it('the box clock jumping while the agent runs raises clock.jump once, and deletes nothing more', async () => {
    const s = site();
    record(s, ['gate'], NOW - 20 * DAY, NOW, 256);
    let wall = NOW + 60_000;
    let mono = 0;
    const service = new RetentionService({
      db: s.db,
      recorder: recorderFor(s),
      logger: silentLogger(),
      now: () => new Date(wall),
      monotonicMs: () => mono,
      config: s.config,
      stopRecording: () => undefined,
      resumeRecording: () => undefined,
      intervalMs: 3_600_000,
      spaceCheckMs: 3_600_000,
    });
    await service.start();
    await service.runOnce(); // the first run, started in the background
    const audited = () => s.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM deletion_audit').get()!.n;
    const before = audited();
    // Five minutes pass, but the wall clock leaps 40 days ahead.
    mono += 300_000;
    wall += 40 * DAY;
    await service.runOnce();
    mono += 300_000;
    wall += 300_000;
    await service.runOnce();
    await service.stop();
    expect(events(s.db, 'clock.jump').filter((e) => e.data.stepMs !== undefined)).toEqual([expect.objectContaining({ severity: 'critical', data: expect.objectContaining({ direction: 'forward' }) })]);
    expect(audited()).toBe(before);
    for (const x of s.segs) expect(onDisk(s, x)).toBe(true);
  });

  it('cea retention plan on a box with files but no database yet: plans from the disk, creates nothing', async () => {
    const tmp = makeTempDir('cea-retention-');
    cleanups.push(tmp.remove);
    const s = makeSite(tmp.dir);
    s.db.close();
    rmSync(s.config.database);
    for (const suffix of ['-wal', '-shm']) rmSync(s.config.database + suffix, { force: true });
    const old = writeSegment(s.root, 'gate', NOW - 40 * DAY, NOW - 40 * DAY + SEG, 64);
    const young = writeSegment(s.root, 'gate', NOW - 2 * DAY, NOW - 2 * DAY + SEG, 64);
    const cap = captureIo(s.dir);
    const code = await main(['retention', 'plan', '--config', s.configFile, '--now', new Date(NOW).toISOString(), '--json'], cap.io);
    const json = JSON.parse(cap.stdout()) as { delete: { path: string; reason: string }[]; reconcile: { adopted: number } };
    expect(code).toBe(0);
    expect(json.reconcile.adopted).toBe(2);
    expect(json.delete).toEqual([expect.objectContaining({ path: old.path, reason: 'past_ceiling' })]);
    expect(existsSync(s.config.database)).toBe(false);
    expect(existsSync(join(s.root, old.path)) && existsSync(join(s.root, young.path))).toBe(true);
  });

  it('storage watermarks must nest (config)', () => {
    const tmp = makeTempDir('cea-retention-');
    cleanups.push(tmp.remove);
    const base = { site: { id: 's' }, profile: 'liaoning-2008', mqtt: { url: 'mqtt://127.0.0.1:1' } };
    const bad = resolveConfigObject({ ...base, storage: { deleteAbovePercent: 80, deleteDownToPercent: 85, stopAbovePercent: 80 } }, '<t>', { env: {}, cwd: tmp.dir });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.errors.map((e) => e.path).sort()).toEqual(['storage.deleteDownToPercent', 'storage.stopAbovePercent']);
    const good = resolveConfigObject(base, '<t>', { env: {}, cwd: tmp.dir });
    expect(good.ok && good.config.storage).toMatchObject({ deleteAbovePercent: 90, deleteDownToPercent: 85, stopAbovePercent: 97 });
  });

  it('reconcile: a vanished file is flagged missing and reported, an unknown one adopted, strangers left alone', async () => {
    const s = site();
    const segs = record(s, ['gate'], NOW - 3 * DAY, NOW, 512);
    const lost = segs[2]!;
    rmSync(join(s.root, lost.path));
    const stranger = writeSegment(s.root, 'yard', NOW - 5 * DAY, NOW - 5 * DAY + SEG, 700);
    const fresh = writeSegment(s.root, 'yard', NOW - 60_000, NOW, 10); // still being written
    const open = writeSegment(s.root, 'dock', NOW - 3 * HOUR, NOW - 2 * HOUR, 10);
    writeFileSync(join(s.root, 'README.txt'), 'not a recording');
    writeFileSync(join(s.root, 'gate', 'notes.txt'), 'nor this');

    const r = await reconcile({ db: s.db, root: s.root, timeZone: TZ, nowMs: NOW, recorder: recorderFor(s), isOpen: (p) => p === open.path });
    expect(r.missing.map((m) => m.path)).toEqual([lost.path]);
    expect(r.adopted.map((a) => a.path)).toEqual([stranger.path]);
    expect(r.ignored.sort()).toEqual(['README.txt', 'gate/notes.txt']);
    const store = new SegmentStore(s.db);
    expect(store.byPath(lost.path)?.state).toBe('missing');
    expect(store.byPath(stranger.path)).toMatchObject({ cameraId: 'yard', startMs: stranger.startMs, endMs: stranger.endMs, bytes: 700, sha256: null, state: 'present' });
    expect(store.byPath(fresh.path)).toBeNull();
    expect(store.byPath(open.path)).toBeNull();
    expect(events(s.db, 'recording.missing')).toEqual([expect.objectContaining({ camera: 'gate', severity: 'critical', data: expect.objectContaining({ count: 1, paths: [lost.path] }) })]);
    // Left alone.
    expect(existsSync(join(s.root, 'README.txt'))).toBe(true);

    // The file comes back (a disk remounted): present again, and no second event.
    writeSegment(s.root, 'gate', lost.startMs, lost.endMs, 512);
    const again = await reconcile({ db: s.db, root: s.root, timeZone: TZ, nowMs: NOW, recorder: recorderFor(s) });
    expect(again.restored).toBe(1);
    expect(store.byPath(lost.path)?.state).toBe('present');
    expect(events(s.db, 'recording.missing').length).toBe(1);

    // An empty (unmounted) root flags nothing.
    renameSync(s.root, `${s.root}.away`);
    mkdirSync(s.root);
    const unmounted = await reconcile({ db: s.db, root: s.root, timeZone: TZ, nowMs: NOW, recorder: recorderFor(s) });
    expect(unmounted.problem).toMatch(/not mounted/);
    expect(states(s.db).missing ?? 0).toBe(0);
  });

  it('kill -9 between the audit row and the unlink: after the restart the row is completed and the file gone, nothing else touched', async () => {
    const s = site();
    record(s, ['gate', 'yard'], NOW - 35 * DAY, NOW, 256);
    const victims = s.segs.filter((x) => x.endMs < NOW - 30 * DAY);
    expect(victims.length).toBeGreaterThan(0);
    s.db.close();

    // The sweeper in its own process (the built code), with its crash switch on.
    const dist = (p: string) => pathToFileURL(join(REPO_ROOT, 'dist', p)).href;
    const script = `
      import { resolveConfigObject } from ${JSON.stringify(dist('agent/config/index.js'))};
      import { assess, diskConstraints, loadColumns, loadHolds, segmentDetails, totalBytes } from ${JSON.stringify(dist('agent/retention/service.js'))};
      import { Sweeper } from ${JSON.stringify(dist('agent/retention/sweeper.js'))};
      import { silentLogger } from ${JSON.stringify(dist('drivers/log/logger.js'))};
      import { migrations, openStore } from ${JSON.stringify(dist('drivers/store/index.js'))};
      const raw = ${JSON.stringify(s.raw)};
      const loaded = resolveConfigObject(raw, '<child>', { env: {}, cwd: ${JSON.stringify(s.dir)} });
      const config = loaded.config;
      const now = () => new Date(${NOW});
      const { db } = openStore(config.database, { migrations, now });
      const segments = loadColumns(db);
      const a = assess({ config, segments, details: segmentDetails(db), holds: loadHolds(db), disk: diskConstraints(config, totalBytes(segments)), wallMs: ${NOW} });
      const failures = process.env.CEA_CRASH_AFTER_AUDIT === '1' ? { crashAfterAudit: () => process.kill(process.pid, 'SIGKILL') } : {};
      const sweeper = new Sweeper({ db, root: config.storage.root, now, logger: silentLogger(), batchSize: 1000, failures });
      await sweeper.sweep(a.plan.deletions, { holdNowMs: a.plan.holdNowMs });
      process.stdout.write('swept without crashing\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, CEA_CRASH_AFTER_AUDIT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    expect({ exit, out }).toMatchObject({ exit: { signal: 'SIGKILL' } });

    // What the crash left: audit rows written, files still there, segments claimed.
    const { db } = openStore(s.config.database, { migrations, now: () => new Date(NOW) });
    s.db = db;
    const pending = db.prepare<[], { path: string }>('SELECT path FROM deletion_audit WHERE deleted_ms IS NULL').all().map((r) => r.path);
    expect(pending.sort()).toEqual(victims.map((v) => v.path).sort());
    for (const v of victims) expect(onDisk(s, v)).toBe(true);
    expect(states(db)).toMatchObject({ deleting: victims.length });

    // The restart: the agent's retention service finishes them first.
    const service = new RetentionService({
      db,
      recorder: recorderFor(s),
      logger: silentLogger(),
      now: () => new Date(NOW),
      config: s.config,
      stopRecording: () => undefined,
      resumeRecording: () => undefined,
      intervalMs: 3_600_000,
      spaceCheckMs: 3_600_000,
    });
    await service.start();
    await service.runOnce(); // the first run, started in the background
    await service.stop();
    const rows = db.prepare<[], { path: string; deleted_ms: number | null }>('SELECT path, deleted_ms FROM deletion_audit ORDER BY id').all();
    expect(rows.length).toBe(victims.length); // completed, not written twice
    expect(rows.every((r) => r.deleted_ms !== null)).toBe(true);
    for (const x of s.segs) expect(onDisk(s, x)).toBe(!victims.includes(x));
    expect(states(db)).toEqual({ deleted: victims.length, present: s.segs.length - victims.length });
    expect(events(db, 'recording.missing')).toEqual([]);
    // Day directories emptied by the deletions are gone; camera directories stay.
    expect(readdirSync(s.root).sort()).toEqual(['gate', 'yard']);
  });

  it('a file already gone when its deletion comes is not audited as deleted: the next reconcile reports it', async () => {
    const s = site();
    record(s, ['gate'], NOW - 32 * DAY, NOW, 128);
    const gone = s.segs[0]!;
    rmSync(join(s.root, gone.path));
    const service = new RetentionService({
      db: s.db,
      recorder: recorderFor(s),
      logger: silentLogger(),
      now: () => new Date(NOW),
      config: s.config,
      stopRecording: () => undefined,
      resumeRecording: () => undefined,
      intervalMs: 3_600_000,
      spaceCheckMs: 3_600_000,
      reconcileEveryMs: 10 * DAY, // so that only a vanished file triggers the next one
    });
    // The first run reconciles before it plans: the gap is seen then.
    await service.start();
    const first = await service.runOnce();
    expect(first?.reconciled?.missing.map((m) => m.path)).toEqual([gone.path]);
    // Gone between reconcile and sweep: skipped, not audited, reconciled (and reported) next run.
    const next = s.segs[1]!;
    const plan = (await service.runOnce())!;
    expect(plan.reconciled).toBeNull();
    const lateSeg = s.segs.find((x) => x.endMs >= NOW - 29 * DAY && x.endMs < NOW - 28 * DAY)!;
    rmSync(join(s.root, lateSeg.path));
    const sweeper = new Sweeper({ db: s.db, root: s.root, now: () => new Date(NOW), logger: silentLogger() });
    expect(new SegmentStore(s.db).byPath(next.path)?.state).toBe('deleted'); // swept past the ceiling by the first run
    const late = new SegmentStore(s.db).byPath(lateSeg.path)!;
    const result = await sweeper.sweep([{ segment: { ...late, indexedMs: late.endMs }, reason: 'disk_pressure', effectiveEndMs: late.endMs }]);
    expect(result.missing.map((m) => m.path)).toEqual([late.path]);
    expect(result.deleted).toEqual([]);
    expect(s.db.prepare('SELECT count(*) AS n FROM deletion_audit WHERE path = ?').get(late.path)).toEqual({ n: 0 });
    expect(new SegmentStore(s.db).byId(late.id)?.state).toBe('present');
    await service.stop();
    expect(events(s.db, 'recording.missing').map((e) => e.data.paths)).toEqual([[gone.path]]);
  });

  it('recover() leaves an interrupted deletion alone when a hold now covers it', () => {
    const s = site();
    const [victim] = record(s, ['gate'], NOW - 40 * DAY, NOW - 40 * DAY + SEG, 128);
    const seg = new SegmentStore(s.db).byPath(victim!.path)!;
    // As a crash would leave it: claimed and audited, file still there.
    s.db.prepare("UPDATE segments SET state = 'deleting' WHERE id = ?").run(seg.id);
    s.db
      .prepare("INSERT INTO deletion_audit (segment_id, path, camera_id, start_ms, end_ms, bytes, sha256, reason, decided_ms) VALUES (?, ?, 'gate', ?, ?, 128, ?, 'past_ceiling', ?)")
      .run(seg.id, seg.path, seg.startMs, seg.endMs, victim!.sha256, NOW);
    s.db
      .prepare("INSERT INTO holds (id, camera_id, from_ms, to_ms, kind, reason, created_ms, created_by) VALUES ('h1', 'gate', ?, ?, 'legal', 'late court order', ?, 'test')")
      .run(seg.startMs, seg.endMs, NOW);
    const result = new Sweeper({ db: s.db, root: s.root, now: () => new Date(NOW), logger: silentLogger() }).recover();
    expect(result).toEqual({ completed: 0, unlinked: 0, left: 1 });
    expect(onDisk(s, victim!)).toBe(true);
    expect(new SegmentStore(s.db).byId(seg.id)?.state).toBe('present');
  });
});
