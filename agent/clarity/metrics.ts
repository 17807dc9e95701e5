// Image-clarity metrics: pure arithmetic on one decoded picture (interleaved 8-bit RGB at
// the working size, see drivers/image/decode.ts). No I/O, no clock. Every metric is
// normalised so that it means the same on any scene: ratios rather than raw energies,
// robust statistics rather than means where the scene could dominate. faults.ts turns
// them into fault codes; policy.ts follows them over time per camera.
//
// This module is also loaded by the image worker threads (drivers/image/worker.ts gets
// its URL): `analyseFrame` is the entry point there, so it must stay self-contained.

export interface RgbPlanes {
  width: number;
  height: number;
  /** Interleaved R, G, B bytes, row-major: width * height * 3. */
  data: Uint8Array;
}

export interface ClarityMetrics {
  /** Mean luma (BT.601 Y, 0-255). */
  brightness: number;
  /** 1st / 50th / 99th percentile of luma. */
  darkLevel: number;
  median: number;
  highlight: number;
  /** Fraction of pixels with luma >= 250 (blown out). */
  clipped: number;
  /** Standard deviation of luma. */
  contrast: number;
  /** 99th percentile of max(R,G,B) minus 1st percentile of min(R,G,B): the range the picture uses, colour included. */
  range: number;
  /** 99th percentile of max(R,G,B): near 255 when something in the picture is white or lit (a reference for colour). */
  whitePoint: number;
  /** 1 - the Crété-Roffet blur effect on edges: ~0.1-0.25 = blurred, ~0.35-0.6 = sharp. Independent of contrast. */
  sharpness: number;
  /** Fraction of sampled pixel steps that cross an edge (the sharpness was measured on these; ~0 = nothing to judge). */
  edges: number;
  /** Luma noise sigma (grey levels at working size): Immerkær's estimator on the flattest tenth of 8x8 blocks. */
  noise: number;
  /** Pixel-to-pixel vs two-pixel response on those blocks: ~0.6 for grain, ~0.4 when texture, not grain, made `noise`. */
  noiseFineness: number;
  /** Mean of (max(R,G,B) - min(R,G,B)) / 255: ~0 for a monochrome (IR night) picture. */
  saturation: number;
  /** Tint of the brightest tenth of the picture, from its channel ratios: green (+) / magenta (-). */
  tint: number;
  /** Blue (+) / warm (-) balance of the brightest tenth: (B - R) relative to its grey. */
  coolness: number;
  /** Fraction of pixels within ±3 grey levels of the most common luma (1 = one flat colour). */
  uniformity: number;
  /** Fraction of the frame in the largest connected featureless dark region (a hand or object at the lens). */
  occlusion: number;
  /** Amplitude (grey levels) of a periodic row or column pattern present across the whole frame; 0 when none stands out. */
  stripe: number;
  /** Period in working-size pixels of that pattern (0 when none). */
  stripePeriod: number;
}

/**
 * A compact, JSON-safe fingerprint of the picture for comparing samples over time
 * (frozen picture, scene change): block means of luma on a coarse grid, a 64-bit
 * difference hash, and a digest of the grid.
 */
export interface FrameSignature {
  cols: number;
  rows: number;
  /** Luma block means, row-major, rounded to 1/100 of a grey level. */
  thumb: number[];
  /** dHash (16 hex digits): 8x8 signs of horizontal luma steps. */
  hash: string;
  /** FNV-1a of the unrounded grid (8 hex digits): equal for pixel-identical pictures. */
  digest: string;
}

export interface FrameAnalysis {
  metrics: ClarityMetrics;
  signature: FrameSignature;
}

export interface FrameComparison {
  /** Mean and largest absolute difference of the luma grids (grey levels). */
  meanAbsDiff: number;
  maxAbsDiff: number;
  /** Normalised cross-correlation of the grids' local structure (1 = same layout, ~0 = unrelated). */
  similarity: number;
  /** Hamming distance of the difference hashes (0-64). */
  hashDistance: number;
  /** The grids are bit-for-bit equal (same digest). */
  identical: boolean;
}

