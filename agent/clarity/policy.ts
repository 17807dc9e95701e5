// Clarity monitoring policy for one camera: pure, no I/O, no clock of its own.
//
// API (agent/clarity/service.ts builds on this):
//
//   const tracker = createTracker();                       // plain data, JSON-serialisable
//   const r = step(tracker, sample, now, config?);          // one snapshot's analysis → decision
//   r.state     the new tracker (the old one is not modified); persist it as JSON
//   r.verdict   'ok' | 'degraded' | 'fault'  (from the *raised* faults, see VERDICT below)
//   r.faults    the faults raised now (after hysteresis), in FAULT_CODES order
//   r.raised    faults that became raised at this step  → event `clarity.fault`
//   r.cleared   faults that cleared at this step        → event `clarity.cleared`
//   r.observed  what this one sample showed (before hysteresis), for the samples table
//   r.mode      'day' | 'night' (IR / monochrome), as used for this sample
//
//   sample = { analysis, isNight? }      analysis: analyseFrame()'s result (metrics +
//            signature), from the image worker pool; or { error: 'decode_error' } when the
//            camera answered with bytes that are not a picture. A snapshot that could not be
//            fetched at all (camera offline, timeout) is not a clarity sample: do not step.
//            isNight: the camera's day/night (IR-cut) state if known; otherwise a monochrome
//            picture (saturation below `monochromeSaturation`) counts as night.
//   relearn(tracker)   re-learn baseline and reference (after an operator re-aims a camera
//                      or acknowledges a scene change): returns the new tracker.
//   setReference(tracker, signature, mode)   use an operator-chosen reference frame.
//
// Rules:
// - Absolute faults come from faults.ts (imageFaults) on every sample.
// - Baseline: over the first `baselineSamples` good-enough samples of each mode the camera's
//   usual sharpness, brightness, range, noise and colour are learned (medians). After that a
//   "soft" fault (blur, too_dark, too_bright, low_contrast, noise, color_cast) is raised only
//   if the picture is also clearly worse than this camera's usual picture, so a naturally
//   soft or dim scene is not a permanent alarm — unless the absolute value is severe
//   (SEVERE below): a baseline never hides a black frame, a blown-out frame or a picture
//   with no detail left. signal_loss, occlusion, stripe, frozen, scene_change and
//   decode_error are never baselined.
// - Hysteresis: a fault is raised after `raiseAfter` consecutive bad samples and cleared
//   after `clearAfter` consecutive good ones (defaults 3 and 3). A gap longer than
//   `maxGapMs` between samples restarts the counting (the samples are no longer consecutive).
// - Day/night: separate baselines and references per mode; color_cast is never judged on
//   a monochrome (IR) picture, which is legal at night.
// - frozen: the picture is the same (faults.ts isFrozen) in `frozenSamples` consecutive
//   samples (VQD: ~10 frames > 95 % alike); raised at once, since the run is the evidence.
// - scene_change: the picture's structure no longer matches the reference frame of the
//   mode (learned at the end of the baseline, or set); not judged on a frame that is lost,
//   dark or covered (those are their own faults).
import {
  DEFAULT_THRESHOLDS,
  FAULT_CODES,
  imageFaults,
  isFrozen,
  isSceneChange,
  sortFaults,
  type FaultCode,
  type Thresholds,
} from './faults.js';
import { compareSignatures, type ClarityMetrics, type FrameAnalysis, type FrameSignature } from './metrics.js';

export type Verdict = 'ok' | 'degraded' | 'fault';
export type Mode = 'day' | 'night';

/** A raised fault of one of these makes the verdict 'fault' (no usable picture, or not the filed view); others 'degraded'. */
export const VERDICT_FAULT: ReadonlySet<FaultCode> = new Set<FaultCode>([
  'decode_error',
  'signal_loss',
  'frozen',
  'occlusion',
  'scene_change',
  'too_dark',
]);

export interface ClaritySample {
  analysis?: FrameAnalysis | null;
  error?: 'decode_error';
  isNight?: boolean;
}

export interface PolicyConfig {
  raiseAfter: number;
  clearAfter: number;
  baselineSamples: number;
  frozenSamples: number;
  maxGapMs: number;
  /** Below this mean saturation a picture is monochrome (IR night mode). */
  monochromeSaturation: number;
  thresholds: Partial<Thresholds>;
}

export const DEFAULT_POLICY: Readonly<PolicyConfig> = Object.freeze({
  raiseAfter: 3,
  clearAfter: 3,
  // ~3 minutes at one sample per 10 s: long enough to see people and cars come and go.
  baselineSamples: 20,
  frozenSamples: 10,
  maxGapMs: 5 * 60_000,
  // Colour pictures measure >= 0.04 even in grey weather; IR pictures ~0.00-0.01.
  monochromeSaturation: 0.02,
  thresholds: {},
});

