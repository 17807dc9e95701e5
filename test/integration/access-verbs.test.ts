import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryAccessRegister, type AccessEntryJson } from '../../agent/access/register.js';
import { resolveConfigObject } from '../../agent/config/index.js';
import type { AgentConfig } from '../../agent/config/types.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import { VerbError, type VerbHandler } from '../../agent/linkage/requests/verb.js';
import { accessVerbs, pathUnder, type ManifestEntry } from '../../agent/linkage/verbs/access.js';
import { segmentPath } from '../../agent/recording/layout.js';
import { SegmentStore } from '../../agent/recording/segment-store.js';
import { HoldStore, type HoldJson } from '../../agent/retention/holds.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { OnvifClient } from '../../drivers/onvif/index.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { main } from '../../scripts/cea.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { captureIo } from '../helpers/capture-io.js';
import { makeTempDir } from '../helpers/tmp.js';

// The access verbs called as the router calls them (args through their zod schema, then
// run) against a real SQLite file, a real segment tree indexed by SegmentStore and
// simulated ONVIF cameras. Every access is in the register before it happens, refusals
// included; exports copy, hash and never move; `cea register verify` sees tampering.

const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
const NOW = Date.parse('2026-05-10T02:00:00Z');
const SEG = HOUR;
const DOCS = { approvalDoc: 'APPROVAL-2026-17', lawEnforcementDoc: 'PSB-NOTICE-2026-0042', purpose: 'theft case 2026-311' };

interface Site {
  dir: string;
  root: string;
  exportsRoot: string;
  configFile: string;
  config: AgentConfig;
  db: Database;
  fleet: Fleet;
  handlers: Map<string, VerbHandler>;
  reports: Map<string, Record<string, unknown>>;
  fetchesSawRegisterRows: number[];
}

let site: Site;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  const { dir, remove } = makeTempDir('cea-access-');
  cleanups.push(remove);
  const fleet = await startFleet([{ id: 'gate' }, { id: 'yard' }], { discovery: false });
  cleanups.unshift(() => fleet.stop());
  const root = join(dir, 'recordings');
  mkdirSync(root, { recursive: true });
  const cam = (id: string, kind = 'street') => ({ id, onvif: { url: fleet.camera(id === 'wc' ? 'gate' : id).deviceServiceUrl }, location: { kind, description: id } });
  const raw = {
    site: { id: 'site-acc', timezone: TZ },
    profile: 'liaoning-2008',
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    database: 'agent.db',
    storage: { root: 'recordings' },
    cameras: [cam('gate'), cam('yard'), cam('wc', 'toilet')],
  };
  const configFile = join(dir, 'agent.yaml');
  writeFileSync(configFile, JSON.stringify(raw, null, 2));
  const loaded = resolveConfigObject(raw, configFile, { env: {}, cwd: dir });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const config = loaded.config;
  const { db } = openStore(config.database, { migrations, now: () => new Date(NOW) });
  cleanups.unshift(() => {
    db.close();
  });
  const recorder = new EventRecorder(db, new Outbox({ db, site: 'site-acc', now: () => new Date(NOW), newId: randomUUID }), new EventBus(silentLogger()));
  const reports = new Map<string, Record<string, unknown>>([['rep-1', { id: 'rep-1', number: 1, state: 'reported', deadline: '2026-05-13' }]]);
  const fetchesSawRegisterRows: number[] = [];
  const exportsRoot = join(dir, 'exports');
  const handlers = accessVerbs({
    db,
    recorder,
    cameras: config.cameras,
    segments: new SegmentStore(db),
    holds: new HoldStore(db),
    exportsRoot,
    storageRoot: config.storage.root,
    snapshot: async (camera) => {
      fetchesSawRegisterRows.push(queryAccessRegister(db).length);
      const sim = fleet.camera(camera.id);
      const client = new OnvifClient({ url: sim.deviceServiceUrl, username: sim.username, password: sim.password, timeoutMs: 3000 });
      return (await client.fetchSnapshot(sim.snapshotUrl)).body;
    },
    // What main wires: ChangeService.acknowledge, then the public shape.
    acknowledgeReport: (id, receiptNo) => {
      const r = reports.get(id);
      if (!r) return null;
      const acked = { ...r, state: 'acknowledged', receiptNo };
      reports.set(id, acked);
      return acked;
    },
    now: () => new Date(NOW),
    vitalHoldDays: config.profile.retention.vitalHoldDays,
    logger: silentLogger(),
  });
  site = { dir, root, exportsRoot, configFile, config, db, fleet, handlers: new Map(handlers.map((h) => [h.verb, h])), reports, fetchesSawRegisterRows };
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** As the router does: args through the schema (a failure is bad_request there), then run. */
async function call(verb: string, args: unknown, keyId: string | null = 'platform-key-1'): Promise<Record<string, unknown>> {
  const h = site.handlers.get(verb);
  if (!h) throw new Error(`no handler ${verb}`);
  const parsed = h.args.safeParse(args);
  if (!parsed.success) throw new VerbError('bad_request', parsed.error.message);
  return (await h.run(parsed.data, { verb, id: randomUUID(), keyId, receivedAt: new Date(NOW) })) as Record<string, unknown>;
}

