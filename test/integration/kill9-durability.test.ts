import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../agent/events/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { seededRandom } from '../../scripts/lib/seeded-random.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { subscribe, waitFor } from '../helpers/broker.js';
import { spawnCea, type CeaProcess } from '../helpers/cli.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { makeTempDir } from '../helpers/tmp.js';

// Crash durability of the event outbox: the built agent (child process) is killed with
// SIGKILL at random moments while flapping cameras make it raise camera.offline/online
// events (and, between runs, a backlog of events is appended to its outbox, as an outage
// would leave it, so that kills also land in the middle of a drain); a platform subscriber stays connected to mosquitto for the whole test.
//
// What is asserted:
//  - after every kill the SQLite file passes `PRAGMA quick_check` (opened read-only);
//  - after a final run has drained, the outbox is empty and every seq the database ever
//    allocated (`sequences` row `event_seq:<site>` = N) reached the subscriber: the seqs,
//    in order of first appearance, are exactly 1..N (no gap, and never a new seq before
//    an older one — the publisher sends in seq order on one connection and mosquitto
//    keeps that order, so this holds across kills too; what a new run re-sends from the
//    outbox is a duplicate and is not a first appearance, so it may interleave freely);
//  - at-least-once only: a seq seen twice is a whole duplicate (same id, same payload), and
//    every id maps to exactly one seq;
//  - within each run, the first appearances attributed to that run are increasing (implied
//    by the global check, kept separately for a clearer failure message).
// No timing assertions.

const SITE = 'site-kill9';
const CYCLES = 6;
/** Events appended (as a previous run would have during an outage) while the agent is down. */
const BACKLOG = 20_000;

/** Appends `n` events to the agent's outbox while it is not running, through its own Outbox. */
function appendBacklog(file: string, n: number, cycle: number): void {
  const { db } = openStore(file, { migrations, now: () => new Date() });
  try {
    const outbox = new Outbox({ db, site: SITE, now: () => new Date(), newId: randomUUID });
    db.transaction(() => {
      for (let i = 0; i < n; i++) outbox.append({ type: 'camera.offline', severity: 'warning', camera: `backlog-${i % 8}`, data: { cycle, i } });
    })();
  } finally {
    db.close();
  }
}

interface EventMsg {
  seq: number;
  id: string;
  type: string;
}

function dbSnapshot(file: string, quickCheck = true): { check: string; outbox: number; seq: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => {
      const check = quickCheck ? (db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map((r) => r.quick_check).join('; ') : '';
      const outbox = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
      const row = db.prepare('SELECT value FROM sequences WHERE name = ?').get(`event_seq:${SITE}`) as { value: number } | undefined;
      return { check, outbox, seq: row?.value ?? 0 };
    })();
  } finally {
    db.close();
  }
}

