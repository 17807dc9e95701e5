// Perf at 256 cameras: each clarity result used to commit on its own (synchronous = FULL: an
// fsync each, a sixth of the main thread). Results finished close together are now stored
// in one transaction. Commits are counted in the real write-ahead log (a commit frame per
// transaction), events are read back from the real outbox, pictures are real JPEGs scored
// by the real image worker pool.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FrameAnalysis } from '../../agent/clarity/metrics.js';
import { ClarityService, type ClarityServiceDeps, type FrameAnalyser } from '../../agent/clarity/service.js';
import type { CameraConfig } from '../../agent/config/types.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import { ImageWorkerPool } from '../../drivers/image/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { testAgentConfig } from '../helpers/agent-config.js';
import { waitFor } from '../helpers/broker.js';
import { makeTempDir } from '../helpers/tmp.js';

const OK = readFileSync(new URL('../fixtures/clarity/sidewalk__ok.jpg', import.meta.url));
const NO_SIGNAL = readFileSync(new URL('../fixtures/clarity/nosignal_blue__signal_loss_strong.jpg', import.meta.url));
/** Not a picture at all: a decode_error sample. */
const BROKEN = new TextEncoder().encode('not a picture');
const HOUR = 3_600_000;

/**
 * Transactions committed since the log was last emptied: frames whose "database size after
 * commit" field is set, of the log's current generation (its salts). The WAL file format:
 * 32-byte header (page size at 8, salts at 16 and 20), then frames of a 24-byte header
 * (commit size at 4, salts at 8 and 12) and one page.
 */
function walCommits(dbFile: string): number {
  let wal: Buffer;
  try {
    wal = readFileSync(`${dbFile}-wal`);
  } catch {
    return 0;
  }
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salts = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize) {
    if (wal.readUInt32BE(off + 8) !== salts[0] || wal.readUInt32BE(off + 12) !== salts[1]) break;
    if (wal.readUInt32BE(off + 4) !== 0) commits += 1;
  }
  return commits;
}