/** Target width of the signature grid; the height follows the aspect ratio. */
const GRID_COLS = 64;
/** Occlusion cells: the frame is cut into this many columns (rows follow the aspect ratio). */
const OCC_COLS = 16;
/** A cell whose mean absolute pixel step is below this is featureless (an out-of-focus surface at the lens). */
const OCC_FLAT_STEP = 0.6;
/** A grainy cell: steps up to this (sensor grain of sigma ~1.5 at working size) ... */
const OCC_GRAIN_STEP = 1.5;
/** ... in a group whose cell means spread by at most this (one surface at one level). */
const OCC_LEVEL_SD = 2;
/** Occluder cells are also this dark (hands, panels, lens caps block the light). */
const OCC_DARK_LUMA = 90;
/** Sharpness is measured across edges whose 9-pixel step is at least this fraction of the picture's luma range. */
const EDGE_GATE = 0.25;
/** Stripe analysis: the frame is cut into this many bands across the stripes; a pattern must be in all of them. */
const STRIPE_BANDS = 4;

export function analyseFrame(frame: RgbPlanes): FrameAnalysis {
  const { width: W, height: H, data } = frame;
  const N = W * H;
  if (W < 16 || H < 16 || data.length < N * 3) throw new RangeError(`picture too small to analyse: ${W}x${H}`);

  // Luma as bytes (BT.601, integer weights summing to 256), its histogram, the signature
  // grid and the stripe profiles, all in one walk over the pixels.
  const Y = new Uint8Array(N);
  const layout = lumaPass(data, Y, W, H);
  const hist = layout.hist;
  const colour = colourStatistics(data, Y, W, H);

  let sum = 0;
  let sumSq = 0;
  for (let v = 0; v < 256; v++) {
    sum += v * hist[v]!;
    sumSq += v * v * hist[v]!;
  }
  const brightness = sum / N;
  const contrast = Math.sqrt(Math.max(0, sumSq / N - brightness * brightness));
  let clippedCount = 0;
  for (let v = 250; v < 256; v++) clippedCount += hist[v]!;
  const darkLevel = percentile(hist, N, 0.01);
  const highlight = percentile(hist, N, 0.99);
  const steps = stepStatistics(Y, W, H, EDGE_GATE * (highlight - darkLevel));
  const noise = noiseSigma(Y, W, H);

  const metrics: ClarityMetrics = {
    brightness: round(brightness, 2),
    darkLevel,
    median: percentile(hist, N, 0.5),
    highlight,
    clipped: round(clippedCount / N, 4),
    contrast: round(contrast, 2),
    range: colour.range,
    whitePoint: colour.whitePoint,
    sharpness: round(steps.sharpness, 4),
    edges: round(steps.edges, 4),
    noise: round(noise.sigma, 3),
    noiseFineness: round(noise.fineness, 3),
    saturation: round(colour.saturation, 4),
    tint: round(colour.tint, 4),
    coolness: round(colour.coolness, 4),
    uniformity: round(uniformity(hist, N), 4),
    occlusion: round(occlusion(steps.cellStep, steps.cellMean, steps.cellCols, steps.cellRows), 4),
    ...stripe(layout.rowProf, layout.colProf, W, H),
  };
  const signature = makeSignature(layout.gridSum, layout.gridCount, layout.gridCols, layout.gridRows);
  return { metrics, signature };
}

/**
 * Colour statistics on one pixel in eight (every 4th of every other row, staggered): tens
 * of thousands of samples are plenty for frame-wide percentiles and averages: RGB range,
 * white point, saturation, and the highlights' cast.
 */
function colourStatistics(data: Uint8Array, Y: Uint8Array, W: number, H: number) {
  const histMax = new Float64Array(256);
  const histMin = new Float64Array(256);
  const histY = new Float64Array(256);
  // Per-luma-level channel sums: the brightest tenth's colour without sorting.
  const binR = new Float64Array(256);
  const binG = new Float64Array(256);
  const binB = new Float64Array(256);
  let satSum = 0;
  let n = 0;
  for (let y = 0; y < H; y += 2) {
    for (let x = (y >> 1) & 3, i = y * W + x, j = i * 3; x < W; x += 4, i += 4, j += 12) {
      const r = data[j]!;
      const g = data[j + 1]!;
      const b = data[j + 2]!;
      const v = Y[i]!;
      histY[v]! += 1;
      binR[v]! += r;
      binG[v]! += g;
      binB[v]! += b;
      const mx = r > g ? (r > b ? r : b) : g > b ? g : b;
      const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
      histMax[mx]! += 1;
      histMin[mn]! += 1;
      satSum += mx - mn;
      n++;
    }
  }
  const cast = highlightCast(histY, binR, binG, binB, n);
  return {
    range: percentile(histMax, n, 0.99) - percentile(histMin, n, 0.01),
    whitePoint: percentile(histMax, n, 0.99),
    saturation: satSum / n / 255,
    tint: cast.tint,
    coolness: cast.coolness,
  };
}

