import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentPath } from '../../agent/recording/layout.js';
import { freePort } from '../../scripts/bench/mosquitto.js';
import {
  cameraYaml,
  checkEventStream,
  connectPlatform,
  lookIntoDb,
  startPrivateTmpfs,
  RestartableMosquitto,
  ServiceManager,
  sleep,
  spawnAgent,
  waitUntil,
  writeAgentConfig,
  type AgentProcess,
  type EventMsg,
  type PlatformRequester,
  type PlatformSubscriber,
  type PrivateTmpfs,
} from '../../scripts/faults/harness.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { startRtspSource } from '../fakes/rtsp-source.js';
import { makeTempDir } from '../helpers/tmp.js';
import { seedStreamUri, TZ, withDb } from './helpers/site-seed.js';

// Fault: the disk fills up. The agent (built CLI, child process) runs in a private mount
// namespace of its own with a small tmpfs mounted (nothing leaks to the host; we run as
// root — without that the test fails saying so). A real ffmpeg records rec-1 from an RTSP
// source; the test fills the tmpfs through /proc/<pid>/root until ENOSPC.
//
// 1. Recordings' disk full, database elsewhere: recording.stopped is raised, the agent
//    keeps serving and its database stays consistent; space back → recording.resumed. On
//    a start with the disk full, retention raises storage.floor_at_risk (nothing it may
//    delete: every recording is inside the floor) and keeps recording stopped; a start
//    with space again clears the alarm and records.
// 2. Database on the full disk too: writes fail; the agent neither hangs nor corrupts its
//    file — it keeps serving or exits non-zero for its service manager (emulated: started
//    again a second later) — and once space is back it serves, quick_check ok, and every
//    event seq it allocated reaches the platform in order.

const MB = 1024 * 1024;
const PASSWORD = 'rtsp-Full-1';

