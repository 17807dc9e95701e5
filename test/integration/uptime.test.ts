import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CameraConfig } from '../../agent/config/types.js';
import { EventBus, EventRecorder, Outbox, type AgentEvent } from '../../agent/events/index.js';
import { InventoryService } from '../../agent/inventory/service.js';
import { windowTotals } from '../../agent/uptime/policy.js';
import { UptimeService } from '../../agent/uptime/service.js';
import { UptimeStore } from '../../agent/uptime/store.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { OnvifClient } from '../../drivers/onvif/index.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { waitFor } from '../helpers/broker.js';
import { makeTempDir } from '../helpers/tmp.js';

// The uptime ledger against simulated cameras speaking real SOAP on 127.0.0.1, a real
// SQLite file and the real outbox: probes every 200 ms, so three missed probes take
// about 600 ms.

const INTERVAL_MS = 200;
const DAY = 24 * 3_600_000;

interface Cam {
  id: string;
  client: OnvifClient;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('uptime ledger', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fleetOf(ids: string[]): Promise<{ fleet: Fleet; cams: Cam[] }> {
    const fleet = await startFleet(ids.map((id) => ({ id })), { discovery: false });
    cleanups.push(() => fleet.stop());
    const cams = ids.map((id) => ({ id, client: new OnvifClient({ url: fleet.camera(id).deviceServiceUrl, timeoutMs: 500 }) }));
    return { fleet, cams };
  }

  function openDb(file: string) {
    const { db } = openStore(file, { migrations, now: () => new Date() });
    const bus = new EventBus(silentLogger());
    const outbox = new Outbox({ db, site: 'site-up', now: () => new Date(), newId: randomUUID });
    const recorder = new EventRecorder(db, outbox, bus);
    const events: AgentEvent[] = [];
    bus.on('event', (e) => events.push(e));
    const reach: { camera: string; online: boolean }[] = [];
    bus.on('camera.reachability', (r) => reach.push({ camera: r.camera, online: r.online }));
    return { db, bus, recorder, events, reach };
  }

  function uptime(env: ReturnType<typeof openDb>, cams: Cam[]) {
    const service = new UptimeService<Cam>({
      db: env.db,
      recorder: env.recorder,
      bus: env.bus,
      logger: silentLogger(),
      now: () => new Date(),
      cameras: cams,
      probe: (c) => c.client.getSystemDateAndTime(),
      intervalMs: INTERVAL_MS,
      missedProbesForOffline: 3,
      skewLimitMs: 5000,
      concurrency: 16,
    });
    service.start();
    cleanups.push(() => service.stop());
    return service;
  }

  function ledger(db: Database, camera: string) {
    return db
      .prepare<[string], { state: string; start_ms: number; end_ms: number | null; reason: string | null }>(
        'SELECT state, start_ms, end_ms, reason FROM uptime_intervals WHERE camera_id = ? ORDER BY start_ms, id',
      )
      .all(camera);
  }

  it('raises one camera.offline after 3 missed probes, one camera.online on return, and one clock.skew', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const { fleet, cams } = await fleetOf(['gate', 'yard']);
    const env = openDb(`${tmp.dir}/agent.db`);
    cleanups.push(() => void env.db.close());
    const service = uptime(env, cams);
    const of = (type: string, camera = 'gate') => env.events.filter((e) => e.type === type && e.camera === camera);

    await waitFor('both online', () => service.current('gate')?.online === true && service.current('yard')?.online === true, 5000);
    expect(env.events).toEqual([]); // first contact is no news
    expect(Math.abs(service.current('gate')!.clockSkewMs!)).toBeLessThan(1500);

    const offAt = Date.now();
    await fleet.camera('gate').setFailure('offline', true);
    await waitFor('camera.offline', () => of('camera.offline').length > 0, 5000);
    const tookMs = Date.now() - offAt;
    expect(tookMs).toBeGreaterThanOrEqual(2 * INTERVAL_MS); // not before the third miss
    await sleep(4 * INTERVAL_MS); // more misses: still one event
    expect(of('camera.offline')).toHaveLength(1);
    const offline = of('camera.offline')[0]!;
    expect(offline.severity).toBe('warning');
    expect(offline.data).toMatchObject({ missedProbes: 3 });
    expect(typeof offline.data.lastError).toBe('string');
    const since = Date.parse(offline.data.since as string);
    expect(since).toBeGreaterThanOrEqual(offAt);
    expect(service.current('gate')).toMatchObject({ state: 'offline', online: false, since: offline.data.since });

    await fleet.camera('gate').setFailure('offline', false);
    await waitFor('camera.online', () => of('camera.online').length > 0, 5000);
    await sleep(3 * INTERVAL_MS);
    expect(of('camera.online')).toHaveLength(1);
    const online = of('camera.online')[0]!;
    expect(online.severity).toBe('info');
    expect(online.data.offlineSince).toBe(offline.data.since);
    expect(online.data.downtimeMs).toBeGreaterThan(4 * INTERVAL_MS);

    await fleet.camera('gate').setFailure('clock_skew', true, { skewMs: 60_000 });
    await waitFor('clock.skew', () => of('clock.skew').length > 0, 5000);
    await sleep(3 * INTERVAL_MS);
    expect(of('clock.skew')).toHaveLength(1);
    expect(of('clock.skew')[0]!.data.limitMs).toBe(5000);
    expect(Math.abs((of('clock.skew')[0]!.data.skewMs as number) - 60_000)).toBeLessThan(1500);
    expect(service.current('gate')).toMatchObject({ clockSkewAlarm: true, online: true });
    await fleet.camera('gate').setFailure('clock_skew', false);
    await waitFor('clock.skew_cleared', () => of('clock.skew_cleared').length > 0, 5000);
    await sleep(2 * INTERVAL_MS);
    expect(of('clock.skew_cleared')).toHaveLength(1);
    expect(of('clock.skew')).toHaveLength(1);

    // yard never changed: no events, one online interval.
    expect(env.events.filter((e) => e.camera === 'yard')).toEqual([]);
    expect(ledger(env.db, 'yard').map((r) => r.state)).toEqual(['unknown', 'online']);
    // gate's ledger: the outage begins at the first missed probe, and every event is in the outbox.
    const rows = ledger(env.db, 'gate');
    expect(rows.map((r) => r.state)).toEqual(['unknown', 'online', 'offline', 'online']);
    expect(rows[2]!.start_ms).toBe(since);
    expect(rows[1]!.end_ms).toBe(since);
    expect(rows[3]!.end_ms).toBeNull();
    const outboxTypes = env.db.prepare("SELECT type FROM outbox WHERE camera = 'gate' ORDER BY seq").pluck().all();
    expect(outboxTypes).toEqual(['camera.offline', 'camera.online', 'clock.skew', 'clock.skew_cleared']);
    expect(env.reach.filter((r) => r.camera === 'gate').map((r) => r.online)).toEqual([true, false, true]);

    const a = service.availability('gate');
    expect(a.h24).toBeGreaterThan(0);
    expect(a.h24 + a.unknown.h24).toBeLessThan(1); // the outage is neither up nor unknown
    expect(a.unknown.d30).toBeGreaterThan(0.99); // the ledger is seconds old: the rest of the month is unknown
  });