/**
 * Luma, its histogram, block sums for the signature grid and the stripe profiles (row
 * means within vertical bands, column means within horizontal bands), walking each row in
 * grid-cell runs so that no per-pixel index arithmetic is needed.
 */
function lumaPass(data: Uint8Array, Y: Uint8Array, W: number, H: number) {
  const gridCols = Math.min(GRID_COLS, W);
  const gridRows = Math.max(1, Math.min(H, Math.round((gridCols * H) / W)));
  const gridSum = new Float64Array(gridCols * gridRows);
  const gridCount = new Float64Array(gridCols * gridRows);
  const cellX = new Int32Array(gridCols + 1);
  for (let c = 0; c <= gridCols; c++) cellX[c] = Math.ceil((c * W) / gridCols);
  // Stripe bands are whole runs of grid columns, so both sums share the walk.
  const cellBand = new Int32Array(gridCols);
  for (let c = 0; c < gridCols; c++) cellBand[c] = Math.min(STRIPE_BANDS - 1, Math.floor((c * STRIPE_BANDS) / gridCols));
  const hist = new Int32Array(256);
  const rowProf = new Float64Array(STRIPE_BANDS * H);
  // Column sums from every other row only: a vertical stripe is in all of them.
  const colSum = new Int32Array(STRIPE_BANDS * W);
  const bandRows = new Float64Array(STRIPE_BANDS);
  for (let y = 0; y < H; y++) {
    const gRow = Math.min(gridRows - 1, Math.floor((y * gridRows) / H)) * gridCols;
    const rBand = Math.min(STRIPE_BANDS - 1, Math.floor((y * STRIPE_BANDS) / H));
    const even = (y & 1) === 0;
    if (even) bandRows[rBand]! += 1;
    const row = y * W;
    const colBase = rBand * W - row;
    for (let c = 0; c < gridCols; c++) {
      let s = 0;
      const end = row + cellX[c + 1]!;
      let i = row + cellX[c]!;
      let j = i * 3;
      if (even) {
        for (; i < end; i++, j += 3) {
          const v = (77 * data[j]! + 150 * data[j + 1]! + 29 * data[j + 2]! + 128) >> 8;
          Y[i] = v;
          hist[v]!++;
          s += v;
          colSum[colBase + i]! += v;
        }
      } else {
        for (; i < end; i++, j += 3) {
          const v = (77 * data[j]! + 150 * data[j + 1]! + 29 * data[j + 2]! + 128) >> 8;
          Y[i] = v;
          hist[v]!++;
          s += v;
        }
      }
      gridSum[gRow + c]! += s;
      gridCount[gRow + c]! += cellX[c + 1]! - cellX[c]!;
      rowProf[cellBand[c]! * H + y]! += s;
    }
  }
  // Sums to means: a row profile sums its band's columns, a column profile its band's sampled rows.
  const bandCols = new Float64Array(STRIPE_BANDS);
  for (let c = 0; c < gridCols; c++) bandCols[cellBand[c]!]! += cellX[c + 1]! - cellX[c]!;
  const colProf = new Float64Array(STRIPE_BANDS * W);
  for (let b = 0; b < STRIPE_BANDS; b++) {
    for (let y = 0; y < H; y++) rowProf[b * H + y]! /= bandCols[b] || 1;
    for (let x = 0; x < W; x++) colProf[b * W + x] = colSum[b * W + x]! / (bandRows[b] || 1);
  }
  return { hist: Float64Array.from(hist), gridSum, gridCount, gridCols, gridRows, rowProf, colProf };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** The smallest level at or below which at least fraction p of the pixels lie. */
function percentile(hist: Float64Array, n: number, p: number): number {
  const target = p * n;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= target) return v;
  }
  return 255;
}