describe('clarity results are stored in batches', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function setup(cameraCount: number) {
    const tmp = makeTempDir('cea-clarity-batch-');
    cleanups.push(tmp.remove);
    const ids = Array.from({ length: cameraCount }, (_, i) => `cam-${String(i).padStart(2, '0')}`);
    const config = testAgentConfig(tmp.dir, 'mqtt://127.0.0.1:1', 'site-batch', {
      cameras: ids.map((id) => ({ id, name: id, onvif: { url: 'http://127.0.0.1:9/onvif/device_service' }, location: { kind: 'street', description: id } })),
    });
    const { db } = openStore(config.database, { migrations, now: () => new Date() });
    cleanups.push(() => void db.close());
    // Nothing may move the log into the database during a test: every commit stays countable.
    db.pragma('wal_autocheckpoint = 0');
    const outbox = new Outbox({ db, site: 'site-batch', now: () => new Date(), newId: () => crypto.randomUUID() });
    const recorder = new EventRecorder(db, outbox, new EventBus(silentLogger()));
    const pool = new ImageWorkerPool<FrameAnalysis>({ analyser: new URL('../../agent/clarity/metrics.ts', import.meta.url), size: 2 });
    cleanups.push(() => pool.close());
    /** Empties the log: commits are counted from here. */
    const resetWal = () => db.pragma('wal_checkpoint(TRUNCATE)');
    return { db, recorder, pool, cameras: config.cameras, dbFile: config.database, resetWal };
  }

  function service(
    s: { db: Database; recorder: EventRecorder; pool: FrameAnalyser; cameras: CameraConfig[] },
    over: Partial<ClarityServiceDeps> & Pick<ClarityServiceDeps, 'snapshot'>,
  ): ClarityService {
    const svc = new ClarityService({
      db: s.db,
      recorder: s.recorder,
      logger: silentLogger(),
      now: () => new Date(),
      cameras: s.cameras,
      intervalMs: HOUR,
      analyser: s.pool,
      // A blue "no video" screen is a fault at once; a clear picture clears it at once.
      policy: { baselineSamples: 2, raiseAfter: 1, clearAfter: 1, frozenSamples: 1000 },
      ...over,
    });
    cleanups.push(() => svc.stop());
    return svc;
  }

  const stateRows = (db: Database) => db.prepare('SELECT count(*) FROM clarity_state').pluck().get() as number;
  const sampleCount = (db: Database) => db.prepare('SELECT coalesce(sum(n), 0) FROM clarity_samples').pluck().get() as number;

  it('stores the results of a round in one transaction, and every flushMax results when more finish', async () => {
    const s = setup(12);
    const svc = service(s, { snapshot: async () => OK, flushMs: 10 * 60_000 });
    s.resetWal();
    expect(walCommits(s.dbFile)).toBe(0);
    await svc.round();
    expect(stateRows(s.db)).toBe(12);
    expect(sampleCount(s.db)).toBe(12);
    // One result per commit would have made 12.
    expect(walCommits(s.dbFile)).toBe(1);

    const capped = service(s, { snapshot: async () => OK, flushMs: 10 * 60_000, flushMax: 5 });
    s.resetWal();
    await capped.round();
    expect(sampleCount(s.db)).toBe(24);
    // 5 + 5 when the batch is full, the last 2 when the round ends.
    expect(walCommits(s.dbFile)).toBe(3);
  }, 60_000);

  it('keeps each camera’s events in order when one batch holds several results of the same camera', async () => {
    const s = setup(4);
    // Per camera: clear, clear (baseline), no signal, clear, not a picture, clear, then clear pictures.
    const script = [OK, OK, NO_SIGNAL, OK, BROKEN, OK];
    const taken = new Map<string, number>();
    const svc = service(s, {
      // Sampled back to back; nothing is stored until stop(), so one batch holds all of it.
      intervalMs: 1,
      flushMs: 10 * 60_000,
      flushMax: 10_000,
      snapshot: async (camera) => {
        const n = taken.get(camera.id) ?? 0;
        taken.set(camera.id, n + 1);
        return script[n] ?? OK;
      },
    });
    s.resetWal();
    svc.start();
    await waitFor('every camera past its script', () => s.cameras.every((c) => (taken.get(c.id) ?? 0) > script.length + 1), 60_000);
    expect(walCommits(s.dbFile)).toBe(0); // held back: not stored one by one
    svc.stop();
    expect(walCommits(s.dbFile)).toBe(1);

    const rows = s.db.prepare('SELECT camera, type, data FROM outbox ORDER BY seq').all() as { camera: string; type: string; data: string }[];
    for (const c of s.cameras) {
      const mine = rows.filter((r) => r.camera === c.id).map((r) => ({ type: r.type, faults: (JSON.parse(r.data) as { faults: string[] }).faults }));
      expect(mine).toEqual([
        { type: 'clarity.fault', faults: expect.arrayContaining(['signal_loss']) },
        { type: 'clarity.cleared', faults: expect.arrayContaining(['signal_loss']) },
        { type: 'clarity.fault', faults: ['decode_error'] },
        { type: 'clarity.cleared', faults: ['decode_error'] },
      ]);
    }
    const state = s.db.prepare('SELECT verdict FROM clarity_state').pluck().all() as string[];
    expect(state).toEqual(['ok', 'ok', 'ok', 'ok']);
  }, 90_000);

  it('stop() stores the results still waiting for their batch', async () => {
    const s = setup(6);
    let scored = 0;
    // The real pool, counted: tells the test when every picture has been scored.
    const counted: FrameAnalyser = {
      analyse: async (bytes) => {
        const r = await s.pool.analyse(bytes);
        scored += 1;
        return r;
      },
    };
    const svc = service({ ...s, pool: counted }, { snapshot: async () => OK, flushMs: 10 * 60_000 });
    svc.start();
    await waitFor('every camera scored once', () => scored === 6, 60_000);
    await new Promise((r) => setImmediate(r)); // the monitor takes its result after the analyser's promise
    expect(stateRows(s.db)).toBe(0); // waiting for the batch (10 min)
    svc.stop();
    expect(stateRows(s.db)).toBe(6);
    expect(sampleCount(s.db)).toBe(6);
  }, 60_000);
});