/** Fills the filesystem holding `dir` with one file until ENOSPC; returns the file. */
function fill(dir: string): string {
  const file = join(dir, `filler-${Date.now()}.bin`);
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(256 * 1024, 7);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

interface Rig {
  dir: string;
  ns: PrivateTmpfs;
  configFile: string;
  /** The database as this process reaches it. */
  dbView: string;
  sub: PlatformSubscriber;
  requester: PlatformRequester;
  fleet: Fleet;
}

describe('fault: disk full (private tmpfs, child process, ffmpeg)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(site: string, opts: { dbOnTmpfs: boolean; record: boolean; bytes: number }): Promise<Rig> {
    const tmp = makeTempDir('cea-fault-disk-');
    cleanups.push(tmp.remove);
    const mount = join(tmp.dir, 'disk');
    const ns = await startPrivateTmpfs(mount, opts.bytes);
    cleanups.push(() => ns.close());
    const broker = await RestartableMosquitto.create();
    cleanups.push(() => broker.close());
    const source = await startRtspSource({ credentials: { username: 'admin', password: PASSWORD }, size: '320x240', rate: 15, gop: 15 });
    cleanups.push(() => source.close());
    const fleet = await startFleet([{ id: 'cam-1', flap: { offlineMs: 3500, onlineMs: 2000 } }, { id: 'cam-2' }], { discovery: false });
    cleanups.push(() => fleet.stop());
    // SQLite resolves symbolic links in a path, /proc/<pid>/root included: it cannot open a
    // file inside the namespace from here. A database on the tmpfs is read from a copy
    // taken when the agent is stopped (dbCopy); it is created by the agent itself.
    const dbFile = opts.dbOnTmpfs ? join(mount, 'agent.db') : join(tmp.dir, 'agent.db');
    const dbView = opts.dbOnTmpfs ? ns.view(dbFile) : dbFile;
    if (!opts.dbOnTmpfs) withDb(dbFile, (db) => seedStreamUri(db, 'rec-1', source.url));
    const configFile = join(tmp.dir, 'agent.yaml');
    writeAgentConfig(configFile, {
      site,
      brokerUrl: broker.url,
      database: dbFile,
      storageRoot: join(mount, 'recordings'),
      cameras: [
        // rec-1's ONVIF service is away: it records from the stream URI the inventory knows.
        { id: 'rec-1', url: `http://127.0.0.1:${await freePort()}/onvif/device_service`, username: 'admin', password: PASSWORD, record: opts.record },
        ...fleet.cameras.map(cameraYaml),
      ],
    });
    const { sub, requester } = await connectPlatform(broker.url, site, cleanups);
    return { dir: tmp.dir, ns, configFile, dbView, sub, requester, fleet };
  }

  function start(r: Rig): AgentProcess {
    const agent = spawnAgent(r.configFile, { cwd: r.dir, logLevel: 'info', namespace: r.ns });
    cleanups.push(() => agent.kill());
    return agent;
  }

  const explain = (agent: AgentProcess | null) => (err: unknown) => {
    if (process.env.FAULT_DUMP) writeFileSync(process.env.FAULT_DUMP, agent?.output() ?? '');
    throw new Error(`${String(err)}\n${agent?.output().slice(-3000) ?? ''}`);
  };
  const pingOk = async (r: Rig, agent: AgentProcess | null, when: string): Promise<void> => {
    await waitUntil(`ping answered ${when}`, async () => (await r.requester.request('ping', {}, 2000))?.status === 'ok', 30_000, 100).catch(explain(agent));
  };
  const eventsOf = (r: Rig, type: string, pred: (e: EventMsg) => boolean = () => true) => r.sub.events.filter((e) => e.type === type && pred(e));
  /** The database (with its WAL) copied out of the namespace, for a stopped agent. */
  const dbCopy = (r: Rig): string => {
    const out = join(r.dir, `copy-${Date.now()}`);
    mkdirSync(out);
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(r.dbView + suffix)) copyFileSync(r.dbView + suffix, join(out, `agent.db${suffix}`));
    return join(out, 'agent.db');
  };
  const allDelivered = async (r: Rig, site: string, file = r.dbView) => {
    const last = lookIntoDb(file, site);
    expect(last.quickCheck).toBe('ok');
    expect(last.outbox).toBe(0);
    await waitUntil(`the subscriber to see seq 1..${last.seq}`, () => new Set(r.sub.events.map((e) => e.seq)).size >= last.seq, 20_000);
    expect(checkEventStream(r.sub.events, r.sub.payloads).distinct).toBe(last.seq);
  };

  it('recordings disk full: recording.stopped, still serving, DB consistent; space back → recording resumes; a start on a full disk raises storage.floor_at_risk, cleared with space', async () => {
    const site = 'site-diskfull';
    const r = await rig(site, { dbOnTmpfs: false, record: true, bytes: 24 * MB });
    const root = r.ns.view(join(r.ns.path, 'recordings'));
    const liveDir = () => join(root, dirname(segmentPath('rec-1', Date.now(), TZ)));
    const recordedBytes = () => (existsSync(liveDir()) ? readdirSync(liveDir()).reduce((n, f) => n + statSync(join(liveDir(), f)).size, 0) : 0);

    let agent = start(r);
    await agent.waitForLine(/agent running/);
    await waitUntil('ffmpeg to write into the tmpfs', () => recordedBytes() > 0, 30_000, 100).catch(explain(agent));

    // Full while running: the recorder cannot write.
    let filler = fill(r.ns.view(r.ns.path));
    await waitUntil('recording.stopped for rec-1', () => eventsOf(r, 'recording.stopped', (e) => e.camera === 'rec-1').length >= 1, 40_000, 100).catch(explain(agent));
    await pingOk(r, agent, 'with the disk full');
    expect(lookIntoDb(r.dbView, site).quickCheck).toBe('ok');
    expect(agent.running()).toBe(true);

    // Space back: the recorder's next attempt records again.
    rmSync(filler);
    await waitUntil('recording.resumed for rec-1', () => eventsOf(r, 'recording.resumed', (e) => e.camera === 'rec-1').length >= 1, 60_000, 100).catch(explain(agent));
    await pingOk(r, agent, 'with space back');

    // A start on a full disk: retention's first run finds nothing it may delete (every
    // recording is inside the floor): alarm, recording held stopped.
    filler = fill(r.ns.view(r.ns.path));
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code, agent.output().slice(-2000)).toBe(0);
    agent = start(r);
    await waitUntil('storage.floor_at_risk', () => eventsOf(r, 'storage.floor_at_risk', (e) => e.data.active === true).length >= 1, 30_000, 100).catch(explain(agent));
    await pingOk(r, agent, 'started on a full disk');
    expect(lookIntoDb(r.dbView, site).quickCheck).toBe('ok');

    // Space back, and the next run (here: the next start): the alarm clears, recording goes on.
    rmSync(filler);
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code, agent.output().slice(-2000)).toBe(0);
    const resumedBefore = eventsOf(r, 'recording.resumed').length;
    const bytesBefore = recordedBytes();
    agent = start(r);
    await waitUntil('storage.floor_at_risk cleared', () => eventsOf(r, 'storage.floor_at_risk', (e) => e.data.active === false).length >= 1, 30_000, 100).catch(explain(agent));
    await waitUntil('recording again', () => recordedBytes() > bytesBefore, 30_000, 100).catch(explain(agent));
    await pingOk(r, agent, 'with space back after the restart');
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
    await allDelivered(r, site);
    // What was recorded before the disk filled is still there, and the index agrees with the disk.
    const rows = withDb(r.dbView, (db) => db.prepare<[], { path: string; bytes: number }>("SELECT path, bytes FROM segments WHERE state = 'present'").all());
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(statSync(join(root, row.path)).size, row.path).toBe(row.bytes);
    console.log(`disk-full: ${rows.length} segment(s) indexed; events ${JSON.stringify(Object.fromEntries([...new Set(r.sub.events.map((e) => e.type))].map((t) => [t, eventsOf(r, t).length])))}, resumed before last start ${resumedBefore}`);
  }, 150_000);

  it('database on the full disk: no hang, no corruption; it serves again once space is back and loses no event', async () => {
    const site = 'site-dbfull';
    const r = await rig(site, { dbOnTmpfs: true, record: false, bytes: 8 * MB });
    // The service manager: starts the agent again a second after a non-zero exit.
    const manager = new ServiceManager(() => start(r));
    const exits = manager.exits;
    cleanups.push(() => manager.kill());
    manager.start();
    await waitUntil('the agent to start', () => manager.current?.output().includes('agent running') ?? false, 30_000).catch(explain(manager.current));
    await waitUntil('camera events', () => r.sub.events.some((e) => e.type === 'camera.offline'), 20_000).catch(explain(manager.current));

    const filler = fill(r.ns.view(r.ns.path));
    // Cameras keep flapping, and cam-2 goes down: facts and events to write, no room for them.
    const downAt = Date.now();
    await r.fleet.camera('cam-2').setFailure('offline', true);
    await sleep(10_000);
    const seen = `${exits.map((e) => e.output).join('\n')}\n${manager.current!.output()}`;
    expect(seen, 'the failing writes are reported').toMatch(/SQLITE_FULL|database or disk is full/);
    for (const e of exits) {
      expect(e.signal, e.output.slice(-2000)).toBeNull(); // exits, never a hang killed by a watchdog
      expect(e.code).not.toBe(0);
    }
    const seqWhenFull = Math.max(0, ...r.sub.events.map((e) => e.seq));
    rmSync(filler);
    await pingOk(r, manager.current, 'with space back');
    await waitUntil('new events once space is back', () => r.sub.events.some((e) => e.seq > seqWhenFull), 30_000, 200).catch(explain(manager.current));
    // The fact that could not be written is not lost: cam-2's outage is reported once there
    // is room, with the time it began (during the full period).
    await waitUntil('camera.offline for cam-2', () => eventsOf(r, 'camera.offline', (e) => e.camera === 'cam-2').length > 0, 30_000, 200).catch(explain(manager.current));
    const since = Date.parse(String(eventsOf(r, 'camera.offline', (e) => e.camera === 'cam-2')[0]!.data.since));
    expect(since).toBeGreaterThanOrEqual(downAt - 1000);
    expect(since).toBeLessThan(downAt + 10_000);
    await r.fleet.camera('cam-2').setFailure('offline', false);
    await waitUntil('camera.online for cam-2', () => eventsOf(r, 'camera.online', (e) => e.camera === 'cam-2').length > 0, 30_000, 200).catch(explain(manager.current));
    await manager.stop();
    expect(exits.at(-1)).toMatchObject({ code: 0 });
    await allDelivered(r, site, dbCopy(r));
    console.log(`disk-full (db): ${exits.length - 1} exit(s) while full (${exits.slice(0, -1).map((e) => e.code).join(',')}), events ${r.sub.events.length}`);
  }, 120_000);
});
