// `cea score IMG… [--reference IMG] [--json]`: the clarity verdict of still images, as the
// agent judges a camera's snapshot (same decode, metrics and thresholds), for a technician
// checking a camera or any photo. With --reference, each image is also compared with that
// frame: `scene_change` (another view) and `frozen` (the same picture).
// Exit 0: no image has a fault; 1: at least one has; 2: usage (or an unreadable file).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { imageFaults, isFrozen, isSceneChange, sortFaults, type FaultCode } from '../../agent/clarity/faults.js';
import { compareSignatures, type ClarityMetrics, type FrameAnalysis, type FrameComparison } from '../../agent/clarity/metrics.js';
import { ImageWorkerPool, isImageError, type AnalysedImage } from '../../drivers/image/index.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { translator, type Language } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command, type CommandIo } from '../cli/command.js';
import { renderTable } from '../cli/table.js';

const ANALYSER = new URL('../../agent/clarity/metrics.js', import.meta.url);

export interface ScoredImage {
  file: string;
  /** The picture's own size (0 when it could not be decoded). */
  width: number;
  height: number;
  metrics: Partial<ClarityMetrics & FrameComparison>;
  faults: FaultCode[];
  ms: number;
  /** Why the picture could not be scored (with faults ["decode_error"]). */
  error?: string;
}

async function readInput(file: string, cwd: string): Promise<Uint8Array> {
  try {
    return await readFile(resolve(cwd, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
  }
}

function comparisonFaults(image: FaultCode[], c: FrameComparison): FaultCode[] {
  const out: FaultCode[] = [];
  if (isFrozen(c)) out.push('frozen');
  // A lost, black or covered picture is its own fault, not another scene.
  else if (!image.some((f) => f === 'signal_loss' || f === 'too_dark' || f === 'occlusion') && isSceneChange(c)) out.push('scene_change');
  return out;
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

export const scoreCommand: Command = {
  name: 'score',
  summary: 'clarity verdict of still images (blur, exposure, contrast, colour cast, noise, stripes, occlusion, signal loss)',
  usage: 'score IMG... [--reference IMG] [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      reference: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length === 0) throw usageError('err.missingImg');
    // Read everything first: a typo in a file name is a usage error, before any work.
    const inputs = await Promise.all(positionals.map(async (file) => ({ file, bytes: await readInput(file, io.cwd) })));
    const refBytes = values.reference !== undefined ? await readInput(values.reference, io.cwd) : null;

    const pool = new ImageWorkerPool<FrameAnalysis>({ analyser: ANALYSER, size: Math.min(2, inputs.length + (refBytes ? 1 : 0)) });
    try {
      let reference: AnalysedImage<FrameAnalysis> | null = null;
      if (refBytes) {
        try {
          reference = await pool.analyse(refBytes);
        } catch (err) {
          if (isImageError(err, 'decode_error') || isImageError(err, 'too_large')) {
            throw new UsageError(`--reference ${values.reference}: ${(err as Error).message}`);
          }
          throw err;
        }
      }
      const images = await Promise.all(inputs.map((input) => scoreOne(pool, input.file, input.bytes, reference)));
      if (values.json) {
        printJson(io, {
          images,
          ...(reference && values.reference !== undefined
            ? { reference: { file: values.reference, width: reference.sourceWidth, height: reference.sourceHeight } }
            : {}),
        });
      } else {
        // No config here: --lang, CEA_LANG, else English.
        printHuman(io, images, values.reference, commandLanguage(io, values.lang));
      }
      return images.some((i) => i.faults.length > 0) ? EXIT_FINDINGS : EXIT_OK;
    } finally {
      await pool.close();
    }
  },
};

async function scoreOne(
  pool: ImageWorkerPool<FrameAnalysis>,
  file: string,
  bytes: Uint8Array,
  reference: AnalysedImage<FrameAnalysis> | null,
): Promise<ScoredImage> {
  const t0 = performance.now();
  try {
    const r = await pool.analyse(bytes);
    const faults = imageFaults(r.analysis.metrics);
    let metrics: ScoredImage['metrics'] = r.analysis.metrics;
    let all: FaultCode[] = faults;
    if (reference) {
      const c = compareSignatures(reference.analysis.signature, r.analysis.signature);
      metrics = { ...metrics, ...c };
      all = sortFaults([...faults, ...comparisonFaults(faults, c)]);
    }
    // Decode + analysis time in the worker (not the worker's start-up or the queue).
    return { file, width: r.sourceWidth, height: r.sourceHeight, metrics, faults: all, ms: round(r.decodeMs + r.analyseMs, 1) };
  } catch (err) {
    // Bytes that are not a picture are what a broken camera sends: a fault, not a crash.
    if (isImageError(err, 'decode_error') || isImageError(err, 'too_large')) {
      return { file, width: 0, height: 0, metrics: {}, faults: ['decode_error'], ms: round(performance.now() - t0, 1), error: (err as Error).message };
    }
    throw err;
  }
}

function printHuman(io: CommandIo, images: ScoredImage[], referenceFile: string | undefined, lang: Language): void {
  const t = translator(cliCatalog, lang);
  const num = (v: number | undefined, d: number) => (v === undefined ? '-' : v.toFixed(d));
  const rows = images.map((i) => [
    i.file,
    i.width > 0 ? `${i.width}x${i.height}` : '-',
    i.faults.length === 0 ? t('score.ok') : i.faults.join(','),
    num(i.metrics.sharpness, 2),
    num(i.metrics.brightness, 0),
    num(i.metrics.range, 0),
    num(i.metrics.noise, 1),
    ...(referenceFile !== undefined ? [num(i.metrics.similarity, 2)] : []),
    i.ms.toFixed(0),
  ]);
  // The fault codes stay codes (they are the MQTT contract's, and what the docs list).
  // FILE SIZE FAULTS SHARP BRIGHT RANGE NOISE SIMILAR MS: SIMILAR (index 7) only with a reference.
  const headers = t('score.headers')
    .split('|')
    .filter((_, i) => i !== 7 || referenceFile !== undefined);
  io.stdout.write(`${renderTable(headers, rows)}\n`);
  for (const i of images) if (i.error) io.stdout.write(`${i.file}: ${i.error}\n`);
  const bad = images.filter((i) => i.faults.length > 0).length;
  io.stdout.write(`${t('score.summary', { count: images.length, bad, reference: referenceFile ?? null })}\n`);
}