/**
 * Colour of the brightest tenth of the picture. In a correctly white-balanced frame the
 * brightest things (sky, white walls, paper, lamps, clipped highlights) are near grey or,
 * under warm light, orange; a white-balance fault tints them with its own gains. Ratios
 * to their grey make this independent of exposure.
 */
function highlightCast(hist: Float64Array, binR: Float64Array, binG: Float64Array, binB: Float64Array, n: number) {
  const want = n * 0.1;
  let count = 0;
  let r = 0;
  let g = 0;
  let b = 0;
  for (let v = 255; v >= 0 && count < want; v--) {
    count += hist[v]!;
    r += binR[v]!;
    g += binG[v]!;
    b += binB[v]!;
  }
  const grey = (r + g + b) / 3;
  // Too dark to tell a colour (a black frame, a night picture with nothing lit).
  if (count === 0 || grey / count < 24) return { tint: 0, coolness: 0 };
  const rr = r / grey;
  const gg = g / grey;
  const bb = b / grey;
  return { tint: gg - (rr + bb) / 2, coolness: bb - rr };
}

/** Fraction of pixels within ±3 levels of the most common luma (signal loss: one flat colour). */
function uniformity(hist: Float64Array, n: number): number {
  const half = 3;
  let window = 0;
  for (let v = 0; v <= Math.min(255, half * 2); v++) window += hist[v]!;
  let best = window;
  for (let c = half + 1; c + half < 256; c++) {
    window += hist[c + half]! - hist[c - half - 1]!;
    if (window > best) best = window;
  }
  return best / n;
}

/**
 * One pass over neighbouring-pixel steps:
 * - sharpness: Crété-Roffet et al. (2007) "The blur effect", measured on edges only.
 *   Re-blurring a sharp edge with a 9-pixel box removes much of its pixel-to-pixel step;
 *   re-blurring an already blurred edge removes little. The fraction kept, in the worse of
 *   the two directions (so motion blur counts), is the blur. Only pixels across an edge are
 *   used: where the picture changes over the 9-pixel box by at least a quarter of its own
 *   range. This leaves out the flat parts, where grain, JPEG noise and rounding make
 *   one-level steps that look "sharp" whatever the focus, and makes the metric independent
 *   of contrast (a quarter of a halved range is half the gate).
 * - per-cell mean absolute step and mean luma, for the occlusion map.
 * Integer arithmetic, no branches in the inner loop (image data makes branches unpredictable).
 */
