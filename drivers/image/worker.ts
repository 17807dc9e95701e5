// Worker thread body of the image pool: decode a JPEG with shrink-on-load and run the
// analyser module on the pixels, off the main event loop. The analyser is given by URL
// (workerData) so that this driver does not import agent code; it must export
// `analyseFrame(planes: { width, height, data })` returning structured-clonable data.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { decodeJpeg } from './decode.js';
import { isImageError } from './errors.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './protocol.js';

type Analyse = (planes: { width: number; height: number; data: Uint8Array }) => unknown;

const data = workerData as WorkerData;

// Every picture is a new buffer, so libvips' operation cache (default 50 MB, 100
// operations) never hits and only holds memory; and the pool's workers are the
// parallelism, so one libvips thread per picture is enough (the default is one per core,
// each thread with its own malloc arena). Both settings are process-wide in libvips.
sharp.cache(false);
sharp.concurrency(1);
let analyser: Promise<Analyse> | null = null;

function loadAnalyser(): Promise<Analyse> {
  analyser ??= import(data.analyser).then((mod: Record<string, unknown>) => {
    const fn = mod['analyseFrame'];
    if (typeof fn !== 'function') throw new Error(`${data.analyser} does not export analyseFrame()`);
    return fn as Analyse;
  });
  return analyser;
}

parentPort?.on('message', (req: WorkerRequest) => {
  void handle(req).then((reply) => parentPort?.postMessage(reply));
});

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  try {
    const t0 = performance.now();
    const img = await decodeJpeg(new Uint8Array(req.bytes), { longSide: data.longSide, maxBytes: data.maxBytes });
    const t1 = performance.now();
    const analyse = await loadAnalyser();
    const analysis = analyse({ width: img.width, height: img.height, data: img.data });
    const t2 = performance.now();
    return {
      id: req.id,
      ok: true,
      result: {
        width: img.width,
        height: img.height,
        sourceWidth: img.sourceWidth,
        sourceHeight: img.sourceHeight,
        analysis,
        decodeMs: t1 - t0,
        analyseMs: t2 - t1,
      },
    };
  } catch (err) {
    if (isImageError(err)) return { id: req.id, ok: false, code: err.code, message: err.message };
    return { id: req.id, ok: false, code: 'internal', message: (err as Error)?.message ?? String(err) };
  }
}
