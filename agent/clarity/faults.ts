// Metrics → fault codes for one picture (and for a picture against a reference frame).
// Pure: no I/O, no clock, no per-camera state (policy.ts adds baselines and hysteresis).
//
// Every threshold below was chosen on real photographs (shared/clarity-train, 14 scenes,
// with leave-one-scene-out cross-validation, plus ~40 other real photographs degraded with
// other parameters), favouring no false alarm on a good picture over catching the
// mildest degradations: an operator who gets alarms for clear pictures stops reading them.
// Metrics are measured at the working size (long side 640, drivers/image/decode.ts).
import type { ClarityMetrics, FrameComparison } from './metrics.js';

/** The clarity fault codes of DESIGN.md, in the order they are reported. */
export const FAULT_CODES = [
  'decode_error',
  'signal_loss',
  'frozen',
  'scene_change',
  'occlusion',
  'too_dark',
  'too_bright',
  'low_contrast',
  'blur',
  'noise',
  'color_cast',
  'stripe',
] as const;
export type FaultCode = (typeof FAULT_CODES)[number];

export function isFaultCode(s: string): s is FaultCode {
  return (FAULT_CODES as readonly string[]).includes(s);
}

export interface Thresholds {
  /** signal_loss: at least this fraction of the frame is one flat level (a blue/black/grey "no video" screen, small text allowed). */
  signalLossUniformity: number;
  /** too_dark: even the brightest 1% of the frame is below this (underexposed: nothing lit at all) ... */
  darkHighlight: number;
  /** ... or the mean luma is below this (VQD's default is 30; lower, so that a lamp-lit night scene passes). */
  darkMean: number;
  /** too_bright: this fraction is blown out (luma >= 250) ... */
  brightClipped: number;
  /** ... and half the frame is at least this bright (the scene itself is washed out, not just a white sky) ... */
  brightMedian: number;
  /** ... or half the frame is at least this bright with brightClippedSome blown out (a colourful scene over-exposed clips one channel, not luma) ... */
  brightMedianHigh: number;
  brightClippedSome: number;
  /** ... or the mean luma is at least this (VQD's default is 220). */
  brightMean: number;
  /** low_contrast: the picture uses less than this range of levels (99th pct of max(R,G,B) - 1st pct of min(R,G,B)) ... */
  lowContrastRange: number;
  /** ... in a band whose middle ((1st + 99th pct of luma) / 2) is within this distance of mid grey (a pale or a dark surface is not haze). */
  lowContrastCentre: number;
  /** blur: sharpness (1 - blur effect) below this. */
  blurSharpness: number;
  /** noise: luma noise sigma (grey levels at working size) at or above this ... */
  noiseSigma: number;
  /** ... and fine-grained like grain, not texture (pixel vs two-pixel response). */
  noiseFineness: number;
  /** color_cast: |green-magenta tint| of the highlights at or above this ... */
  castTint: number;
  /** ... or their blue excess over red at or above this ... */
  castCool: number;
  /** ... judged only when something in the picture is nearly white in some channel (else there is no white reference). */
  castWhitePoint: number;
  /** occlusion: the largest featureless dark region covers at least this fraction of the frame. */
  occlusionFraction: number;
  /** stripe: a periodic row/column pattern across the whole frame of at least this amplitude (grey levels). */
  stripeAmplitude: number;
  /** frozen: two samples are the same picture when their luma grids differ by less than this on average ... */
  frozenMeanDiff: number;
  /** ... and nowhere by more than this (an OSD clock or a frame counter changes a few cells by much more). */
  frozenMaxDiff: number;
  /** scene_change: the structure correlation with the reference is below this ... */
  sceneSimilarity: number;
  /** ... and the difference hashes differ in at least this many of 64 bits. */
  sceneHashDistance: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  // The "no signal" screens of recorders are one flat colour with under 1% text; a flat
  // panel over 78% of the lens (occlusion) or a near-black but real picture stays well below.
  signalLossUniformity: 0.95,
  // Exposure cut to a quarter leaves the brightest 1% at <= 64; every good picture, dusk
  // and night scenes included, has some lit thing well above 150.
  darkHighlight: 100,
  darkMean: 25,
  // Over-exposure blows out ~20-60% of the frame and lifts the median to >= 189; good
  // bright pictures (white walls, overcast sky, a pale surface) have <= 1.5% clipped or a
  // median <= 175. A colourful scene over-exposed clips single channels, not luma: then a
  // few % clipped with a median >= 190 is enough.
  brightClipped: 0.15,
  brightMedian: 150,
  brightMedianHigh: 190,
  brightClippedSome: 0.03,
  brightMean: 215,
  // Levels squeezed to half the range around mid grey give <= 121; good pictures, a flat
  // grey pavement scene included, use 170 or more. A pale or dark surface seen close up
  // is not haze: the band must sit around mid grey.
  lowContrastRange: 145,
  lowContrastCentre: 60,
  // Gaussian blur of 0.4% of the long side gives <= 0.24, and 0.45% or a 2% motion blur
  // <= 0.28; good pictures, 2x-enlarged (desk 0.34), smooth dusk skies and shallow depth
  // of field included, score 0.34 or more.
  blurSharpness: 0.3,
  // Grain of sigma ~8-10/255 on a 1280 px photograph is >= 2.1 at working size; the
  // grainiest good pictures measure <= 1.1 (fine fabric, film grain) or more only from
  // texture (moss, foliage), which fineness leaves out: grain >= 0.45, texture ~0.40.
  noiseSigma: 1.7,
  noiseFineness: 0.45,
  // White-balance gains of ~0.8/1.1 tint the highlights by |tint| >= 0.26 (green,
  // magenta) or coolness >= 0.29 (blue); good pictures measure |tint| <= 0.13 (sodium
  // lamps, blue hour) and coolness <= 0.13 (overcast sky, water). Warm casts are not
  // judged: sunsets, tungsten and sodium light are warm by nature.
  castTint: 0.19,
  castCool: 0.18,
  // Dusk, storm, fog and forest-shade pictures have no white at all (whitePoint <= 225):
  // their colour is the light's and cannot be told from a cast.
  castWhitePoint: 230,
  // Hands and boards at the lens cover >= 45% of the cells; dark night skies, water and
  // shadows in good pictures are textured, or level and under 25%.
  occlusionFraction: 0.35,
  // Interference lines of +14% every 12 rows measure >= 13 (2 rows of +11% every 16:
  // >= 7); JPEG block edges, the only periodic pattern in good pictures, measure < 1.
  stripeAmplitude: 4,
  // A live camera's sensor noise moves the grid cells by ~0.1-0.3 on average, and an OSD
  // clock moves some by several levels; a stuck encoder repeats the same bytes (0).
  frozenMeanDiff: 0.05,
  frozenMaxDiff: 1,
  // Another scene correlates at <= 0.18 with the reference (hash distance >= 18); the same
  // view blurred, noisy, over- or under-exposed stays >= 0.6 (hash distance <= 6).
  sceneSimilarity: 0.35,
  sceneHashDistance: 16,
});