async function fails(p: Promise<unknown>, code: string): Promise<VerbError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VerbError);
  expect((err as VerbError).code).toBe(code);
  return err as VerbError;
}

function writeSegment(cameraId: string, startMs: number, bytes = 4096): { path: string; sha256: string } {
  const path = segmentPath(cameraId, startMs, TZ);
  const abs = join(site.root, path);
  mkdirSync(dirname(abs), { recursive: true });
  const content = Buffer.alloc(bytes, `${cameraId}:${startMs}:`);
  writeFileSync(abs, content);
  const sha256 = createHash('sha256').update(content).digest('hex');
  new SegmentStore(site.db).upsert({ cameraId, path, startMs, endMs: startMs + SEG, bytes, sha256 }, startMs + SEG + 1000);
  return { path, sha256 };
}

const registerRows = () => queryAccessRegister(site.db);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const T = (ms: number) => new Date(ms).toISOString();

function tamper(sql: string): void {
  const raw = new BetterSqlite3(site.config.database);
  raw.exec('DROP TRIGGER IF EXISTS access_register_no_delete; DROP TRIGGER IF EXISTS access_register_no_update;');
  raw.exec(sql);
  raw.close();
}

describe('snapshot', () => {
  it('answers a JPEG, registered (and announced) before the fetch', async () => {
    const res = await call('snapshot', { camera: 'gate', requester: { staff: ['police-7'], purpose: 'patrol check' } });
    expect(res).toMatchObject({ ts: T(NOW), contentType: 'image/jpeg' });
    const jpeg = Buffer.from(res.base64 as string, 'base64');
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(site.fetchesSawRegisterRows).toEqual([1]);
    const [row] = registerRows();
    expect(row).toMatchObject({ seq: 1, verb: 'snapshot', cameras: ['gate'], requester: 'platform-key-1', staff: ['police-7'], purpose: 'patrol check', result: 'granted' });
    const ev = site.db.prepare<[], { camera: string; data: string }>("SELECT camera, data FROM outbox WHERE type = 'access.granted'").all();
    expect(ev).toHaveLength(1);
    expect(ev[0]?.camera).toBe('gate');
    expect(JSON.parse(ev[0]?.data ?? '{}')).toMatchObject({ seq: 1, id: row?.id, verb: 'snapshot', cameras: ['gate'], requester: 'platform-key-1' });
  });

  it('a fetch that fails still has its register row', async () => {
    await site.fleet.camera('yard').setFailure('offline', true);
    await fails(call('snapshot', { camera: 'yard', requester: { staff: ['police-7'], purpose: 'check' } }), 'internal');
    expect(site.fetchesSawRegisterRows).toEqual([1]);
    expect(registerRows().map((r) => [r.verb, r.cameras, r.result])).toEqual([['snapshot', ['yard'], 'granted']]);
  });

  it('refuses (and registers) an unknown camera, a prohibited place, a traversal and a request without staff or purpose', async () => {
    await fails(call('snapshot', { camera: 'nope', requester: { staff: ['p1'], purpose: 'x' } }), 'not_found');
    await fails(call('snapshot', { camera: 'wc', requester: { staff: ['p1'], purpose: 'x' } }), 'forbidden');
    await fails(call('snapshot', { camera: '../gate', requester: { staff: ['p1'], purpose: 'x' } }), 'bad_request');
    await fails(call('snapshot', { camera: 'gate', requester: { staff: [], purpose: 'x' } }), 'forbidden');
    await fails(call('snapshot', { camera: 'gate', requester: { staff: ['p1'] } }), 'forbidden');
    expect(site.fetchesSawRegisterRows).toEqual([]);
    expect(registerRows().map((r) => [r.cameras[0], r.result])).toEqual([
      ['nope', 'refused:not_found'],
      ['wc', 'refused:forbidden'],
      ['../gate', 'refused:bad_request'],
      ['gate', 'refused:forbidden'],
      ['gate', 'refused:forbidden'],
    ]);
    expect(site.db.prepare("SELECT count(*) AS n FROM outbox WHERE type = 'access.granted'").get()).toEqual({ n: 0 });
  });
});