/**
 * How much worse than the camera's baseline a soft fault must be, and the absolute
 * levels no baseline can excuse.
 */
const RELATIVE = {
  /** blur: sharpness below this fraction of the usual. */
  sharpness: 0.75,
  /** too_dark: mean luma below this fraction of the usual. */
  darker: 0.6,
  /** too_bright: mean luma above the usual by this many levels. */
  brighter: 30,
  /** low_contrast: range below this fraction of the usual. */
  range: 0.75,
  /** noise: sigma above this multiple of the usual. */
  noise: 1.5,
  /** color_cast: tint / coolness moved by at least this fraction of its absolute threshold. */
  cast: 0.5,
} as const;

const SEVERE = {
  /** Almost no edge survives: the lens is far out of focus or fogged. */
  sharpness: 0.15,
  /** Nothing in the frame reaches this level: a black picture. */
  highlight: 40,
  /** Mean luma: a blown-out picture. */
  brightness: 235,
  /** Range of levels: a grey sheet. */
  range: 60,
  /** Noise sigma at working size: snow. */
  noise: 4,
  /** Tint or coolness of the highlights: unmistakable. */
  cast: 0.45,
} as const;

const BASELINED = new Set<FaultCode>(['blur', 'too_dark', 'too_bright', 'low_contrast', 'noise', 'color_cast']);

interface Baseline {
  sharpness: number;
  brightness: number;
  range: number;
  noise: number;
  tint: number;
  coolness: number;
}
type BaselineKey = keyof Baseline;
const BASELINE_KEYS: readonly BaselineKey[] = ['sharpness', 'brightness', 'range', 'noise', 'tint', 'coolness'];

interface ModeState {
  /** Learned medians, or null while learning. */
  baseline: Baseline | null;
  /** Values collected while learning (cleared once learned). */
  learning: Record<BaselineKey, number[]>;
  reference: FrameSignature | null;
}

interface Streak {
  bad: number;
  good: number;
}

/** Per-camera state: plain JSON data. */
export interface ClarityTracker {
  version: 1;
  samples: number;
  lastAt: number | null;
  /** Raised faults with the time they were raised. */
  active: Partial<Record<FaultCode, number>>;
  streaks: Partial<Record<FaultCode, Streak>>;
  modes: Record<Mode, ModeState>;
  /** The previous sample's signature (for frozen) and how many samples in a row were the same. */
  last: FrameSignature | null;
  sameRun: number;
}

export interface StepResult {
  state: ClarityTracker;
  verdict: Verdict;
  faults: FaultCode[];
  raised: FaultCode[];
  cleared: FaultCode[];
  observed: FaultCode[];
  mode: Mode;
}

function emptyMode(): ModeState {
  return { baseline: null, learning: emptyLearning(), reference: null };
}

function emptyLearning(): Record<BaselineKey, number[]> {
  return { sharpness: [], brightness: [], range: [], noise: [], tint: [], coolness: [] };
}

export function createTracker(): ClarityTracker {
  return { version: 1, samples: 0, lastAt: null, active: {}, streaks: {}, modes: { day: emptyMode(), night: emptyMode() }, last: null, sameRun: 0 };
}

/** Forget baselines and references: they are learned again from the next samples. Raised faults stay until they clear. */
export function relearn(state: ClarityTracker): ClarityTracker {
  const s = clone(state);
  s.modes = { day: emptyMode(), night: emptyMode() };
  return s;
}

