// Retention speed: a segment index of ~1 000 000 rows (256 cameras x 30 days, segments
// of 11 min so that the count is the 60 s case's 11 M scaled down), the plan timed at
// growing sizes (linear at most?), against a baseline measured in the same run: a bare
// indexed SELECT of the same rows. Then a sweep of 50 000 deletions with real files,
// against bare unlinks of as many files.
//   npm run bench:retention [-- --segments 1000000 --cameras 256 --deletions 50000]
import type { BenchRow } from './summary.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveConfigObject } from '../../agent/config/index.js';
import { segmentPath } from '../../agent/recording/layout.js';
import { assess, diskConstraints, loadColumns, loadHolds, segmentDetails, type RetentionConfig } from '../../agent/retention/service.js';
import { Sweeper } from '../../agent/retention/sweeper.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';

const DAY = 86_400_000;
const TZ = 'Asia/Shanghai';

/** segmentPath() for Asia/Shanghai (UTC+8 all year, no DST), without Intl: building a million names stays quick. */
function shanghaiPath(camera: string, startMs: number): string {
  const iso = new Date(startMs + 8 * 3_600_000).toISOString();
  return `${camera}/${iso.slice(0, 10)}/${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}.mp4`;
}

function option(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** The same rows the plan reads, read bare: the floor any plan stands on. */
function bareSelect(db: Database): number {
  let n = 0;
  const stmt = db
    .prepare("SELECT id, camera_id, start_ms, end_ms, bytes, indexed_ms, state = 'present' FROM segments NOT INDEXED WHERE state <> 'deleted' ORDER BY id")
    .raw(true);
  for (const _ of stmt.iterate()) n += 1;
  return n;
}

export async function benchRetention(argv: string[]): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  const total = option(argv, 'segments', 1_000_000);
  const cameras = option(argv, 'cameras', 256);
  const deletions = option(argv, 'deletions', 50_000);
  const days = 30;
  const segMs = Math.max(1000, Math.floor((cameras * days * DAY) / total / 1000) * 1000);
  const slots = Math.ceil(total / cameras);
  const dir = join(tmpdir(), `cea-bench-retention-${process.pid}`);
  const root = join(dir, 'recordings');
  mkdirSync(root, { recursive: true });
  const endOfData = Date.parse('2026-03-31T00:00:00Z');
  const t0 = endOfData - slots * segMs;

  const loaded = resolveConfigObject(
    {
      site: { id: 'bench', timezone: TZ },
      profile: 'liaoning-2008',
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      database: join(dir, 'agent.db'),
      storage: { root },
      retention: { floorDays: 15, ceilingDays: 28 },
      cameras: Array.from({ length: cameras }, (_, c) => ({
        id: `cam-${String(c).padStart(3, '0')}`,
        onvif: { url: `http://192.0.2.1:${8000 + c}/onvif/device_service` },
        location: { kind: 'street', description: 'bench' },
      })),
    },
    '<bench>',
    { env: {}, cwd: dir },
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const config: RetentionConfig = loaded.config;
  const { db } = openStore(loaded.config.database, { migrations, now: () => new Date(endOfData) });

  try {
    process.stdout.write(
      `retention: ${total.toLocaleString('en')} segments = ${cameras} cameras x ${days} days of ${segMs / 1000} s segments (the 60 s case's ${(cameras * days * 1440).toLocaleString('en')} scaled)\n`,
    );
    if (shanghaiPath('cam-000', t0) !== segmentPath('cam-000', t0, TZ)) throw new Error('bench path naming disagrees with the layout');
    const insert = db.prepare(
      "INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, sha256, state, indexed_ms) VALUES (?, ?, ?, ?, ?, ?, 'present', ?)",
    );
    const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const checkpoints = [total / 8, total / 4, total / 2, total].map(Math.round);
    let inserted = 0;
    let slot = 0;
    const rows: { size: number; selectMs: number; planMs: number; deletions: number }[] = [];
    const build = time(() => undefined);
    let buildMs = build.ms;
    for (const checkpoint of checkpoints) {
      const b = time(() =>
        db.transaction(() => {
          // Indexed as the recorder closes them: slot by slot, every camera.
          for (; inserted < checkpoint; slot += 1) {
            const start = t0 + slot * segMs;
            for (let c = 0; c < cameras && inserted < checkpoint; c += 1, inserted += 1) {
              const cam = `cam-${String(c).padStart(3, '0')}`;
              // Cameras close their segments a few seconds apart.
              const end = start + segMs - ((c * 37) % 5000);
              insert.run(cam, shanghaiPath(cam, start), start, end, 512, sha, end + 800);
            }
          }
        })(),
      );
      buildMs += b.ms;
      if (checkpoint === total) {
        // A few dozen holds, as a busy site would have.
        const h = db.prepare("INSERT INTO holds (id, camera_id, from_ms, to_ms, kind, reason, created_ms, created_by, until_ms) VALUES (?, ?, ?, ?, 'legal', 'bench', ?, 'bench', NULL)");
        for (let i = 0; i < 64; i += 1) h.run(`h${i}`, `cam-${String(i % cameras).padStart(3, '0')}`, t0 + i * 3 * 3_600_000, t0 + i * 3 * 3_600_000 + 3_600_000, endOfData);
      }
      const wallMs = t0 + slot * segMs + 30_000;
      const selects: number[] = [];
      const plans: number[] = [];
      let planned = 0;
      for (let rep = 0; rep < 3; rep += 1) {
        selects.push(time(() => bareSelect(db)).ms);
        const p = time(() => {
          const segments = loadColumns(db);
          return assess({ config, segments, details: segmentDetails(db), holds: loadHolds(db), disk: diskConstraints(config, segments.length * 512), wallMs });
        });
        plans.push(p.ms);
        planned = p.value.plan.deletions.length;
      }
      rows.push({ size: checkpoint, selectMs: median(selects), planMs: median(plans), deletions: planned });
    }
    process.stdout.write(`  index built in ${(buildMs / 1000).toFixed(1)} s\n`);
    process.stdout.write('  rows        bare SELECT   plan (load + policy + forecast)   ratio   plan us/row   planned deletions\n');
    for (const r of rows) {
      process.stdout.write(
        `  ${String(r.size).padStart(9)}   ${r.selectMs.toFixed(0).padStart(8)} ms   ${r.planMs.toFixed(0).padStart(8)} ms${' '.repeat(26)}${(r.planMs / r.selectMs).toFixed(2).padStart(5)}x   ${((r.planMs * 1000) / r.size).toFixed(2).padStart(8)}      ${r.deletions}\n`,
      );
    }
    const first = rows[0] as (typeof rows)[number];
    const last = rows[rows.length - 1] as (typeof rows)[number];
    process.stdout.write(
      `  growth ${first.size} -> ${last.size} rows (x${(last.size / first.size).toFixed(0)}): plan x${(last.planMs / first.planMs).toFixed(2)}, bare SELECT x${(last.selectMs / first.selectMs).toFixed(2)}\n`,
    );
    out.push({ bench: 'retention', what: `plan over ${last.size.toLocaleString('en')} segments`, measured: `${(last.planMs / 1000).toFixed(2)} s`, baseline: `${(last.selectMs / 1000).toFixed(2)} s bare SELECT`, ratio: last.planMs / last.selectMs, goal: '< 2 s', met: last.planMs < 2000 });
    process.stdout.write(`  plan of ${last.size.toLocaleString('en')} rows: ${(last.planMs / 1000).toFixed(2)} s (goal < 2 s): ${last.planMs < 2000 ? 'met' : 'NOT met'}\n`);

    // The sweep: the plan's oldest `deletions`, each a real file.
    const wallMs = t0 + slot * segMs + 30_000;
    const segments = loadColumns(db);
    const plan = assess({ config, segments, details: segmentDetails(db), holds: loadHolds(db), disk: diskConstraints(config, segments.length * 512), wallMs }).plan;
    const victims = plan.deletions.slice(0, deletions);
    if (victims.length === 0) {
      process.stdout.write('  sweep: nothing to delete at this size (give more --segments)\n');
      return out;
    }
    const payload = Buffer.alloc(512, 7);
    const made = new Set<string>();
    for (const d of victims) {
      const abs = join(root, d.segment.path);
      const parent = join(abs, '..');
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      writeFileSync(abs, payload);
    }
    const baseDir = join(dir, 'baseline');
    mkdirSync(baseDir);
    const baseFiles = victims.map((_, i) => join(baseDir, `${i}.mp4`));
    for (const f of baseFiles) writeFileSync(f, payload);
    const tb = performance.now();
    for (const f of baseFiles) await unlink(f);
    const baselineMs = performance.now() - tb;

    const sweeper = new Sweeper({ db, root, now: () => new Date(wallMs), logger: silentLogger() });
    const ts = performance.now();
    const swept = await sweeper.sweep(victims, { holdNowMs: plan.holdNowMs });
    const sweepMs = performance.now() - ts;
    const audited = db.prepare('SELECT count(*) AS n FROM deletion_audit WHERE deleted_ms IS NOT NULL').get() as { n: number };
    process.stdout.write(
      [
        `  sweep of ${victims.length.toLocaleString('en')} deletions (stat, hold re-check, audit row, unlink, audit completed; batches of 256):`,
        `    ${(sweepMs / 1000).toFixed(2)} s, ${((sweepMs * 1000) / victims.length).toFixed(0)} us/deletion; ${swept.deleted.length} deleted, ${swept.skipped.length} skipped, ${audited.n} audit rows completed`,
        `    baseline (bare unlink of as many files): ${(baselineMs / 1000).toFixed(2)} s; ratio ${(sweepMs / baselineMs).toFixed(2)}x`,
        '',
      ].join('\n'),
    );
    out.push({ bench: 'retention', what: `sweep ${victims.length.toLocaleString('en')} deletions`, measured: `${(sweepMs / 1000).toFixed(2)} s`, baseline: `${(baselineMs / 1000).toFixed(2)} s bare unlink`, ratio: sweepMs / baselineMs, goal: '', met: null });
    return out;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