describe('recordings', () => {
  it('query lists the indexed segments of the range, and is registered', async () => {
    const a = writeSegment('gate', NOW - 3 * HOUR);
    const b = writeSegment('gate', NOW - 2 * HOUR);
    writeSegment('yard', NOW - 2 * HOUR);
    const res = await call('recordings.query', { camera: 'gate', from: T(NOW - 2.5 * HOUR), to: T(NOW) });
    expect(res.truncated).toBe(false);
    expect(res.segments).toEqual([
      { start: T(NOW - 3 * HOUR), end: T(NOW - 2 * HOUR), bytes: 4096, sha256: a.sha256 },
      { start: T(NOW - 2 * HOUR), end: T(NOW - HOUR), bytes: 4096, sha256: b.sha256 },
    ]);
    expect(registerRows()).toMatchObject([{ verb: 'recordings.query', cameras: ['gate'], fromMs: NOW - 2.5 * HOUR, toMs: NOW, result: 'granted' }]);
    await fails(call('recordings.query', { camera: 'gate', from: T(NOW), to: T(NOW - HOUR) }), 'bad_request');
    await fails(call('recordings.query', { camera: 'gate', from: 'yesterday', to: T(NOW) }), 'bad_request');
    expect(registerRows().map((r) => r.result)).toEqual(['granted', 'refused:bad_request', 'refused:bad_request']);
  });

  it('export is refused without 2 distinct staff, both documents and a purpose — and the refusal is registered', async () => {
    writeSegment('gate', NOW - 2 * HOUR);
    const base = { camera: 'gate', from: T(NOW - 3 * HOUR), to: T(NOW) };
    await fails(call('recordings.export', { ...base, ...DOCS, staff: ['police-7'] }), 'forbidden');
    await fails(call('recordings.export', { ...base, ...DOCS, staff: ['police-7', ' police-7 '] }), 'forbidden');
    await fails(call('recordings.export', { ...base, ...DOCS, approvalDoc: undefined, staff: ['police-7', 'police-9'] }), 'forbidden');
    await fails(call('recordings.export', { ...base, ...DOCS, lawEnforcementDoc: '  ', staff: ['police-7', 'police-9'] }), 'forbidden');
    await fails(call('recordings.export', { ...base, staff: ['police-7', 'police-9'] }), 'forbidden');
    const rows = registerRows();
    expect(rows.map((r) => r.result)).toEqual(Array(5).fill('refused:forbidden'));
    expect(rows[0]).toMatchObject({ verb: 'recordings.export', cameras: ['gate'], staff: ['police-7'], approvalDoc: DOCS.approvalDoc, lawDoc: DOCS.lawEnforcementDoc, fromMs: NOW - 3 * HOUR });
    expect(rows[0]?.detail.missing).toEqual(['at least 2 distinct staff ids']);
    expect(rows[4]?.detail.missing).toEqual(['approvalDoc', 'lawEnforcementDoc', 'purpose']);
    expect(existsSync(site.exportsRoot)).toBe(false);
  });

  it('export copies (never moves) the segments with a manifest whose hashes match', async () => {
    const segs = [writeSegment('gate', NOW - 3 * HOUR), writeSegment('gate', NOW - 2 * HOUR)];
    writeSegment('gate', NOW - 10 * HOUR); // outside the range
    const res = await call('recordings.export', { camera: 'gate', from: T(NOW - 3 * HOUR), to: T(NOW - HOUR), staff: ['police-7', 'police-9'], ...DOCS });
    const exportId = res.exportId as string;
    expect(exportId).toMatch(/^exp-/);
    expect(res.location).toBe(join(site.exportsRoot, exportId));
    const manifest = res.manifest as ManifestEntry[];
    expect(manifest).toEqual(segs.map((s) => ({ file: s.path, sha256: s.sha256, bytes: 4096 })));
    for (const s of segs) {
      expect(existsSync(join(site.root, s.path))).toBe(true); // the original stays
      expect(sha(join(res.location as string, s.path))).toBe(s.sha256);
    }
    expect(JSON.parse(readFileSync(join(res.location as string, 'manifest.json'), 'utf8'))).toEqual(manifest);
    const [row] = registerRows();
    expect(row).toMatchObject({ verb: 'recordings.export', result: 'granted', staff: ['police-7', 'police-9'], purpose: DOCS.purpose, detail: { exportId, segments: 2 } });
  });

  it('export of an empty range is not_found, registered', async () => {
    await fails(call('recordings.export', { camera: 'gate', from: T(NOW - 3 * HOUR), to: T(NOW), staff: ['a', 'b'], ...DOCS }), 'not_found');
    expect(registerRows().map((r) => r.result)).toEqual(['refused:not_found']);
  });

  it('no path leaves the roots: ../ in the camera, in an index path, or a symlink out of the tree', async () => {
    const ok = { from: T(NOW - 3 * HOUR), to: T(NOW), staff: ['a', 'b'], ...DOCS };
    await fails(call('recordings.export', { camera: '../gate', ...ok }), 'bad_request');
    await fails(call('recordings.export', { camera: 'gate/../../etc', ...ok }), 'bad_request');
    await fails(call('recordings.query', { camera: '..', from: ok.from, to: ok.to }), 'bad_request');

    // A poisoned index row: its path climbs out of the storage root.
    const outside = join(site.dir, 'secret.mp4');
    writeFileSync(outside, 'not a recording');
    new SegmentStore(site.db).upsert({ cameraId: 'gate', path: '../secret.mp4', startMs: NOW - 2 * HOUR, endMs: NOW - HOUR, bytes: 15, sha256: sha(outside) }, NOW);
    await fails(call('recordings.export', { camera: 'gate', ...ok }), 'bad_request');
    expect(readdirSync(site.exportsRoot)).toEqual([]); // the partial export went, nothing else

    // A symlink inside the tree pointing out of it.
    const link = segmentPath('yard', NOW - 2 * HOUR, TZ);
    mkdirSync(dirname(join(site.root, link)), { recursive: true });
    symlinkSync(outside, join(site.root, link));
    new SegmentStore(site.db).upsert({ cameraId: 'yard', path: link, startMs: NOW - 2 * HOUR, endMs: NOW - HOUR, bytes: 15, sha256: sha(outside) }, NOW);
    await fails(call('recordings.export', { camera: 'yard', ...ok }), 'internal');
    expect(readdirSync(site.exportsRoot)).toEqual([]);
    expect(existsSync(outside)).toBe(true);

    expect(() => pathUnder(site.root, '../x')).toThrow(VerbError);
    expect(() => pathUnder(site.root, '/etc/passwd')).toThrow(VerbError);
    expect(() => pathUnder(site.root, 'a/./b')).toThrow(VerbError);
    expect(pathUnder(site.root, 'gate/2026-05-10/x.mp4')).toBe(join(site.root, 'gate/2026-05-10/x.mp4'));
  });

  it('a copy that differs from the index fails the export and leaves no partial copy', async () => {
    const s = writeSegment('gate', NOW - 2 * HOUR);
    writeFileSync(join(site.root, s.path), 'changed after indexing');
    await fails(call('recordings.export', { camera: 'gate', from: T(NOW - 3 * HOUR), to: T(NOW), staff: ['a', 'b'], ...DOCS }), 'internal');
    expect(readdirSync(site.exportsRoot)).toEqual([]);
    expect(existsSync(join(site.root, s.path))).toBe(true);
  });
});

