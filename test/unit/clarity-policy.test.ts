import { describe, expect, it } from 'vitest';
import type { ClarityMetrics, FrameAnalysis, FrameSignature } from '../../agent/clarity/metrics.js';
import { createTracker, relearn, setReference, step, type ClaritySample, type ClarityTracker, type PolicyConfig, type StepResult } from '../../agent/clarity/policy.js';

// A good daytime picture's metrics (values as analyseFrame gives for a clear street scene).
const GOOD: ClarityMetrics = {
  brightness: 120,
  darkLevel: 15,
  median: 110,
  highlight: 240,
  clipped: 0.005,
  contrast: 55,
  range: 240,
  whitePoint: 250,
  sharpness: 0.55,
  edges: 0.08,
  noise: 0.4,
  noiseFineness: 0.4,
  saturation: 0.12,
  tint: 0.01,
  coolness: 0.03,
  uniformity: 0.15,
  occlusion: 0,
  stripe: 0.2,
  stripePeriod: 4,
};

/** A 16x12 luma grid: a scene's layout; `jitter` is a live camera's sensor noise. */
function grid(scene: number, jitter = 0, seed = 1): FrameSignature {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) - 0.5;
  const thumb: number[] = [];
  for (let y = 0; y < 12; y++) {
    for (let x = 0; x < 16; x++) {
      const v = scene === 1 ? 60 + 10 * x + (y > 6 ? 50 : 0) + ((x * 7 + y * 3) % 5) * 8 : 200 - 9 * y - ((x * 5 + y * 11) % 7) * 9;
      thumb.push(Math.round((v + jitter * rnd()) * 100) / 100);
    }
  }
  let h = 0;
  for (const v of thumb) h = (Math.imul(h ^ Math.round(v * 100), 16777619) >>> 0) & 0xffffffff;
  // dHash of a coarse version: enough for these tests.
  let hash = '';
  for (let y = 0; y < 8; y++) {
    let byte = 0;
    for (let x = 0; x < 8; x++) byte = (byte << 1) | (thumb[Math.floor((y * 12) / 8) * 16 + 2 * x]! > thumb[Math.floor((y * 12) / 8) * 16 + 2 * x + 1]! ? 1 : 0);
    hash += byte.toString(16).padStart(2, '0');
  }
  return { cols: 16, rows: 12, thumb, hash, digest: (h >>> 0).toString(16).padStart(8, '0') };
}

let frameNo = 0;
/** A live sample: the scene with fresh sensor noise every time (never frozen). */
function sample(m: Partial<ClarityMetrics> = {}, extra: Partial<ClaritySample> = {}, scene = 1): ClaritySample {
  const analysis: FrameAnalysis = { metrics: { ...GOOD, ...m }, signature: grid(scene, 1.5, ++frameNo) };
  return { analysis, ...extra };
}

/** Steps through samples with a 10 s clock; returns every result. */
function run(state: ClarityTracker, samples: ClaritySample[], t0 = 1_000_000, config: Partial<PolicyConfig> = {}) {
  const results: StepResult[] = [];
  let s = state;
  samples.forEach((smp, i) => {
    const r = step(s, smp, t0 + i * 10_000, config);
    results.push(r);
    s = r.state;
  });
  return { state: s, results, last: results[results.length - 1]! };
}

const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