describe('event outbox survives kill -9 (child process, mosquitto)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`delivers every event in seq order across ${CYCLES} SIGKILLs, keeps SQLite consistent, drains the outbox`, async () => {
    const seed = process.env.KILL9_SEED ? Number(process.env.KILL9_SEED) : Date.now() % 2 ** 31;
    console.log(`kill9-durability seed: ${seed} (replay with KILL9_SEED=${seed})`);
    const rand = seededRandom(seed); // replayed with KILL9_SEED

    const tmp = makeTempDir('cea-kill9-');
    cleanups.push(tmp.remove);
    // A lagging QoS 1 subscriber would otherwise lose messages past the default queue limit.
    const broker = await startMosquitto({ extraConfig: ['max_queued_messages 0'] });
    cleanups.push(() => broker.stop());
    const sub = await subscribe(broker.url, `psv/v1/${SITE}/event`);
    cleanups.push(() => sub.client.endAsync(true));

    // Offline needs 3 missed probes at 1 s: flaps long enough to be seen both ways.
    const fleet: Fleet = await startFleet(
      [
        { id: 'cam-1' },
        { id: 'cam-2' },
        { id: 'cam-3', flap: { offlineMs: 3500, onlineMs: 1500 } },
        { id: 'cam-4', flap: { offlineMs: 3500, onlineMs: 2000 } },
        { id: 'cam-5', flap: { offlineMs: 4000, onlineMs: 1500 } },
        { id: 'cam-6', flap: { offlineMs: 4500, onlineMs: 2500 } },
      ],
      { discovery: false },
    );
    cleanups.push(() => fleet.stop());

    const dbFile = join(tmp.dir, 'agent.db');
    const config = join(tmp.dir, 'agent.yaml');
    writeFileSync(
      config,
      [
        `site: { id: ${SITE}, name: Kill9 test site, timezone: Asia/Shanghai }`,
        'profile: liaoning-2008',
        `mqtt: { url: "${broker.url}", keepaliveSeconds: 2, protocolVersion: 4 }`,
        'security: { requireSignedCommands: false, platformKeys: [] }',
        `database: ${dbFile}`,
        `storage: { root: ${join(tmp.dir, 'recordings')} }`,
        'live: { listen: "127.0.0.1:0" }',
        'console: { listen: "127.0.0.1:0" }',
        'discovery: { enabled: false }',
        'monitor: { intervalSeconds: 1 }',
        'cameras:',
        ...fleet.cameras.flatMap((c) => [
          `  - id: ${c.id}`,
          `    name: ${c.id}`,
          `    onvif: { url: "${c.deviceServiceUrl}", username: "${c.username}", password: "${c.password}" }`,
          `    location: { kind: street, description: ${c.id} }`,
          '    record: false',
        ]),
        '',
      ].join('\n'),
    );

    let agent: CeaProcess | null = null;
    cleanups.push(() => agent?.kill());
    const runStart: number[] = []; // index into sub.messages where each run began

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      runStart.push(sub.messages.length);
      agent = spawnCea(['run', '--config', config], { cwd: tmp.dir });
      const runMs = 1000 + Math.floor(rand() * 3000);
      await new Promise((r) => setTimeout(r, runMs));
      const exitedEarly = agent.child.exitCode !== null;
      agent.child.kill('SIGKILL');
      const exit = await agent.exited;
      if (exitedEarly) throw new Error(`agent exited on its own (${JSON.stringify(exit)}):\n${agent.stderr()}`);
      expect(exit.signal).toBe('SIGKILL');
      const snap = dbSnapshot(dbFile);
      console.log(`cycle ${cycle + 1}: ran ${runMs} ms, seq ${snap.seq}, outbox ${snap.outbox}, received ${sub.messages.length}`);
      expect(snap.check, `quick_check after kill ${cycle + 1}`).toBe('ok');
      // So that kills also land while the publisher is draining a backlog.
      appendBacklog(dbFile, BACKLOG, cycle + 1);
    }

    // A final run drains what the kills left behind.
    runStart.push(sub.messages.length);
    agent = spawnCea(['run', '--config', config], { cwd: tmp.dir });
    let drained = { check: '', outbox: -1, seq: 0 };
    // Generous bounds: a correctness test on a shared machine, not a drain benchmark.
    await waitFor(
      'the outbox to drain',
      () => {
        drained = dbSnapshot(dbFile, false);
        return drained.outbox === 0 && drained.seq > 0;
      },
      150_000,
    );
    const N = drained.seq;
    const events: EventMsg[] = [];
    const seqsSeen = new Set<number>();
    const parseNew = (): void => {
      for (let i = events.length; i < sub.messages.length; i++) {
        const e = JSON.parse(sub.messages[i]!.payload) as EventMsg;
        events.push(e);
        seqsSeen.add(e.seq);
      }
    };
    // An empty outbox means mosquitto acknowledged 1..N; the subscriber gets them shortly after.
    await waitFor(
      `the subscriber to see seq 1..${N}`,
      () => {
        parseNew();
        for (let s = 1; s <= N; s++) if (!seqsSeen.has(s)) return false;
        return true;
      },
      60_000,
    );

    agent.child.kill('SIGKILL');
    await agent.exited;
    const last = dbSnapshot(dbFile);
    expect(last.check).toBe('ok');
    parseNew();
    const payloadBySeq = new Map<number, string>();
    const seqById = new Map<string, number>();
    events.forEach((e, i) => {
      const payload = sub.messages[i]!.payload;
      const prev = payloadBySeq.get(e.seq);
      if (prev === undefined) payloadBySeq.set(e.seq, payload);
      else expect(payload, `duplicate of seq ${e.seq} is a whole duplicate`).toBe(prev);
      const s = seqById.get(e.id);
      if (s === undefined) seqById.set(e.id, e.seq);
      else expect(s, `id ${e.id} maps to one seq`).toBe(e.seq);
    });
    expect(seqById.size).toBe(payloadBySeq.size);

    const firstSeen = [...new Set(events.map((e) => e.seq))];
    // Every seq the database allocated before the drain was delivered, in seq order, no gap.
    expect(firstSeen.slice(0, N)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    // Whatever came after (events raised during the last moments) continues the range.
    expect(firstSeen).toEqual(Array.from({ length: firstSeen.length }, (_, i) => i + 1));
    expect(firstSeen.length).toBeLessThanOrEqual(last.seq);

    // Per run: the seqs first seen during that run are increasing.
    const seen = new Set<number>();
    for (let r = 0; r < runStart.length; r++) {
      const slice = events.slice(runStart[r], runStart[r + 1] ?? events.length);
      const fresh = slice.map((e) => e.seq).filter((s) => !seen.has(s) && (seen.add(s), true));
      expect(fresh, `first appearances in run ${r + 1}`).toEqual([...fresh].sort((a, b) => a - b));
    }

    const dups = events.length - firstSeen.length;
    console.log(`kill9-durability: N=${N} (final seq ${last.seq}), ${events.length} messages, ${dups} duplicates, types ${[...new Set(events.map((e) => e.type))].join(',')}`);
    expect(N).toBeGreaterThan(CYCLES); // the agent really produced a stream of events
  }, 300_000);
});