describe('holds and reports', () => {
  it('hold.add / hold.release: created by the key, vital holds cannot be released', async () => {
    const legal = (await call('hold.add', { camera: 'gate', from: T(NOW - 5 * HOUR), to: T(NOW), kind: 'legal', reason: 'case 311' })).hold as HoldJson;
    expect(legal).toMatchObject({ camera: 'gate', kind: 'legal', createdBy: 'platform-key-1', active: true, until: null });
    const vital = (await call('hold.add', { camera: 'yard', from: T(NOW - 5 * HOUR), to: T(NOW), kind: 'vital', reason: 'vital' })).hold as HoldJson;
    expect(vital.until).not.toBeNull();
    const released = (await call('hold.release', { holdId: legal.id, reason: 'case closed' }, 'platform-key-2')).hold as HoldJson;
    expect(released).toMatchObject({ id: legal.id, active: false, released: { by: 'platform-key-2', reason: 'case closed' } });
    await fails(call('hold.release', { holdId: legal.id, reason: 'again' }), 'bad_request');
    await fails(call('hold.release', { holdId: vital.id, reason: 'no' }), 'forbidden');
    await fails(call('hold.release', { holdId: 'nope', reason: 'no' }), 'not_found');
    await fails(call('hold.add', { camera: 'gate', from: T(NOW), to: T(NOW - HOUR), kind: 'legal', reason: 'x' }), 'bad_request');
    await fails(call('hold.add', { camera: 'gate', from: T(NOW - HOUR), to: T(NOW), kind: 'legal', reason: '  ' }), 'bad_request');
    await fails(call('hold.add', { camera: 'ghost', from: T(NOW - HOUR), to: T(NOW), kind: 'legal', reason: 'x' }), 'not_found');
    await fails(call('hold.add', { camera: '../gate', from: T(NOW - HOUR), to: T(NOW), kind: 'legal', reason: 'x' }), 'bad_request');
    await fails(call('hold.add', { camera: 'gate', from: T(NOW - HOUR), to: T(NOW), kind: 'forever', reason: 'x' }), 'bad_request');
  });

  it('report.ack acknowledges through the injected acknowledger', async () => {
    const res = await call('report.ack', { reportId: 'rep-1', receiptNo: 'GA-2026-88' });
    expect(res.report).toMatchObject({ id: 'rep-1', state: 'acknowledged', receiptNo: 'GA-2026-88' });
    await fails(call('report.ack', { reportId: 'rep-x', receiptNo: 'GA-1' }), 'not_found');
    await fails(call('report.ack', { reportId: 'rep-1' }), 'bad_request');
  });
});

