// Seeds an agent's database and storage root before its first start, through the agent's
// own stores: continuous recordings of one camera going back weeks (so retention has old
// segments to delete and a timeline to judge ages on), holds, the camera's stream URI in
// the inventory (so the agent records from the test's RTSP source), and event backlogs.
import { randomUUID } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Outbox } from '../../../agent/events/index.js';
import type { InventoryRecord } from '../../../agent/inventory/policy.js';
import { InventoryStore } from '../../../agent/inventory/store.js';
import { segmentPath } from '../../../agent/recording/layout.js';
import { SegmentStore } from '../../../agent/recording/segment-store.js';
import { HoldStore, type Hold } from '../../../agent/retention/holds.js';
import { migrations, openStore, type Database } from '../../../drivers/store/index.js';

export const TZ = 'Asia/Shanghai';
export const DAY = 86_400_000;

export interface SeededSegment {
  id: number;
  path: string;
  startMs: number;
  endMs: number;
}

export function withDb<T>(file: string, fn: (db: Database) => T): T {
  const { db } = openStore(file, { migrations, now: () => new Date() });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * Segments of `cameraId` every `segMs` from `fromMs` up to `toMs`, each a small file with
 * mtime = end, indexed as the recorder indexes them live (indexedMs just after the end,
 * sha256 unknown: the sweeper hashes before it deletes).
 */
export function seedRecordings(db: Database, root: string, cameraId: string, fromMs: number, toMs: number, segMs: number, bytes: number): SeededSegment[] {
  const store = new SegmentStore(db);
  const out: SeededSegment[] = [];
  db.transaction(() => {
    for (let t = fromMs; t + segMs <= toMs; t += segMs) {
      const path = segmentPath(cameraId, t, TZ);
      const abs = join(root, path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, Buffer.alloc(bytes, `${cameraId}:${t}:`));
      utimesSync(abs, (t + segMs) / 1000, (t + segMs) / 1000);
      const id = store.upsert({ cameraId, path, startMs: t, endMs: t + segMs, bytes, sha256: null }, t + segMs + 1500);
      out.push({ id, path, startMs: t, endMs: t + segMs });
    }
  })();
  return out;
}

export function addHold(db: Database, h: { cameraId: string; fromMs: number; toMs: number; kind: 'vital' | 'legal' }, nowMs: number): Hold {
  return new HoldStore(db).add({ ...h, reason: `fault test ${h.kind} hold`, createdBy: 'fault-test' }, nowMs, 365);
}

export function releaseHold(db: Database, id: string, nowMs: number): void {
  new HoldStore(db).release(id, 'fault-test', 'case closed', nowMs);
}

/** What the inventory would hold after interrogating a camera whose main stream is `streamUri`. */
export function seedStreamUri(db: Database, cameraId: string, streamUri: string): void {
  const record: InventoryRecord = {
    identity: { manufacturer: 'Sim', model: 'RTSP', firmware: '1.0', serial: cameraId, hardwareId: cameraId },
    hostname: null,
    network: [],
    scopes: [],
    profiles: [
      {
        token: 'main',
        name: 'main',
        videoSourceToken: null,
        encoder: { encoding: 'H264', width: 320, height: 240, fps: 10, bitrate: null, gop: 10, quality: null, profile: null },
        streamUri,
        snapshotUri: null,
      },
    ],
    imaging: {},
  };
  new InventoryStore(db).addSnapshot(cameraId, new Date().toISOString(), `seed-${cameraId}`, record);
}

/** Appends `n` events to the outbox, as a run during a broker outage would have left them. */
export function appendBacklog(db: Database, site: string, n: number, tag: number): void {
  const outbox = new Outbox({ db, site, now: () => new Date(), newId: randomUUID });
  db.transaction(() => {
    for (let i = 0; i < n; i++) outbox.append({ type: 'camera.offline', severity: 'warning', camera: `backlog-${i % 8}`, data: { tag, i } });
  })();
}