describe('hysteresis', () => {
  it('raises after 3 bad samples and clears after 3 good ones', () => {
    const blurred = { sharpness: 0.2 };
    const { results } = run(createTracker(), [...times(3, () => sample(blurred)), ...times(3, () => sample())]);
    expect(results.map((r) => r.observed)).toEqual([['blur'], ['blur'], ['blur'], [], [], []]);
    expect(results.map((r) => r.faults)).toEqual([[], [], ['blur'], ['blur'], ['blur'], []]);
    expect(results[2]).toMatchObject({ raised: ['blur'], verdict: 'degraded' });
    expect(results[5]).toMatchObject({ cleared: ['blur'], verdict: 'ok' });
    expect(results.flatMap((r) => r.raised)).toEqual(['blur']);
  });

  it('a single good sample in a bad run restarts the count; K and M are configurable', () => {
    const bad = () => sample({ highlight: 60, brightness: 20 });
    const { results } = run(createTracker(), [bad(), bad(), sample(), bad(), bad(), bad()]);
    expect(results.map((r) => r.raised)).toEqual([[], [], [], [], [], ['too_dark']]);
    expect(results[5]!.verdict).toBe('fault');
    const quick = run(createTracker(), [bad()], 0, { raiseAfter: 1 });
    expect(quick.last.raised).toEqual(['too_dark']);
  });

  it('a gap longer than maxGapMs restarts the counting (samples must be consecutive)', () => {
    const bad = { sharpness: 0.2 };
    let s = createTracker();
    s = step(s, sample(bad), 0).state;
    s = step(s, sample(bad), 10_000).state;
    const afterGap = step(s, sample(bad), 10_000 + 6 * 60_000);
    expect(afterGap.faults).toEqual([]);
    const next = step(afterGap.state, sample(bad), 10_000 + 6 * 60_000 + 10_000);
    const third = step(next.state, sample(bad), 10_000 + 6 * 60_000 + 20_000);
    expect(third.raised).toEqual(['blur']);
    // Raised faults remember when they were raised (the injected clock).
    expect(third.state.active.blur).toBe(10_000 + 6 * 60_000 + 20_000);
  });

  it('does not modify the state it is given, and the state survives JSON', () => {
    const s0 = createTracker();
    const frozenCopy = JSON.stringify(s0);
    const r = step(s0, sample({ sharpness: 0.2 }), 5);
    expect(JSON.stringify(s0)).toBe(frozenCopy);
    const revived = JSON.parse(JSON.stringify(r.state)) as ClarityTracker;
    const a = step(revived, sample({ sharpness: 0.2 }), 10);
    const b = step(r.state, sample({ sharpness: 0.2 }), 10);
    expect(a.observed).toEqual(b.observed);
    expect(a.state.streaks).toEqual(b.state.streaks);
  });

  it('bytes that are not a picture: decode_error after 3 samples, verdict fault', () => {
    const { last } = run(createTracker(), times(3, () => ({ error: 'decode_error' as const })));
    expect(last).toMatchObject({ raised: ['decode_error'], faults: ['decode_error'], verdict: 'fault' });
  });
});

describe('baseline', () => {
  const cfg = { baselineSamples: 5 };

  it('a naturally soft scene stops being a blur fault once the camera is learned, but a further drop is one', () => {
    const soft = () => sample({ sharpness: 0.27 });
    const learning = run(createTracker(), times(5, soft), 0, cfg);
    // While learning, the absolute rule speaks.
    expect(learning.results[2]!.raised).toEqual(['blur']);
    expect(learning.state.modes.day.baseline?.sharpness).toBeCloseTo(0.27);
    // Learned: the same softness is this camera's normal picture.
    const normal = run(learning.state, times(3, soft), 100_000, cfg);
    expect(normal.results.map((r) => r.observed)).toEqual([[], [], []]);
    expect(normal.last.cleared).toEqual(['blur']);
    // Clearly worse than usual (below 75 % of the baseline): blur again.
    const worse = run(normal.state, times(3, () => sample({ sharpness: 0.18 })), 200_000, cfg);
    expect(worse.last.raised).toEqual(['blur']);
  });

  it('a dim scene learned as normal does not hide a black frame or a lost signal', () => {
    const dim = () => sample({ brightness: 22, median: 18, highlight: 120 });
    const learned = run(createTracker(), times(5, dim), 0, cfg).state;
    expect(learned.modes.day.baseline?.brightness).toBeCloseTo(22);
    // Somewhat darker than an already-dim normal: not worse enough to alarm.
    expect(run(learned, times(3, () => sample({ brightness: 19, median: 16, highlight: 95 })), 100_000, cfg).last.faults).toEqual([]);
    const black = run(learned, times(3, () => sample({ brightness: 2, median: 1, highlight: 6 })), 200_000, cfg);
    expect(black.last).toMatchObject({ faults: ['too_dark'], verdict: 'fault' });
    const lost = run(learned, times(3, () => sample({ uniformity: 1, brightness: 23, highlight: 23 })), 300_000, cfg);
    expect(lost.last.faults).toContain('signal_loss');
  });

  it('pictures with hard faults are not learned as normal; relearn() starts over', () => {
    const covered = () => sample({ occlusion: 0.7 });
    const s = run(createTracker(), times(8, covered), 0, cfg).state;
    expect(s.modes.day.baseline).toBeNull();
    expect(s.modes.day.learning.sharpness).toEqual([]);
    const learned = run(createTracker(), times(5, () => sample()), 0, cfg).state;
    expect(learned.modes.day.baseline).not.toBeNull();
    expect(learned.modes.day.reference).not.toBeNull();
    const again = relearn(learned);
    expect(again.modes.day).toMatchObject({ baseline: null, reference: null });
  });
});