describe('register.query and cea register', () => {
  async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
    const cap = captureIo(site.dir);
    const code = await main([...args, '--config', site.configFile, '--json'], cap.io);
    return { code, json: JSON.parse(cap.stdout()) as Record<string, unknown> };
  }

  it('lists entries with chainOk, filtered; tampering turns chainOk false and verify exits 1', async () => {
    writeSegment('gate', NOW - 2 * HOUR);
    await call('snapshot', { camera: 'gate', requester: { staff: ['p1'], purpose: 'look' } });
    await call('recordings.query', { camera: 'yard', from: T(NOW - HOUR), to: T(NOW) });
    await fails(call('recordings.export', { camera: 'gate', from: T(NOW - 3 * HOUR), to: T(NOW), staff: ['p1'] }), 'forbidden');

    const all = await call('register.query', {});
    expect(all.chainOk).toBe(true);
    const entries = all.entries as AccessEntryJson[];
    expect(entries.map((e) => [e.seq, e.verb, e.result])).toEqual([
      [1, 'snapshot', 'granted'],
      [2, 'recordings.query', 'granted'],
      [3, 'recordings.export', 'refused:forbidden'],
    ]);
    expect(entries[1]).toMatchObject({ at: T(NOW), from: T(NOW - HOUR), to: T(NOW), requester: 'platform-key-1', prevHash: entries[0]?.hash });
    expect(((await call('register.query', { camera: 'gate' })).entries as AccessEntryJson[]).map((e) => e.seq)).toEqual([1, 3]);
    expect(((await call('register.query', { from: T(NOW + 1) })).entries as AccessEntryJson[]).length).toBe(0);
    await fails(call('register.query', { from: 'soon' }), 'bad_request');

    expect(await cli(['register', 'verify'])).toEqual({ code: 0, json: { ok: true, rows: 3 } });
    const exported = await cli(['register', 'export', '--now', T(NOW)]);
    const accessRows = (exported.json.rows as { kind: string; number: number; state: string }[]).filter((r) => r.kind === 'access');
    expect(accessRows.map((r) => [r.number, r.state])).toEqual([
      [1, 'granted'],
      [2, 'granted'],
      [3, 'refused:forbidden'],
    ]);

    tamper("UPDATE access_register SET requester = 'nobody' WHERE seq = 2");
    expect((await call('register.query', {})).chainOk).toBe(false);
    const verdict = await cli(['register', 'verify']);
    expect(verdict.code).toBe(1);
    expect(verdict.json).toMatchObject({ ok: false, rows: 3, firstBadSeq: 2, problem: 'hash_mismatch' });
  });

  it('verify: a deleted row, a checkpoint, no database yet, usage errors', async () => {
    const cap = captureIo(site.dir);
    expect(await main(['register', 'verify', '--config', site.configFile], cap.io)).toBe(0);
    expect(cap.stdout()).toMatch(/0 row\(s\), chain intact/);
    for (const i of [1, 2, 3]) await call('snapshot', { camera: 'gate', requester: { staff: [`p${i}`], purpose: 'look' } });
    const last = registerRows()[2];
    expect((await cli(['register', 'verify', '--checkpoint', `3:${last?.hash ?? ''}`])).code).toBe(0);
    tamper('DELETE FROM access_register WHERE seq = 3');
    expect((await cli(['register', 'verify'])).code).toBe(0); // a cut tail needs a checkpoint
    expect(await cli(['register', 'verify', '--checkpoint', `3:${last?.hash ?? ''}`])).toMatchObject({ code: 1, json: { problem: 'truncated', firstBadSeq: 3 } });
    tamper('DELETE FROM access_register WHERE seq = 1');
    expect(await cli(['register', 'verify'])).toMatchObject({ code: 1, json: { ok: false, firstBadSeq: 1, problem: 'seq_gap' } });
    const human = captureIo(site.dir);
    expect(await main(['register', 'verify', '--config', site.configFile], human.io)).toBe(1);
    expect(human.stdout()).toMatch(/TAMPERED/);
    const usage = captureIo(site.dir);
    expect(await main(['register', 'verify', '--config', site.configFile, '--checkpoint', 'x'], usage.io)).toBe(2);
    expect(await main(['register', 'verify', '--config', site.configFile, '--format', 'csv'], usage.io)).toBe(2);
  });
});