export function setReference(state: ClarityTracker, signature: FrameSignature, mode: Mode = 'day'): ClarityTracker {
  const s = clone(state);
  s.modes[mode].reference = clone(signature);
  return s;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function modeOf(sample: ClaritySample, config: PolicyConfig = DEFAULT_POLICY): Mode {
  if (sample.isNight !== undefined) return sample.isNight ? 'night' : 'day';
  const sat = sample.analysis?.metrics.saturation;
  return sat !== undefined && sat < config.monochromeSaturation ? 'night' : 'day';
}

/** Keeps an absolute soft fault only if the picture is also worse than this camera's baseline, or severely bad. */
function confirmAgainstBaseline(code: FaultCode, m: ClarityMetrics, b: Baseline, t: Thresholds): boolean {
  switch (code) {
    case 'blur':
      return m.sharpness < SEVERE.sharpness || m.sharpness < b.sharpness * RELATIVE.sharpness;
    case 'too_dark':
      return m.highlight < SEVERE.highlight || m.brightness < b.brightness * RELATIVE.darker;
    case 'too_bright':
      return m.brightness >= SEVERE.brightness || m.brightness > b.brightness + RELATIVE.brighter;
    case 'low_contrast':
      return m.range < SEVERE.range || m.range < b.range * RELATIVE.range;
    case 'noise':
      return m.noise >= SEVERE.noise || m.noise > b.noise * RELATIVE.noise;
    case 'color_cast':
      return (
        Math.abs(m.tint) >= SEVERE.cast ||
        m.coolness >= SEVERE.cast ||
        Math.abs(m.tint - b.tint) >= t.castTint * RELATIVE.cast ||
        m.coolness - b.coolness >= t.castCool * RELATIVE.cast
      );
    default:
      return true;
  }
}

/** Faults that make a sample unfit to learn "normal" from. */
const UNFIT_FOR_BASELINE = new Set<FaultCode>(['decode_error', 'signal_loss', 'occlusion', 'stripe', 'frozen']);

export function step(state: ClarityTracker, sample: ClaritySample, now: number, config: Partial<PolicyConfig> = {}): StepResult {
  const cfg: PolicyConfig = { ...DEFAULT_POLICY, ...config };
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...cfg.thresholds };
  const s = clone(state);
  const mode = modeOf(sample, cfg);
  const ms = s.modes[mode];

  // Consecutive means consecutive: after a long gap the counting starts again.
  if (s.lastAt !== null && now - s.lastAt > cfg.maxGapMs) {
    s.streaks = {};
    s.sameRun = 0;
    s.last = null;
  }
  s.lastAt = now;
  s.samples += 1;

  const observed = new Set<FaultCode>();
  const analysis = sample.analysis ?? null;
  if (!analysis) {
    observed.add('decode_error');
    s.sameRun = 0;
    s.last = null;
  } else {
    const m = analysis.metrics;
    let faults = imageFaults(m, t);
    // An IR picture at night is grey by design.
    if (mode === 'night' || m.saturation < cfg.monochromeSaturation) faults = faults.filter((f) => f !== 'color_cast');
    if (ms.baseline) {
      const b = ms.baseline;
      faults = faults.filter((f) => !BASELINED.has(f) || confirmAgainstBaseline(f, m, b, t));
    }
    for (const f of faults) observed.add(f);

    // frozen: the same picture sample after sample. A "no video" screen is always the same: that is signal_loss.
    if (s.last && isFrozen(compareSignatures(s.last, analysis.signature), t)) s.sameRun += 1;
    else s.sameRun = 0;
    s.last = analysis.signature;
    if (s.sameRun >= cfg.frozenSamples - 1 && !observed.has('signal_loss')) observed.add('frozen');

    // scene_change: only on a picture that can be compared at all.
    const comparable = !['signal_loss', 'too_dark', 'occlusion'].some((f) => observed.has(f as FaultCode));
    if (ms.reference && comparable && isSceneChange(compareSignatures(ms.reference, analysis.signature), t)) observed.add('scene_change');

    // Learn what is normal for this camera from pictures without hard faults.
    const fit = ![...observed].some((f) => UNFIT_FOR_BASELINE.has(f));
    if (!ms.baseline && fit) {
      for (const k of BASELINE_KEYS) ms.learning[k].push(m[k]);
      if (ms.learning.sharpness.length >= cfg.baselineSamples) {
        const learned = {} as Baseline;
        for (const k of BASELINE_KEYS) learned[k] = median(ms.learning[k]);
        ms.baseline = learned;
        ms.learning = emptyLearning();
        ms.reference ??= analysis.signature;
      }
    }
  }

  // Hysteresis.
  const raised: FaultCode[] = [];
  const cleared: FaultCode[] = [];
  for (const code of FAULT_CODES) {
    const streak = s.streaks[code] ?? { bad: 0, good: 0 };
    const bad = observed.has(code);
    if (bad) {
      streak.bad += 1;
      streak.good = 0;
    } else {
      streak.good += 1;
      streak.bad = 0;
    }
    const isActive = s.active[code] !== undefined;
    // frozen carries its own evidence (a run of frozenSamples same pictures); a single corrupt snapshot is a glitch, three are a fault.
    const need = code === 'frozen' ? 1 : cfg.raiseAfter;
    if (!isActive && streak.bad >= need) {
      s.active[code] = now;
      raised.push(code);
    } else if (isActive && streak.good >= cfg.clearAfter) {
      delete s.active[code];
      cleared.push(code);
    }
    if (streak.bad === 0 && streak.good >= cfg.clearAfter && s.active[code] === undefined) delete s.streaks[code];
    else s.streaks[code] = streak;
  }

  const faults = sortFaults(Object.keys(s.active));
  const verdict: Verdict = faults.length === 0 ? 'ok' : faults.some((f) => VERDICT_FAULT.has(f)) ? 'fault' : 'degraded';
  return { state: s, verdict, faults, raised, cleared, observed: sortFaults(observed), mode };
}