describe('day and night', () => {
  const cast = { tint: 0.3 };

  it('a monochrome (IR) picture is never a colour cast; a colour picture is', () => {
    const night = run(createTracker(), times(3, () => sample({ ...cast, saturation: 0.004 })));
    expect(night.results.map((r) => r.mode)).toEqual(['night', 'night', 'night']);
    expect(night.last.faults).toEqual([]);
    const day = run(createTracker(), times(3, () => sample(cast)));
    expect(day.last.faults).toEqual(['color_cast']);
  });

  it('the camera’s own isNight wins over the picture, and day and night keep separate baselines', () => {
    const cfg = { baselineSamples: 3 };
    const r = run(createTracker(), [...times(3, () => sample({ brightness: 130 }, { isNight: false })), ...times(3, () => sample({ brightness: 60 }, { isNight: true }))], 0, cfg);
    expect(r.results.map((x) => x.mode)).toEqual(['day', 'day', 'day', 'night', 'night', 'night']);
    expect(r.state.modes.day.baseline?.brightness).toBe(130);
    expect(r.state.modes.night.baseline?.brightness).toBe(60);
    // isNight with a colour picture still suppresses colour cast (IR-cut filter out).
    expect(step(r.state, sample(cast, { isNight: true }), 100_000).observed).not.toContain('color_cast');
  });
});

describe('frozen picture', () => {
  it('is raised when 10 consecutive samples are the same picture, and clears when it moves', () => {
    const still: ClaritySample = { analysis: { metrics: GOOD, signature: grid(1) } };
    const { results, state } = run(createTracker(), times(10, () => still));
    expect(results.slice(0, 9).every((r) => !r.observed.includes('frozen'))).toBe(true);
    expect(results[9]).toMatchObject({ raised: ['frozen'], verdict: 'fault' });
    const moving = run(state, times(3, () => sample()), 200_000);
    expect(moving.last.cleared).toEqual(['frozen']);
  });

  it('live frames of a static scene (sensor noise) are never frozen; a "no video" screen is signal_loss, not frozen', () => {
    const live = run(createTracker(), times(15, () => sample()));
    expect(live.results.some((r) => r.observed.includes('frozen'))).toBe(false);
    const screen: ClaritySample = { analysis: { metrics: { ...GOOD, uniformity: 1, brightness: 23, highlight: 23 }, signature: grid(2) } };
    const lost = run(createTracker(), times(12, () => screen));
    expect(lost.last.faults).toEqual(['signal_loss']);
  });

  it('frozenSamples is configurable', () => {
    const still: ClaritySample = { analysis: { metrics: GOOD, signature: grid(1) } };
    expect(run(createTracker(), times(4, () => still), 0, { frozenSamples: 4 }).last.raised).toEqual(['frozen']);
  });
});

describe('scene change', () => {
  const cfg = { baselineSamples: 3 };

  it('the reference is learned with the baseline; another view for 3 samples raises scene_change', () => {
    const learned = run(createTracker(), times(3, () => sample()), 0, cfg).state;
    expect(learned.modes.day.reference?.cols).toBe(16);
    const turned = run(learned, times(3, () => sample({}, {}, 2)), 100_000, cfg);
    expect(turned.results.map((r) => r.observed)).toEqual([['scene_change'], ['scene_change'], ['scene_change']]);
    expect(turned.last).toMatchObject({ raised: ['scene_change'], verdict: 'fault' });
    // Back to the filed view: cleared after 3 good samples.
    expect(run(turned.state, times(3, () => sample()), 200_000, cfg).last.cleared).toEqual(['scene_change']);
  });

  it('is not judged on a lost, dark or covered picture; an operator can set the reference', () => {
    const learned = run(createTracker(), times(3, () => sample()), 0, cfg).state;
    const covered = step(learned, sample({ occlusion: 0.7 }, {}, 2), 100_000, cfg);
    expect(covered.observed).toEqual(['occlusion']);
    const reaimed = setReference(learned, grid(2));
    expect(step(reaimed, sample({}, {}, 2), 100_000, cfg).observed).toEqual([]);
    expect(step(reaimed, sample({}, {}, 1), 100_000, cfg).observed).toEqual(['scene_change']);
  });
});