function stepStatistics(Y: Uint8Array, W: number, H: number, edgeGate: number) {
  const K = 4; // box of 2K+1 = 9 pixels
  // Gate as "coarse step >= G": with bit tricks, (G - 1 - step) >>> 31 is 1 exactly when step >= G.
  const gm1 = Math.max(1, Math.round(edgeGate)) - 1;
  let sFv = 0;
  let sVv = 0;
  let sFh = 0;
  let sVh = 0;
  let nEdgesV = 0;
  let nEdgesH = 0;
  const cellCols = Math.min(OCC_COLS, W);
  const cellRows = Math.max(1, Math.round((cellCols * H) / W));
  const cellStep = new Float64Array(cellCols * cellRows);
  const cellMean = new Float64Array(cellCols * cellRows);
  const cellN = new Float64Array(cellCols * cellRows);
  // Cell column boundaries, clipped to the interior where the 9-pixel box fits.
  const cellX = new Int32Array(cellCols + 1);
  for (let c = 0; c <= cellCols; c++) cellX[c] = Math.min(W - K, Math.max(K + 1, Math.ceil((c * W) / cellCols)));
  const up5 = (K + 1) * W;
  const dn4 = K * W;
  let samples = 0;
  // Every third row: ~70 000 samples are plenty for frame-wide ratios, at a third of the cost.
  for (let y = K + 1; y < H - K; y += 3) {
    const row = y * W;
    const cRow = Math.min(cellRows - 1, Math.floor((y * cellRows) / H)) * cellCols;
    for (let c = 0; c < cellCols; c++) {
      let steps = 0;
      let lum = 0;
      let fv = 0;
      let vv = 0;
      let fh = 0;
      let vh = 0;
      let ev = 0;
      let eh = 0;
      const x0 = cellX[c]!;
      const x1 = cellX[c + 1]!;
      for (let i = row + x0, end = row + x1; i < end; i++) {
        const v = Y[i]!;
        const dv = Math.abs(v - Y[i - W]!);
        const dh = Math.abs(v - Y[i - 1]!);
        steps += dv + dh;
        lum += v;
        // 9 x the step of the 9-pixel box mean is the difference of the samples K ahead and K+1 behind.
        const bv = Math.abs(Y[i + dn4]! - Y[i - up5]!);
        const bh = Math.abs(Y[i + K]! - Y[i - K - 1]!);
        const mv = (gm1 - bv) >>> 31;
        const mh = (gm1 - bh) >>> 31;
        fv += dv * mv;
        vv += Math.max(0, 9 * dv - bv) * mv;
        fh += dh * mh;
        vh += Math.max(0, 9 * dh - bh) * mh;
        ev += mv;
        eh += mh;
      }
      sFv += fv;
      sVv += vv;
      sFh += fh;
      sVh += vh;
      nEdgesV += ev;
      nEdgesH += eh;
      samples += x1 - x0;
      cellStep[cRow + c]! += steps;
      cellMean[cRow + c]! += lum;
      cellN[cRow + c]! += x1 - x0;
    }
  }
  for (let c = 0; c < cellStep.length; c++) {
    const n = cellN[c]!;
    cellStep[c] = n > 0 ? cellStep[c]! / (2 * n) : 0;
    cellMean[c] = n > 0 ? cellMean[c]! / n : 0;
  }
  // A direction with hardly any edges (a picture of horizontal lines only) cannot be judged:
  // use the other one. With no edges at all there is no detail to speak of: sharpness 0.
  const minEdges = Math.max(50, samples * 0.001);
  const blurV = nEdgesV >= minEdges && sFv > 0 ? (sFv - sVv / 9) / sFv : -1;
  const blurH = nEdgesH >= minEdges && sFh > 0 ? (sFh - sVh / 9) / sFh : -1;
  const blur = Math.max(blurV, blurH);
  return {
    sharpness: blur < 0 ? 0 : 1 - blur,
    edges: samples > 0 ? (nEdgesV + nEdgesH) / (2 * samples) : 0,
    cellStep,
    cellMean,
    cellCols,
    cellRows,
  };
}

/**
 * Luma noise: Immerkær (1996), "Fast noise variance estimation": the 3x3 mask
 * [1 -2 1; -2 4 -2; 1 -2 1] cancels flat areas and linear ramps, leaving noise;
 * sigma = sqrt(pi/2) / 6 * mean |response|. Computed per 8x8 block, and the 10th
 * percentile of the blocks is taken: the flattest parts of any scene (sky, walls, road)
 * show the noise. Blocks near black or white are skipped: clipping hides noise there.
 *
 * A scene with no flat part at all (foliage, moss, gravel seen from close) also gives a
 * high value, from texture. `fineness` tells them apart: the same mask spread over every
 * other pixel, on the same flattest blocks. Grain is as strong pixel to pixel as two pixels
 * apart (ratio ~0.6 after the resize to working size); texture, having its energy at
 * coarser scales, is much stronger two pixels apart (ratio ~0.4).
 */