/** Exposure verdicts first: several other rules need to know the picture is exposed well enough to be judged. */
function exposure(m: ClarityMetrics, t: Thresholds) {
  const tooDark = m.highlight < t.darkHighlight || m.brightness < t.darkMean;
  const tooBright =
    !tooDark &&
    ((m.clipped >= t.brightClipped && m.median >= t.brightMedian) ||
      (m.clipped >= t.brightClippedSome && m.median >= t.brightMedianHigh) ||
      m.brightness >= t.brightMean);
  return { tooDark, tooBright };
}

/**
 * The faults one picture shows on its own, in FAULT_CODES order. A picture may show
 * several; `signal_loss` is reported alone (a flat screen is also dark, flat and blurred,
 * and saying so adds nothing), and symptoms that follow from a bad exposure are not
 * reported on top of it.
 */
export function imageFaults(m: ClarityMetrics, thresholds: Partial<Thresholds> = {}): FaultCode[] {
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  if (m.uniformity >= t.signalLossUniformity) return ['signal_loss'];
  const { tooDark, tooBright } = exposure(m, t);
  const faults: FaultCode[] = [];
  const exposed = !tooDark && !tooBright;
  // A blurred picture of a dusky scene is all smooth dark cells too: occlusion is judged on a
  // lit picture whose uncovered part is sharp (a hand at the lens next to a focused scene).
  const sharp = m.sharpness >= t.blurSharpness;
  const occluded = !tooDark && sharp && m.occlusion >= t.occlusionFraction;
  if (occluded) faults.push('occlusion');
  if (tooDark) faults.push('too_dark');
  if (tooBright) faults.push('too_bright');
  // Under- or over-exposure squeezes the range as a side effect: that is the exposure fault;
  // so does a dark flat occluder over most of the frame.
  const centre = (m.darkLevel + m.highlight) / 2;
  if (exposed && !occluded && m.range < t.lowContrastRange && Math.abs(centre - 128) <= t.lowContrastCentre) faults.push('low_contrast');
  // At a tenth of the exposure the steps are quantisation: sharpness cannot be judged.
  if (!tooDark && !sharp) faults.push('blur');
  // Gain noise in an under/over-exposed frame is the exposure's symptom, not a separate fault.
  if (exposed && m.noise >= t.noiseSigma && m.noiseFineness >= t.noiseFineness) faults.push('noise');
  if (exposed && m.whitePoint >= t.castWhitePoint && (Math.abs(m.tint) >= t.castTint || m.coolness >= t.castCool)) faults.push('color_cast');
  if (m.stripe >= t.stripeAmplitude) faults.push('stripe');
  return faults;
}

/** Same picture as the previous sample (the stream is stuck)? */
export function isFrozen(c: FrameComparison, thresholds: Partial<Thresholds> = {}): boolean {
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  return c.identical || (c.meanAbsDiff < t.frozenMeanDiff && c.maxAbsDiff < t.frozenMaxDiff);
}

/** Does the picture show another scene than the reference (camera turned, moved, swapped)? */
export function isSceneChange(c: FrameComparison, thresholds: Partial<Thresholds> = {}): boolean {
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  return c.similarity < t.sceneSimilarity && c.hashDistance >= t.sceneHashDistance;
}

/** Order codes as FAULT_CODES lists them, without duplicates. */
export function sortFaults(codes: Iterable<string>): FaultCode[] {
  const set = new Set(codes);
  return FAULT_CODES.filter((c) => set.has(c));
}
