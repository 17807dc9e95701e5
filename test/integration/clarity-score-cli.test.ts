import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameAnalysis } from '../../agent/clarity/metrics.js';
import { main } from '../../scripts/cea.js';
import { scoreCommand } from '../../scripts/commands/score.js';
import { ImageWorkerPool } from '../../drivers/image/index.js';
import { captureIo } from '../helpers/capture-io.js';
import { REPO_ROOT, spawnCea } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'clarity');
const f = (name: string) => join(FIX, name);
const ANALYSER = new URL('../../agent/clarity/metrics.js', import.meta.url);

interface ScoreDoc {
  images: { file: string; width: number; height: number; metrics: Record<string, number>; faults: string[]; ms: number; error?: string }[];
  reference?: { file: string; width: number; height: number };
}

async function score(...argv: string[]) {
  const cap = captureIo(REPO_ROOT);
  const code = await main(['score', ...argv], cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

let tmp: { dir: string; remove: () => void };
beforeAll(() => {
  tmp = makeTempDir('cea-score-');
  const whole = readFileSync(f('arcade__ok.jpg'));
  writeFileSync(join(tmp.dir, 'truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(join(tmp.dir, 'notes.txt.jpg'), 'this is not a picture');
});
afterAll(() => tmp.remove());

describe('cea score', () => {
  it('--json prints one document with the DESIGN.md shape; exit 0 when no image has a fault', async () => {
    const r = await score(f('arcade__ok.jpg'), f('sidewalk__ok.jpg'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as ScoreDoc;
    expect(doc.images).toHaveLength(2);
    for (const img of doc.images) {
      expect(Object.keys(img)).toEqual(expect.arrayContaining(['file', 'width', 'height', 'metrics', 'faults', 'ms']));
      expect(img.faults).toEqual([]);
      expect(img.metrics).toMatchObject({ sharpness: expect.any(Number), brightness: expect.any(Number), noise: expect.any(Number) });
      expect(img.ms).toBeGreaterThan(0);
    }
    expect(doc.images[0]).toMatchObject({ file: f('arcade__ok.jpg'), width: 640, height: 611 });
  });

  it('exit 1 when any image has a fault; each image carries its own codes', async () => {
    const r = await score(f('arcade__ok.jpg'), f('arcade__blur_mild.jpg'), f('nosignal_blue__signal_loss_strong.jpg'), '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as ScoreDoc;
    expect(doc.images.map((i) => i.faults)).toEqual([[], ['blur'], ['signal_loss']]);
  });

  it('a truncated JPEG and a non-JPEG are decode_error, never a crash', async () => {
    const r = await score(join(tmp.dir, 'truncated.jpg'), join(tmp.dir, 'notes.txt.jpg'), f('sidewalk__ok.jpg'), '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as ScoreDoc;
    expect(doc.images.map((i) => i.faults)).toEqual([['decode_error'], ['decode_error'], []]);
    expect(doc.images[0]).toMatchObject({ width: 0, height: 0, metrics: {} });
    expect(doc.images[0]!.error).toMatch(/JPEG/);
  });

  it('--reference: the same view passes, another view is scene_change, the very same picture is frozen', async () => {
    const r = await score(f('sidewalk__stripe_mild.jpg'), f('arcade__ok.jpg'), f('sidewalk__ok.jpg'), '--reference', f('sidewalk__ok.jpg'), '--json');
    const doc = JSON.parse(r.stdout) as ScoreDoc;
    expect(doc.reference).toEqual({ file: f('sidewalk__ok.jpg'), width: 640, height: 480 });
    expect(doc.images.map((i) => i.faults)).toEqual([['stripe'], ['scene_change'], ['frozen']]);
    expect(doc.images[1]!.metrics).toMatchObject({ similarity: expect.any(Number), hashDistance: expect.any(Number) });
  });

  it('human output: a table and a summary line', async () => {
    const r = await score(f('arcade__ok.jpg'), f('arcade__too_dark_mild.jpg'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FILE\s+SIZE\s+FAULTS/);
    expect(r.stdout).toMatch(/arcade__too_dark_mild\.jpg\s+640x611\s+too_dark/);
    expect(r.stdout).toMatch(/2 images, 1 with faults\n$/);
  });

  it('usage errors exit 2: no image, a missing file, an unknown option, an unreadable reference', async () => {
    for (const argv of [[], ['/nonexistent/x.jpg'], [f('arcade__ok.jpg'), '--bogus'], [f('arcade__ok.jpg'), '--reference', join(tmp.dir, 'truncated.jpg')]]) {
      const r = await score(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/usage: cea score/);
    }
    const cap = captureIo(REPO_ROOT);
    await expect(scoreCommand.run([], cap.io)).rejects.toThrow(/missing IMG/);
  });

  it('the built CLI, as a technician runs it', async () => {
    const p = spawnCea(['score', f('yard__too_bright_mild.jpg'), f('sidewalk__occlusion_mild.jpg'), '--json']);
    try {
      const { code } = await p.exited;
      expect(code).toBe(1);
      const doc = JSON.parse(p.stdout()) as ScoreDoc;
      expect(doc.images.map((i) => i.faults)).toEqual([['too_bright'], ['occlusion']]);
    } finally {
      await p.kill();
    }
  });
});

describe('image worker pool', () => {
  it('scores off the main thread and terminates its workers on close()', async () => {
    const pool = new ImageWorkerPool<FrameAnalysis>({ analyser: ANALYSER, size: 2 });
    const bytes = readFileSync(f('arcade__ok.jpg'));
    const results = await Promise.all([pool.analyse(bytes), pool.analyse(bytes), pool.analyse(bytes)]);
    expect(results.map((r) => [r.width, r.height, r.sourceWidth])).toEqual([
      [640, 611, 640],
      [640, 611, 640],
      [640, 611, 640],
    ]);
    expect(results[0]!.analysis.metrics.sharpness).toBe(results[2]!.analysis.metrics.sharpness);
    expect(pool.workers).toBe(2);
    // The caller's buffer is not detached by the transfer to the worker.
    expect(bytes.length).toBeGreaterThan(0);
    const pending = pool.analyse(bytes).then(
      () => null,
      (err: unknown) => err,
    );
    await pool.close();
    expect(await pending).toMatchObject({ code: 'closed' });
    expect(pool.workers).toBe(0);
    await expect(pool.analyse(bytes)).rejects.toMatchObject({ code: 'closed' });
    await pool.close(); // idempotent
  });

  it('survives a worker crash: the task fails with worker_crashed, the next picture is scored by a new worker', async () => {
    // An analyser that kills its thread on a tall picture and answers otherwise.
    const analyser =
      'data:text/javascript,' +
      encodeURIComponent('export function analyseFrame(p) { if (p.height > p.width) process.exit(7); return { w: p.width }; }');
    const pool = new ImageWorkerPool<{ w: number }>({ analyser, size: 1 });
    try {
      const wide = readFileSync(f('sidewalk__ok.jpg'));
      const sharp = (await import('sharp')).default;
      const tall = await sharp(wide).rotate(90).jpeg().toBuffer();
      await expect(pool.analyse(tall)).rejects.toMatchObject({ code: 'worker_crashed' });
      expect((await pool.analyse(wide)).analysis).toEqual({ w: 640 });
      expect(pool.restarts).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('a picture that takes too long fails with timeout and its worker is replaced; corrupt input is decode_error', async () => {
    const analyser =
      'data:text/javascript,' +
      encodeURIComponent('export function analyseFrame(p) { if (p.width < 100) { const t = Date.now(); while (Date.now() - t < 20000); } return p.width; }');
    const pool = new ImageWorkerPool<number>({ analyser, size: 1, timeoutMs: 500 });
    try {
      const sharp = (await import('sharp')).default;
      const tiny = await sharp(readFileSync(f('sidewalk__ok.jpg'))).resize(64).jpeg().toBuffer();
      await expect(pool.analyse(tiny)).rejects.toMatchObject({ code: 'timeout' });
      expect((await pool.analyse(readFileSync(f('sidewalk__ok.jpg')))).analysis).toBe(640);
      await expect(pool.analyse(Buffer.from('garbage'))).rejects.toMatchObject({ code: 'decode_error' });
      await expect(pool.analyse(Buffer.alloc(40 * 1024 * 1024))).rejects.toMatchObject({ code: 'too_large' });
    } finally {
      await pool.close();
    }
  });
});