  it('records the time the agent was down as unknown (a crash and a clean stop), and availability reflects it', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const { cams } = await fleetOf(['gate']);
    const file = `${tmp.dir}/agent.db`;
    const t0 = Date.now();

    // Run 1, ended by a crash: the database closes under the running service (kill -9).
    const env1 = openDb(file);
    const run1 = uptime(env1, cams);
    await waitFor('online in run 1', () => run1.current('gate')?.online === true, 5000);
    await sleep(3 * INTERVAL_MS); // a few rounds: heartbeats
    const crashAt = Date.now();
    env1.db.close();
    run1.stop(); // its timers only; nothing more reaches the closed database

    await sleep(1000);

    // Run 2: what was open is closed at the last heartbeat; from there on unknown.
    const env2 = openDb(file);
    const run2 = uptime(env2, cams);
    await waitFor('online in run 2', () => run2.current('gate')?.online === true, 5000);
    let rows = ledger(env2.db, 'gate');
    expect(rows.map((r) => r.state)).toEqual(['unknown', 'online', 'unknown', 'online']);
    const heartbeatEnd = rows[1]!.end_ms!;
    expect(heartbeatEnd).toBeLessThanOrEqual(crashAt);
    expect(heartbeatEnd).toBeGreaterThan(crashAt - 3 * INTERVAL_MS);
    expect(rows[2]).toMatchObject({ start_ms: heartbeatEnd, reason: 'agent_down' });
    expect(rows[2]!.end_ms! - rows[2]!.start_ms).toBeGreaterThanOrEqual(1000);
    expect(env2.events).toEqual([]); // online before, online after: no news

    // Run 2 stops cleanly: the books are closed at once, and the next run goes on from there.
    await sleep(2 * INTERVAL_MS);
    const stopAt = Date.now();
    run2.stop();
    rows = ledger(env2.db, 'gate');
    expect(rows.at(-1)).toMatchObject({ state: 'unknown', end_ms: null, reason: 'agent_stopped' });
    expect(rows.at(-1)!.start_ms).toBeGreaterThanOrEqual(stopAt);
    await sleep(700);
    const run3 = uptime(env2, cams);
    await waitFor('online in run 3', () => run3.current('gate')?.online === true, 5000);
    rows = ledger(env2.db, 'gate');
    expect(rows.map((r) => r.state)).toEqual(['unknown', 'online', 'unknown', 'online', 'unknown', 'online']);

    const now = Date.now();
    const a = run3.availability('gate', now);
    const onlineMs = a.h24 * DAY;
    const unknownMs = a.unknown.h24 * DAY;
    // Up only while an agent was running and the camera answered: never the two pauses.
    expect(onlineMs).toBeGreaterThan(0);
    expect(onlineMs).toBeLessThanOrEqual(now - t0 - 1000 - 700 + 1);
    expect(unknownMs).toBeGreaterThanOrEqual(DAY - (now - t0) + 1000 + 700 - 1);
    expect(onlineMs + unknownMs).toBeCloseTo(DAY, 3); // nothing offline
    // The same figures straight from the ledger.
    const totals = windowTotals(new UptimeStore(env2.db).intervals('gate', now - DAY, now), now - DAY, now);
    expect(totals.onlineMs).toBeCloseTo(onlineMs, 3);
    run3.stop();
    env2.db.close();
  });

  it('takes interrogation results from the inventory as evidence (InventoryService onReachability)', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const { fleet, cams } = await fleetOf(['gate']);
    const env = openDb(`${tmp.dir}/agent.db`);
    cleanups.push(() => void env.db.close());
    // Probes that never answer: only the interrogation can bring the camera online.
    const service = new UptimeService<Cam>({
      db: env.db,
      recorder: env.recorder,
      bus: env.bus,
      logger: silentLogger(),
      now: () => new Date(),
      cameras: cams,
      probe: () => new Promise(() => {}),
      intervalMs: 60_000,
      missedProbesForOffline: 3,
      skewLimitMs: 5000,
      concurrency: 4,
    });
    service.start();
    cleanups.push(() => service.stop());
    const cam = fleet.camera('gate');
    const config: CameraConfig = {
      id: 'gate',
      name: 'gate',
      onvif: { url: cam.deviceServiceUrl, username: cam.username, password: cam.password },
      location: { kind: 'street', description: 'gate' },
      record: false,
      prohibited: false,
    };
    const inventory = new InventoryService({
      db: env.db,
      recorder: env.recorder,
      bus: env.bus,
      logger: silentLogger(),
      now: () => new Date(),
      cameras: [config],
      interrogator: (c) => new OnvifClient({ url: c.onvif.url, username: c.onvif.username!, password: c.onvif.password!, timeoutMs: 1000 }),
      discovery: null,
      intervals: { inventoryMs: 60_000, retryMs: 60_000 },
      offlineAfter: 3,
      concurrency: 2,
      tickMs: 50,
      onReachability: (id, ok, at) => service.observe(id, ok, at, { source: 'interrogation' }),
    });
    await inventory.start();
    cleanups.push(() => inventory.stop());
    await waitFor('online from the interrogation', () => service.current('gate')?.online === true, 5000);
    expect(ledger(env.db, 'gate').at(-1)).toMatchObject({ state: 'online', reason: 'interrogation' });
    expect(env.events.filter((e) => e.type.startsWith('camera.o'))).toEqual([]);
  });
});