function noiseSigma(Y: Uint8Array, W: number, H: number): { sigma: number; fineness: number } {
  const B = 8;
  const bx = Math.floor((W - 4) / B);
  const by = Math.floor((H - 4) / B);
  const sigmas = new Float64Array(bx * by);
  const origins = new Int32Array(bx * by);
  let count = 0;
  const scale = Math.sqrt(Math.PI / 2) / (6 * B * B);
  for (let j = 0; j < by; j++) {
    // One block in four, staggered row to row: a quarter of the work, the same flattest tenth.
    for (let k = j & 3; k < bx; k += 4) {
      const origin = (2 + j * B) * W + 2 + k * B;
      let acc = 0;
      let mean = 0;
      for (let y = 0; y < B; y++) {
        let i = origin + y * W;
        // The mask is separable: second differences of the rows above, at and below.
        for (let x = 0; x < B; x++, i++) {
          const up = i - W;
          const dn = i + W;
          const a = Y[up - 1]! - 2 * Y[up]! + Y[up + 1]!;
          const b = Y[i - 1]! - 2 * Y[i]! + Y[i + 1]!;
          const c = Y[dn - 1]! - 2 * Y[dn]! + Y[dn + 1]!;
          acc += Math.abs(a - 2 * b + c);
          mean += Y[i]!;
        }
      }
      mean /= B * B;
      if (mean < 16 || mean > 235) continue;
      sigmas[count] = acc * scale;
      origins[count] = origin;
      count++;
    }
  }
  if (count < 16) return { sigma: 0, fineness: 0 };
  const sorted = sigmas.slice(0, count).sort();
  const sigma = sorted[Math.floor(count * 0.1)]!;
  // The same mask at a 2-pixel spacing on the flattest tenth of the blocks.
  let fine = 0;
  let coarse = 0;
  const W2 = 2 * W;
  for (let o = 0; o < count; o++) {
    if (sigmas[o]! > sigma) continue;
    fine += sigmas[o]!;
    let acc = 0;
    for (let y = 0; y < B; y++) {
      let i = origins[o]! + y * W;
      for (let x = 0; x < B; x++, i++) {
        const up = i - W2;
        const dn = i + W2;
        const a = Y[up - 2]! - 2 * Y[up]! + Y[up + 2]!;
        const b = Y[i - 2]! - 2 * Y[i]! + Y[i + 2]!;
        const c = Y[dn - 2]! - 2 * Y[dn]! + Y[dn + 2]!;
        acc += Math.abs(a - 2 * b + c);
      }
    }
    coarse += acc * scale;
  }
  return { sigma, fineness: coarse > 0 ? fine / coarse : 0 };
}

/**
 * Occlusion: the largest 4-connected group of dark cells (an object at the lens blocks the
 * light) that are featureless (it is far out of focus), as a fraction of all cells.
 * Featureless means either
 * - flat: almost no pixel-to-pixel step at all (a board or a hand in good light), or
 * - grainy but level: steps no bigger than sensor grain, and the whole group at one level
 *   (a panel under noise; a dark night sky or water has grain too, but its level drifts
 *   across the frame, and lit things in it break it up).
 */
function occlusion(cellStep: Float64Array, cellMean: Float64Array, cols: number, rows: number): number {
  const flat = largestGroup(cols, rows, (c) => cellStep[c]! < OCC_FLAT_STEP && cellMean[c]! < OCC_DARK_LUMA);
  const grainy = largestGroup(cols, rows, (c) => cellStep[c]! < OCC_GRAIN_STEP && cellMean[c]! < OCC_DARK_LUMA);
  let level = 0;
  if (grainy.cells.length > flat.cells.length) {
    let sum = 0;
    let sumSq = 0;
    for (const c of grainy.cells) {
      sum += cellMean[c]!;
      sumSq += cellMean[c]! * cellMean[c]!;
    }
    const n = grainy.cells.length;
    const sd = Math.sqrt(Math.max(0, sumSq / n - (sum / n) ** 2));
    if (sd <= OCC_LEVEL_SD) level = n;
  }
  return Math.max(flat.cells.length, level) / (cols * rows);
}

function largestGroup(cols: number, rows: number, member: (c: number) => boolean): { cells: number[] } {
  const n = cols * rows;
  const inSet = new Uint8Array(n);
  for (let c = 0; c < n; c++) inSet[c] = member(c) ? 1 : 0;
  const seen = new Uint8Array(n);
  let best: number[] = [];
  for (let s = 0; s < n; s++) {
    if (!inSet[s] || seen[s]) continue;
    const group: number[] = [];
    const stack = [s];
    seen[s] = 1;
    while (stack.length > 0) {
      const c = stack.pop()!;
      group.push(c);
      const x = c % cols;
      const y = (c - x) / cols;
      const next = [x > 0 ? c - 1 : -1, x + 1 < cols ? c + 1 : -1, y > 0 ? c - cols : -1, y + 1 < rows ? c + cols : -1];
      for (const m of next) {
        if (m >= 0 && inSet[m] && !seen[m]) {
          seen[m] = 1;
          stack.push(m);
        }
      }
    }
    if (group.length > best.length) best = group;
  }
  return { cells: best };
}

