import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cameraYaml,
  checkEventStream,
  connectPlatform,
  lookIntoDb,
  RestartableMosquitto,
  ServiceManager,
  sleep,
  spawnAgent,
  waitUntil,
  writeAgentConfig,
} from '../../scripts/faults/harness.js';
import { startFleet } from '../fakes/onvif-camera/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { holdWriteLock, type LockHolder } from './helpers/lock-holder.js';

// Fault: the agent's SQLite file is locked by another process (python3's sqlite3 holding
// BEGIN EXCLUSIVE, as a technician's sqlite3 shell or a backup would).
//  - At start: the agent exits 1 (not a crash) with a message naming the file and saying
//    another process holds it; started again by its service manager (emulated here with
//    systemd's Restart=on-failure: a new start a second later) it retries, and once the
//    lock is gone it starts and serves.
//  - While running, a lock shorter than the busy timeout (5 s): the agent waits for it
//    (no crash, no lost event) and goes on.
//  - While running, a lock longer than the busy timeout: whatever the agent does (wait, or
//    exit and be restarted), it comes back serving once released, and nothing is lost.
// Throughout: every event seq reaches the platform in order with no gap; quick_check ok.

const SITE = 'site-locked';

describe('fault: SQLite file locked by another process (child process, mosquitto)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('names the file and the other process, retries, and proceeds once released; nothing lost', async () => {
    const tmp = makeTempDir('cea-fault-lock-');
    cleanups.push(tmp.remove);
    const broker = await RestartableMosquitto.create();
    cleanups.push(() => broker.close());
    const fleet = await startFleet([{ id: 'cam-1' }, { id: 'cam-2', flap: { offlineMs: 3500, onlineMs: 2000 } }], { discovery: false });
    cleanups.push(() => fleet.stop());
    const dbFile = join(tmp.dir, 'agent.db');
    const configFile = join(tmp.dir, 'agent.yaml');
    writeAgentConfig(configFile, {
      site: SITE,
      brokerUrl: broker.url,
      database: dbFile,
      storageRoot: join(tmp.dir, 'recordings'),
      cameras: fleet.cameras.map(cameraYaml),
    });
    const { sub, requester } = await connectPlatform(broker.url, SITE, cleanups);
    let holder: LockHolder | null = null;
    cleanups.push(() => holder?.kill());

    const pingOk = async (when: string): Promise<void> => {
      await waitUntil(`ping answered ${when}`, async () => (await requester.request('ping', {}, 2000))?.status === 'ok', 30_000, 100).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${manager.current?.output().slice(-3000)}`);
      });
    };

    // The service manager: starts the agent again a second after it exits non-zero.
    const manager = new ServiceManager(() => spawnAgent(configFile, { cwd: tmp.dir, logLevel: 'info' }));
    const attempts = manager.exits;
    cleanups.push(() => manager.kill());

    // A first run creates the database and raises events.
    manager.start();
    await manager.current!.waitForLine(/agent running/);
    await waitUntil('camera events', () => sub.events.some((e) => e.type === 'camera.offline'), 20_000);
    await manager.stop();
    expect(attempts.at(-1)).toMatchObject({ code: 0 });

    // 1. Locked before the start.
    holder = await holdWriteLock(dbFile);
    const before = attempts.length;
    manager.start();
    await waitUntil('two refused starts', () => attempts.length >= before + 2, 40_000);
    for (const a of attempts.slice(before)) {
      expect(a.code, a.output.slice(-2000)).toBe(1);
      expect(a.output).toContain(`database ${dbFile} is locked by another process`);
    }
    await holder.release();
    holder = null;
    await waitUntil('the agent to start once the lock is gone', () => manager.current!.output().includes('agent running'), 30_000);
    await pingOk('after the lock at start');

    // 2. A short lock while it runs (under the 5 s busy timeout): it waits, it goes on.
    const running = manager.current!;
    const seqBefore = lookIntoDb(dbFile, SITE, { quickCheck: false }).seq;
    holder = await holdWriteLock(dbFile);
    await sleep(3000);
    await holder.release();
    holder = null;
    await waitUntil('an event raised after the short lock', () => lookIntoDb(dbFile, SITE, { quickCheck: false }).seq > seqBefore, 20_000);
    expect(running.running(), running.output().slice(-3000)).toBe(true);
    await pingOk('after the short lock');

    // 3. A long lock while it runs (12 s): waited out, or an exit and a restart that retries.
    const attemptsBefore = attempts.length;
    holder = await holdWriteLock(dbFile);
    await sleep(12_000);
    await holder.release();
    holder = null;
    await pingOk('after the long lock');
    const restarts = attempts.slice(attemptsBefore);
    for (const a of restarts) {
      // A non-zero exit the service manager restarts, never a hang or a signal.
      expect(a.signal, a.output.slice(-2000)).toBeNull();
      expect([1, 70]).toContain(a.code);
      expect(a.output).toMatch(/locked/);
    }
    console.log(`sqlite-locked: long lock while running → ${restarts.length === 0 ? 'waited out' : `${restarts.length} exit(s) (${restarts.map((a) => a.code).join(',')}) and restart`}`);

    // Nothing lost: a clean stop, then every seq the database allocated reached the platform.
    await sleep(2000);
    await manager.stop();
    expect(attempts.at(-1)).toMatchObject({ code: 0 });
    const last = lookIntoDb(dbFile, SITE);
    expect(last.quickCheck).toBe('ok');
    expect(last.outbox).toBe(0);
    await waitUntil(`the subscriber to see seq 1..${last.seq}`, () => new Set(sub.events.map((e) => e.seq)).size >= last.seq, 20_000);
    const stream = checkEventStream(sub.events, sub.payloads);
    expect(stream.distinct).toBe(last.seq);
    expect(sub.events.filter((e) => e.type === 'agent.started').length).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