/**
 * Stripes: interference lines add the same periodic offset to every row (or column) across
 * the whole width. Each band's row-mean profile is high-passed and its power spectrum taken;
 * a stripe is a frequency whose power stands far above its spectral neighbourhood in every
 * band (scene structure such as building floors is in some bands, not all). The amplitude of
 * that component, in grey levels, is the metric.
 */
function stripe(rowProf: Float64Array, colProf: Float64Array, W: number, H: number) {
  const a = periodic(rowProf, H);
  const b = periodic(colProf, W);
  const best = a.amplitude >= b.amplitude ? a : b;
  return { stripe: round(best.amplitude, 3), stripePeriod: round(best.period, 2) };
}

function periodic(prof: Float64Array, len: number): { amplitude: number; period: number } {
  const size = nextPow2(len);
  const spectra: Float64Array[] = [];
  for (let b = 0; b < STRIPE_BANDS; b++) {
    const re = new Float64Array(size);
    const im = new Float64Array(size);
    // Remove a 9-sample moving average: the scene's slow brightness changes are not stripes.
    const p = new Float64Array(len);
    for (let i = 0; i < len; i++) p[i] = prof[b * len + i]!;
    const half = 4;
    let winSum = 0;
    let winN = 0;
    for (let i = 0; i < Math.min(len, half); i++) (winSum += p[i]!), winN++;
    for (let i = 0; i < len; i++) {
      if (i + half < len) (winSum += p[i + half]!), winN++;
      if (i - half - 1 >= 0) (winSum -= p[i - half - 1]!), winN--;
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / len); // Hann window
      re[i] = (p[i]! - winSum / winN) * w;
    }
    fft(re, im);
    const power = new Float64Array(size / 2);
    for (let k = 0; k < size / 2; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    spectra.push(power);
  }
  // A stripe must be in every band: take the weakest band's power at each frequency.
  const half = size / 2;
  const minPower = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    let m = Infinity;
    for (const s of spectra) m = Math.min(m, s[k]!);
    minPower[k] = m;
  }
  // Periods from 2.5 pixels up to a tenth of the frame.
  const kMin = Math.max(2, Math.ceil(size / (len / 10)));
  const kMax = Math.min(half - 1, Math.floor(size / 2.5));
  let bestAmp = 0;
  let bestK = 0;
  const neighbourhood: number[] = [];
  for (let k = kMin; k <= kMax; k++) {
    const pk = minPower[k]!;
    if (pk <= 0) continue;
    // Local peak, and far above the median power of the frequencies around it.
    if (pk < minPower[k - 1]! || pk < minPower[k + 1]!) continue;
    neighbourhood.length = 0;
    for (let d = -12; d <= 12; d++) {
      if (Math.abs(d) <= 2) continue;
      const q = k + d;
      if (q >= 1 && q < half) neighbourhood.push(minPower[q]!);
    }
    neighbourhood.sort((x, y) => x - y);
    const med = neighbourhood[neighbourhood.length >> 1] ?? 0;
    if (pk < 25 * med) continue;
    // Amplitude of the sinusoid: |X| * 2 / sum(window) (Hann sums to len/2); neighbours catch leakage.
    const energy = pk + 0.5 * (minPower[k - 1]! + minPower[k + 1]!);
    const amp = (2 * Math.sqrt(energy)) / (len / 2);
    if (amp > bestAmp) {
      bestAmp = amp;
      bestK = k;
    }
  }
  return { amplitude: bestAmp, period: bestK > 0 ? size / bestK : 0 };
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/** In-place iterative radix-2 FFT. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

function makeSignature(gridSum: Float64Array, gridCount: Float64Array, cols: number, rows: number): FrameSignature {
  const n = cols * rows;
  const grid = new Float64Array(n);
  for (let c = 0; c < n; c++) grid[c] = gridCount[c]! > 0 ? gridSum[c]! / gridCount[c]! : 0;
  // FNV-1a over the grid's float bits: equal only for equal pictures.
  const bits = new Uint32Array(new Float32Array(grid).buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) {
    let w = bits[i]!;
    for (let k = 0; k < 4; k++, w >>>= 8) {
      h ^= w & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return {
    cols,
    rows,
    thumb: Array.from(grid, (v) => round(v, 2)),
    hash: dHash(grid, cols, rows),
    digest: h.toString(16).padStart(8, '0'),
  };
}

/** 9x8 area means of the grid; bit = left brighter than right. */
function dHash(grid: Float64Array, cols: number, rows: number): string {
  const small = resample(grid, cols, rows, 9, 8);
  let hex = '';
  for (let y = 0; y < 8; y++) {
    let byte = 0;
    for (let x = 0; x < 8; x++) byte = (byte << 1) | (small[y * 9 + x]! > small[y * 9 + x + 1]! ? 1 : 0);
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

function resample(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float64Array {
  const out = new Float64Array(dw * dh);
  const cnt = new Float64Array(dw * dh);
  for (let y = 0; y < sh; y++) {
    const ty = Math.min(dh - 1, Math.floor((y * dh) / sh));
    for (let x = 0; x < sw; x++) {
      const t = ty * dw + Math.min(dw - 1, Math.floor((x * dw) / sw));
      out[t]! += src[y * sw + x]!;
      cnt[t]! += 1;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = cnt[i]! > 0 ? out[i]! / cnt[i]! : 0;
  return out;
}

/**
 * How alike two samples of a camera are. Grids of different shapes (the camera's
 * resolution or aspect changed) are resampled to the smaller one.
 */
export function compareSignatures(a: FrameSignature, b: FrameSignature): FrameComparison {
  let ga: ArrayLike<number> = a.thumb;
  let gb: ArrayLike<number> = b.thumb;
  let cols = a.cols;
  let rows = a.rows;
  if (a.cols !== b.cols || a.rows !== b.rows) {
    cols = Math.min(a.cols, b.cols);
    rows = Math.min(a.rows, b.rows);
    ga = resample(a.thumb, a.cols, a.rows, cols, rows);
    gb = resample(b.thumb, b.cols, b.rows, cols, rows);
  }
  const n = cols * rows;
  let sumAbs = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(ga[i]! - gb[i]!);
    sumAbs += d;
    if (d > maxAbs) maxAbs = d;
  }
  let dist = 0;
  for (let i = 0; i < 16; i += 2) {
    let x = parseInt(a.hash.slice(i, i + 2), 16) ^ parseInt(b.hash.slice(i, i + 2), 16);
    for (; x; x &= x - 1) dist++;
  }
  return {
    meanAbsDiff: round(sumAbs / n, 4),
    maxAbsDiff: round(maxAbs, 3),
    similarity: round(structureCorrelation(ga, gb, cols, rows), 4),
    hashDistance: dist,
    identical: a.digest === b.digest && a.cols === b.cols && a.rows === b.rows,
  };
}

/**
 * Correlation of local structure: each grid minus its 5x5 local mean (so a change of
 * lighting or exposure, which shifts whole areas, matters little), then the normalised
 * cross-correlation of the two. A camera turned away or a moved scene gives ~0.
 */
function structureCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, cols: number, rows: number): number {
  const ha = highPass(a, cols, rows);
  const hb = highPass(b, cols, rows);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ha.length; i++) {
    sab += ha[i]! * hb[i]!;
    saa += ha[i]! * ha[i]!;
    sbb += hb[i]! * hb[i]!;
  }
  // Two featureless grids (e.g. both black) are alike; one featureless and one not are not.
  const floor = 1e-6 * ha.length;
  if (saa < floor && sbb < floor) return 1;
  if (saa < floor || sbb < floor) return 0;
  return sab / Math.sqrt(saa * sbb);
}

function highPass(g: ArrayLike<number>, cols: number, rows: number): Float64Array {
  const out = new Float64Array(cols * rows);
  const r = 2;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -r; dy <= r; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= rows) continue;
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= cols) continue;
          s += g[yy * cols + xx]!;
          n++;
        }
      }
      out[y * cols + x] = g[y * cols + x]! - s / n;
    }
  }
  return out;
}
