import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forecastAlarm, forecastCapacity } from '../../agent/retention/forecast.js';
import {
  DAY_MS,
  buildTimeline,
  columnsOf,
  DEFAULT_TUNING,
  planRetention,
  type DiskConstraint,
  type HoldFact,
  type PlanInput,
  type RetentionPlan,
  type RetentionPolicy,
  type SegmentFact,
} from '../../agent/retention/policy.js';
import { seededRandom } from '../../scripts/lib/seeded-random.js';

// The retention policy: examples for each rule, then properties over random indexes,
// holds, quotas and clocks (fast-check; a failure prints its seed and the shrunk case).

const MIN = 60_000;
const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-31T00:00:00Z');

const POLICY: RetentionPolicy = { floorDays: 15, profileFloorDays: 15, ceilingDays: 30, deleteAbovePercent: 90, deleteDownToPercent: 85, stopAbovePercent: 97 };

/** Continuous recording of the cameras from `fromMs` to `toMs`, indexed live (ids in closing order). */
function recording(cameras: string[], fromMs: number, toMs: number, segMs: number, bytes = 1000): SegmentFact[] {
  const out: SegmentFact[] = [];
  let id = 1;
  for (let t = fromMs; t + segMs <= toMs; t += segMs) {
    for (const cameraId of cameras) {
      out.push({ id: id++, cameraId, path: `${cameraId}/${t}.mp4`, startMs: t, endMs: t + segMs, bytes, sha256: null, indexedMs: t + segMs + 500 });
    }
  }
  return out;
}

function plan(segments: SegmentFact[], over: Partial<PlanInput> = {}): RetentionPlan {
  return planRetention({ segments, holds: [], policy: POLICY, disk: [], wallMs: NOW, ...over });
}

const ids = (p: RetentionPlan) => p.deletions.map((d) => d.segment.id);
const hold = (h: Partial<HoldFact> & Pick<HoldFact, 'cameraId' | 'fromMs' | 'toMs'>): HoldFact => ({ id: 'h', kind: 'legal', untilMs: null, releasedMs: null, ...h });

describe('retention policy: examples', () => {
  const segs = recording(['a', 'b'], NOW - 40 * DAY_MS, NOW, HOUR);

  it('deletes past the ceiling, keeps the floor and what lies between', () => {
    const p = plan(segs);
    expect(p.deletions.length).toBeGreaterThan(0);
    for (const d of p.deletions) {
      expect(d.reason).toBe('past_ceiling');
      expect(d.segment.endMs).toBeLessThan(NOW - 30 * DAY_MS);
    }
    const deleted = new Set(ids(p));
    // Everything older than the ceiling goes; nothing younger.
    for (const s of segs) expect(deleted.has(s.id)).toBe(s.endMs < NOW - 30 * DAY_MS);
    expect(p.kept.floor + p.kept.hold + p.kept.other + p.deletions.length).toBe(segs.length);
    expect(p.kept.floor).toBeGreaterThanOrEqual(segs.filter((s) => s.endMs >= NOW - 15 * DAY_MS).length);
  });

  it('the floor is the larger of the config and the profile (defence in depth)', () => {
    const p = plan(segs, { policy: { ...POLICY, floorDays: 3, ceilingDays: 5, profileFloorDays: 15 } });
    expect(p.floorMs).toBe(15 * DAY_MS);
    for (const d of p.deletions) expect(d.segment.endMs).toBeLessThan(NOW - 15 * DAY_MS);
  });

  it('judges by the END: a long segment whose name is old but end is recent is kept', () => {
    const long: SegmentFact = { id: 10_000, cameraId: 'a', path: 'a/old-name.mp4', startMs: NOW - 60 * DAY_MS, endMs: NOW - 2 * DAY_MS, bytes: 5, sha256: null, indexedMs: NOW - 2 * DAY_MS };
    const p = plan([...segs, long], { disk: [{ name: 'quota', capacityBytes: 1, usedBytes: 10 ** 9 }] });
    expect(ids(p)).not.toContain(10_000);
  });

  it('an active hold protects past the ceiling and under disk pressure; released and expired ones do not', () => {
    const from = NOW - 35 * DAY_MS;
    const to = from + 6 * HOUR;
    const inHold = segs.filter((s) => s.cameraId === 'a' && s.startMs < to && s.endMs > from).map((s) => s.id);
    expect(inHold.length).toBe(6);
    const disk: DiskConstraint[] = [{ name: 'quota', capacityBytes: 1000, usedBytes: 10 ** 9 }];
    const legal = plan(segs, { holds: [hold({ cameraId: 'a', fromMs: from, toMs: to })], disk });
    for (const id of inHold) expect(ids(legal)).not.toContain(id);
    expect(legal.kept.hold).toBe(6);
    const vital = plan(segs, { holds: [hold({ cameraId: 'a', fromMs: from, toMs: to, kind: 'vital', untilMs: NOW + DAY_MS })], disk });
    for (const id of inHold) expect(ids(vital)).not.toContain(id);
    const released = plan(segs, { holds: [hold({ cameraId: 'a', fromMs: from, toMs: to, releasedMs: NOW - DAY_MS })] });
    for (const id of inHold) expect(ids(released)).toContain(id);
    const expired = plan(segs, { holds: [hold({ cameraId: 'a', fromMs: from, toMs: to, kind: 'vital', untilMs: NOW - DAY_MS })] });
    for (const id of inHold) expect(ids(expired)).toContain(id);
    // Another camera's hold protects nothing here.
    const other = plan(segs, { holds: [hold({ cameraId: 'b', fromMs: from, toMs: to })] });
    for (const id of inHold) expect(ids(other)).toContain(id);
  });

  it('a hold is half-open: a segment that ends exactly where it starts is not held', () => {
    const s = segs.find((x) => x.cameraId === 'a' && x.endMs < NOW - 31 * DAY_MS) as SegmentFact;
    expect(ids(plan(segs, { holds: [hold({ cameraId: 'a', fromMs: s.endMs, toMs: s.endMs + HOUR })] }))).toContain(s.id);
    expect(ids(plan(segs, { holds: [hold({ cameraId: 'a', fromMs: s.endMs - 1, toMs: s.endMs + HOUR })] }))).not.toContain(s.id);
  });

  it('disk pressure deletes the oldest unprotected first across cameras, and only what is needed', () => {
    const recent = recording(['a', 'b', 'c'], NOW - 25 * DAY_MS, NOW, HOUR, 100);
    const total = recent.length * 100;
    // 95 % full: must get down to 85 %.
    const capacity = Math.round(total / 0.95);
    const p = plan(recent, { disk: [{ name: 'quota', capacityBytes: capacity, usedBytes: total }] });
    const need = total - 0.85 * capacity;
    expect(p.pressure.needBytes).toBeCloseTo(need);
    const freed = p.deletions.reduce((n, d) => n + d.segment.bytes, 0);
    expect(freed).toBeGreaterThanOrEqual(need);
    expect(freed - 100).toBeLessThan(need);
    expect(p.deletions.every((d) => d.reason === 'disk_pressure')).toBe(true);
    // The oldest, whichever camera: the first hours of all three.
    const oldest = [...recent].sort((x, y) => x.endMs - y.endMs || x.id - y.id).slice(0, p.deletions.length).map((s) => s.id);
    expect(ids(p)).toEqual(oldest);
    expect(new Set(p.deletions.map((d) => d.segment.cameraId))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('between the watermarks nothing is deleted for pressure (hysteresis)', () => {
    const recent = recording(['a'], NOW - 20 * DAY_MS, NOW, HOUR, 100);
    const total = recent.length * 100;
    const p = plan(recent, { disk: [{ name: 'filesystem', capacityBytes: Math.round(total / 0.88), usedBytes: total }] });
    expect(p.deletions).toEqual([]);
  });

  it('only protected segments left: floor_at_risk, nothing deleted; past the hard watermark the lowest priority stops', () => {
    const young = recording(['a', 'b', 'c'], NOW - 10 * DAY_MS, NOW, HOUR, 100);
    const total = young.length * 100;
    const cameras = [
      { id: 'a', priority: 5 },
      { id: 'b', priority: 0 },
      { id: 'c', priority: 0 },
    ];
    const soft = plan(young, { disk: [{ name: 'quota', capacityBytes: Math.round(total / 0.93), usedBytes: total }], cameras });
    expect(soft.deletions).toEqual([]);
    expect(soft.alarms.map((a) => [a.type, a.severity])).toEqual([['storage.floor_at_risk', 'critical']]);
    expect(soft.recording.stop).toEqual([]);

    const hard = plan(young, { disk: [{ name: 'quota', capacityBytes: Math.round(total / 0.99), usedBytes: total }], cameras });
    expect(hard.deletions).toEqual([]);
    expect(hard.recording.stop).toEqual(['b', 'c']);
    const next = plan(young, { disk: [{ name: 'quota', capacityBytes: Math.round(total / 0.99), usedBytes: total }], cameras, stoppedCameras: ['b', 'c'] });
    expect(next.recording.stop).toEqual(['a']);
    // Room again (below deleteAbove): what retention stopped resumes.
    const room = plan(young, { disk: [{ name: 'quota', capacityBytes: total * 2, usedBytes: total }], cameras, stoppedCameras: ['b', 'c'] });
    expect(room.recording).toEqual({ stop: [], resume: ['b', 'c'] });
    expect(room.alarms).toEqual([]);
  });

  it('never deletes a segment being written', () => {
    const p = plan(segs, { openPaths: new Set([segs[0]!.path]) });
    expect(ids(p)).not.toContain(segs[0]!.id);
    expect(ids(p)).toContain(segs[1]!.id);
  });

  it('the wall clock set back or forward by weeks changes nothing, and raises clock.jump', () => {
    const base = ids(plan(segs));
    const back = plan(segs, { wallMs: NOW - 20 * DAY_MS });
    const forward = plan(segs, { wallMs: NOW + 20 * DAY_MS });
    expect(ids(back)).toEqual(base);
    expect(ids(forward)).toEqual(base);
    expect(back.alarms).toEqual([expect.objectContaining({ type: 'clock.jump', severity: 'critical' })]);
    expect(forward.alarms).toEqual([expect.objectContaining({ type: 'clock.jump', severity: 'warning' })]);
  });

  it('recordings made after the clock was set back keep their place in time (index order)', () => {
    // 20 days recorded, then the clock goes back 25 days and recording goes on for 2 days.
    const before = recording(['a'], NOW - 22 * DAY_MS, NOW - 2 * DAY_MS, HOUR);
    const after = recording(['a'], NOW - 2 * DAY_MS, NOW, HOUR).map((s, i) => ({
      ...s,
      id: before.length + i + 1,
      path: `a/after-${i}.mp4`,
      startMs: s.startMs - 25 * DAY_MS,
      endMs: s.endMs - 25 * DAY_MS,
      indexedMs: s.indexedMs - 25 * DAY_MS,
    }));
    const p = plan([...before, ...after], { wallMs: NOW - 25 * DAY_MS, disk: [{ name: 'quota', capacityBytes: 1, usedBytes: 10 ** 9 }] });
    const deleted = new Set(ids(p));
    for (const s of after) expect(deleted.has(s.id)).toBe(false);
    for (const s of before) if (s.endMs >= NOW - 15 * DAY_MS) expect(deleted.has(s.id)).toBe(false);
    expect(p.alarms.some((a) => a.type === 'clock.jump' && a.data?.direction === 'back')).toBe(true);
  });

  it('a clock set forward while recording does not age what came before', () => {
    const before = recording(['a'], NOW - 20 * DAY_MS, NOW - 1 * DAY_MS, HOUR);
    const after = recording(['a'], NOW - 1 * DAY_MS, NOW, HOUR).map((s, i) => ({
      ...s,
      id: before.length + i + 1,
      path: `a/after-${i}.mp4`,
      startMs: s.startMs + 30 * DAY_MS,
      endMs: s.endMs + 30 * DAY_MS,
      indexedMs: s.indexedMs + 30 * DAY_MS,
    }));
    const p = plan([...before, ...after], { wallMs: NOW + 30 * DAY_MS, disk: [{ name: 'quota', capacityBytes: 1, usedBytes: 10 ** 9 }] });
    for (const d of p.deletions) expect(d.segment.endMs).toBeLessThan(NOW - 15 * DAY_MS);
  });

  it('a clock set forward across a restart that adopted files still does not age what came before', () => {
    const before = recording(['a'], NOW - 20 * DAY_MS, NOW - 1 * DAY_MS, HOUR);
    const restart = NOW - 1 * DAY_MS + 30 * DAY_MS; // the box comes back with its clock 30 days ahead
    const adopted = [0, 1, 2].map((k): SegmentFact => ({ id: before.length + 1 + k, cameraId: 'n', path: `n/${k}.mp4`, startMs: NOW - 50 * DAY_MS, endMs: NOW - 50 * DAY_MS + HOUR, bytes: 1, sha256: null, indexedMs: restart }));
    const after = recording(['a'], NOW - 1 * DAY_MS, NOW, HOUR).map((s, i) => ({
      ...s,
      id: before.length + adopted.length + i + 1,
      path: `a/after-${i}.mp4`,
      startMs: s.startMs + 30 * DAY_MS,
      endMs: s.endMs + 30 * DAY_MS,
      indexedMs: s.indexedMs + 30 * DAY_MS,
    }));
    const p = plan([...before, ...adopted, ...after], { wallMs: NOW + 30 * DAY_MS, disk: [{ name: 'quota', capacityBytes: 1, usedBytes: 10 ** 9 }] });
    for (const d of p.deletions) if (d.segment.cameraId === 'a') expect(d.segment.endMs).toBeLessThan(NOW - 15 * DAY_MS);
  });

  it('adopted files (indexed long after they ended) age by their own end; a future mtime keeps them', () => {
    const live = recording(['a'], NOW - 2 * DAY_MS, NOW, HOUR);
    const old: SegmentFact = { id: 9001, cameraId: 'n', path: 'n/old.mp4', startMs: NOW - 40 * DAY_MS - HOUR, endMs: NOW - 40 * DAY_MS, bytes: 1, sha256: null, indexedMs: NOW };
    const future: SegmentFact = { id: 9002, cameraId: 'n', path: 'n/future.mp4', startMs: NOW - 40 * DAY_MS, endMs: NOW + 400 * DAY_MS, bytes: 1, sha256: null, indexedMs: NOW };
    const p = plan([...live, old, future], { disk: [{ name: 'quota', capacityBytes: 1, usedBytes: 10 ** 9 }] });
    expect(ids(p)).toContain(9001);
    expect(ids(p)).not.toContain(9002);
    // One bogus future file does not move "now": the live recordings still set it.
    expect(p.decisionNowMs).toBe(NOW);
  });

  it('with nothing indexed live, the wall clock is now', () => {
    const adopted = recording(['a'], NOW - 40 * DAY_MS, NOW - 20 * DAY_MS, HOUR).map((s) => ({ ...s, indexedMs: NOW }));
    const p = plan(adopted);
    expect(p.decisionNowMs).toBe(NOW);
    for (const d of p.deletions) expect(d.segment.endMs).toBeLessThan(NOW - 30 * DAY_MS);
    expect(p.deletions.length).toBeGreaterThan(0);
  });
});

describe('capacity forecast', () => {
  it('days retainable from the recent rate; short of the floor + margin raises forecast_short', () => {
    // 2 cameras, 100 bytes per hour each, for 3 days: 4800 bytes/day.
    const segs = recording(['a', 'b'], NOW - 3 * DAY_MS, NOW, HOUR, 100);
    const base = { segments: columnsOf(segs), deleteAbovePercent: 90, floorDays: 15, marginDays: 2, heldBytes: 0, protectedBytes: 14_400, nowMs: NOW };
    const roomy = forecastCapacity({ ...base, disk: [{ name: 'quota', capacityBytes: 200_000, usedBytes: 14_400 }] });
    expect(roomy.bytesPerDay).toBe(4800);
    expect(roomy.daysRetainable).toBeCloseTo(37.5, 1);
    expect(roomy.ok).toBe(true);
    expect(roomy.cameras.a).toMatchObject({ days: 3, oldest: new Date(NOW - 3 * DAY_MS).toISOString(), bytesPerDay: 2400 });
    expect(forecastAlarm(roomy)).toBeNull();
    // 78 000 x 90 % = 70 200 usable: 14.6 days; today's 14 400 protected bytes reach it in 11.6 days.
    const tight = forecastCapacity({ ...base, disk: [{ name: 'quota', capacityBytes: 78_000, usedBytes: 14_400 }] });
    expect(tight.daysRetainable).toBeCloseTo(14.6, 1);
    expect(tight.ok).toBe(false);
    expect(tight.daysUntilAtRisk).toBeCloseTo(11.6, 1);
    expect(forecastAlarm(tight)).toMatchObject({ type: 'storage.forecast_short', severity: 'warning' });
  });

  it('other files on the filesystem and held bytes reduce what rotates', () => {
    const segs = recording(['a'], NOW - 2 * DAY_MS, NOW, HOUR, 100);
    const f = forecastCapacity({
      segments: columnsOf(segs),
      disk: [{ name: 'filesystem', capacityBytes: 100_000, usedBytes: 4800 + 40_000 }],
      deleteAbovePercent: 90,
      floorDays: 15,
      marginDays: 2,
      protectedBytes: 4800,
      heldBytes: 10_000,
      nowMs: NOW,
    });
    // usable = 90 000 - 40 000 (others) = 50 000; rotating = 40 000; at 2400/day: 16.7 days.
    expect(f.usableBytes).toBe(50_000);
    expect(f.daysRetainable).toBeCloseTo(16.7, 1);
    expect(f.ok).toBe(false);
  });

  it('no recent recordings: unknown, not alarming', () => {
    const f = forecastCapacity({ segments: columnsOf([]), disk: [{ name: 'quota', capacityBytes: 10, usedBytes: 0 }], deleteAbovePercent: 90, floorDays: 15, marginDays: 2, protectedBytes: 0, heldBytes: 0, nowMs: NOW });
    expect(f).toMatchObject({ daysRetainable: null, ok: true });
  });
});

// ---- properties -------------------------------------------------------------------

interface World {
  segments: SegmentFact[];
  /** True (physical) times, by segment id. */
  trueEnd: Map<number, number>;
  /** When each segment was indexed, in true time. */
  indexedAt: Map<number, number>;
  /** The box clock's error at a true time. */
  offsetAt: (t: number) => number;
  trueNow: number;
  holds: HoldFact[];
  input: PlanInput;
}

const worldArb = fc
  .record({
    seed: fc.integer(),
    cameras: fc.integer({ min: 1, max: 4 }),
    spanDays: fc.integer({ min: 1, max: 50 }),
    segMin: fc.constantFrom(1, 10, 60, 180),
    floorDays: fc.integer({ min: 1, max: 20 }),
    profileFloorDays: fc.integer({ min: 1, max: 20 }),
    ceilingExtra: fc.integer({ min: 0, max: 20 }),
    above: fc.integer({ min: 40, max: 95 }),
    downGap: fc.integer({ min: 0, max: 30 }),
    stopGap: fc.integer({ min: 1, max: 10 }),
    fill: fc.double({ min: 0.2, max: 1.6, noNaN: true }),
    otherFrac: fc.double({ min: 0, max: 0.5, noNaN: true }),
    quota: fc.boolean(),
    holds: fc.array(
      fc.record({
        camera: fc.nat(3),
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        hours: fc.integer({ min: 1, max: 72 }),
        kind: fc.constantFrom('vital', 'legal'),
        state: fc.constantFrom('active', 'released', 'expired'),
      }),
      { maxLength: 5 },
    ),
    wallShiftDays: fc.integer({ min: -40, max: 40 }),
    jumps: fc.array(fc.record({ at: fc.double({ min: 0.05, max: 0.95, noNaN: true }), days: fc.integer({ min: -40, max: 40 }).filter((d) => d !== 0) }), { maxLength: 2 }),
    adopted: fc.integer({ min: 0, max: 5 }),
  })
  .map((p): World => {
    const rnd = seededRandom(p.seed); // fast-check picks the seed, the bulk is drawn from it
    const segMs = Math.max(p.segMin * MIN, (p.spanDays * DAY_MS) / 150); // at most ~150 segments per camera
    const start = NOW - p.spanDays * DAY_MS;
    // The box clock's error as a function of true time: piecewise constant jumps.
    const jumps = [...p.jumps].sort((a, b) => a.at - b.at).map((j) => ({ t: start + j.at * p.spanDays * DAY_MS, off: j.days * DAY_MS }));
    const offsetAt = (t: number) => jumps.reduce((off, j) => (t >= j.t ? j.off : off), 0);
    const raw: { cam: string; ts: number; te: number; closeAt: number }[] = [];
    for (let c = 0; c < p.cameras; c += 1) {
      let t = start + rnd() * segMs;
      while (t < NOW) {
        if (rnd() < 0.08) t += rnd() * 6 * HOUR; // the camera was down a while
        const dur = segMs * (0.5 + rnd() / 2);
        if (t + dur > NOW) break;
        raw.push({ cam: `c${c}`, ts: t, te: t + dur, closeAt: t + dur + rnd() * 5000 });
        t += dur;
      }
    }
    raw.sort((a, b) => a.closeAt - b.closeAt);
    const trueNow = raw.reduce((m, r) => Math.max(m, r.closeAt), start);
    const segments: SegmentFact[] = [];
    const trueEnd = new Map<number, number>();
    const indexedAt = new Map<number, number>();
    raw.forEach((r, i) => {
      const id = i + 1;
      trueEnd.set(id, r.te);
      indexedAt.set(id, r.closeAt);
      segments.push({
        id,
        cameraId: r.cam,
        path: `${r.cam}/${id}.mp4`,
        startMs: Math.round(r.ts + offsetAt(r.ts)),
        endMs: Math.round(r.te + offsetAt(r.te)),
        bytes: 1 + Math.floor(rnd() * 1000),
        sha256: null,
        indexedMs: Math.round(r.closeAt + offsetAt(r.closeAt)),
      });
    });
    // Files adopted from an older NVR (only when the clock never jumped: their times are true).
    if (jumps.length === 0) {
      for (let k = 0; k < p.adopted; k += 1) {
        const id = segments.length + 1;
        const te = NOW - rnd() * (p.spanDays + 30) * DAY_MS;
        trueEnd.set(id, te);
        indexedAt.set(id, trueNow);
        segments.push({ id, cameraId: 'c0', path: `c0/adopted-${id}.mp4`, startMs: Math.round(te - segMs), endMs: Math.round(te), bytes: 500, sha256: null, indexedMs: trueNow });
      }
    }
    // Holds over the times the operator sees (file times); expiry far from now, so every frame agrees.
    const holds: HoldFact[] = p.holds.map((h, i) => {
      const pick = segments.filter((s) => s.cameraId === `c${h.camera}`);
      const base = pick.length > 0 ? (pick[Math.min(pick.length - 1, Math.floor(h.at * pick.length))] as SegmentFact).startMs : start;
      return {
        id: `h${i}`,
        cameraId: `c${h.camera}`,
        fromMs: base,
        toMs: base + h.hours * HOUR,
        kind: h.kind as 'vital' | 'legal',
        untilMs: h.state === 'expired' ? trueNow - 200 * DAY_MS : h.kind === 'vital' ? trueNow + 200 * DAY_MS : null,
        releasedMs: h.state === 'released' ? trueNow - DAY_MS : null,
      };
    });
    const bytes = segments.reduce((n, s) => n + s.bytes, 0);
    const capacity = Math.max(1, Math.round(bytes / p.fill));
    const disk: DiskConstraint[] = [
      p.quota ? { name: 'quota', capacityBytes: capacity, usedBytes: bytes } : { name: 'filesystem', capacityBytes: capacity, usedBytes: bytes + Math.round(capacity * p.otherFrac) },
    ];
    const policy: RetentionPolicy = {
      floorDays: p.floorDays,
      profileFloorDays: p.profileFloorDays,
      ceilingDays: Math.max(p.floorDays, p.profileFloorDays) + p.ceilingExtra,
      deleteAbovePercent: p.above,
      deleteDownToPercent: Math.max(1, p.above - p.downGap),
      stopAbovePercent: Math.min(100, p.above + p.stopGap),
    };
    const finalOffset = offsetAt(trueNow);
    return {
      segments,
      trueEnd,
      indexedAt,
      offsetAt,
      trueNow,
      holds,
      input: {
        segments,
        holds,
        policy,
        disk,
        wallMs: trueNow + finalOffset + p.wallShiftDays * DAY_MS,
        cameras: Array.from({ length: p.cameras }, (_, c) => ({ id: `c${c}`, priority: c % 2 })),
      },
    };
  });

const RUNS = Number(process.env.RETENTION_FUZZ_RUNS ?? 300);
const fcParams = { numRuns: RUNS, ...(process.env.RETENTION_FUZZ_SEED ? { seed: Number(process.env.RETENTION_FUZZ_SEED) } : {}) };

function activeHoldOverlaps(w: World, s: SegmentFact): boolean {
  return w.holds.some(
    (h) => h.cameraId === s.cameraId && h.releasedMs === null && (h.untilMs === null || h.untilMs > w.trueNow) && s.startMs < h.toMs && Math.max(s.endMs, s.startMs) > h.fromMs,
  );
}

/** The policy's own judgement of protection (timeline ends), to check ordering and completeness. */
function judged(w: World, p: RetentionPlan) {
  const cols = columnsOf(w.segments);
  const tl = buildTimeline(cols, DEFAULT_TUNING);
  const eff = new Map(w.segments.map((s, i) => [s.id, tl.effectiveEnd[i] as number]));
  const floorCut = p.decisionNowMs - p.floorMs - p.guardMs;
  const protectedIds = new Set(
    w.segments
      .filter((s) => {
        const e = eff.get(s.id) as number;
        const raw = Math.max(s.endMs, s.startMs);
        if (e >= floorCut || raw >= floorCut) return true;
        const shift = e - raw;
        return w.holds.some(
          (h) =>
            h.cameraId === s.cameraId &&
            h.releasedMs === null &&
            (h.untilMs === null || h.untilMs > p.holdNowMs) &&
            ((s.startMs < h.toMs && raw > h.fromMs) || (shift !== 0 && s.startMs + shift < h.toMs && e > h.fromMs)),
        );
      })
      .map((s) => s.id),
  );
  return { eff, protectedIds };
}

describe('retention policy: properties', () => {
  it('never deletes a protected segment (true end within the floor, an active hold), whatever the clock did', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const p = planRetention(w.input);
        const floorMs = Math.max(w.input.policy.floorDays, w.input.policy.profileFloorDays) * DAY_MS;
        for (const d of p.deletions) {
          const te = w.trueEnd.get(d.segment.id) as number;
          if (te >= w.trueNow - floorMs) throw new Error(`deleted ${d.segment.path} (${d.reason}), truly ${((w.trueNow - te) / DAY_MS).toFixed(2)} d old < floor`);
          if (activeHoldOverlaps(w, d.segment)) throw new Error(`deleted ${d.segment.path} inside an active hold`);
        }
        expect(new Set(ids(p)).size).toBe(p.deletions.length);
      }),
      fcParams,
    );
  });

  it('ceiling respected: past_ceiling only beyond it, and every unprotected segment beyond it goes', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const p = planRetention(w.input);
        const { eff, protectedIds } = judged(w, p);
        const cut = p.decisionNowMs - p.ceilingMs;
        const deleted = new Set(ids(p));
        for (const d of p.deletions) if (d.reason === 'past_ceiling') expect(d.effectiveEndMs).toBeLessThan(cut);
        for (const s of w.segments) {
          if (!protectedIds.has(s.id) && (eff.get(s.id) as number) < cut) expect(deleted.has(s.id)).toBe(true);
          if (protectedIds.has(s.id)) expect(deleted.has(s.id)).toBe(false);
        }
      }),
      fcParams,
    );
  });

  it('disk pressure: oldest first, and never more than what frees the needed bytes', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const p = planRetention(w.input);
        const { eff, protectedIds } = judged(w, p);
        const pressure = p.deletions.filter((d) => d.reason === 'disk_pressure');
        const ceilingFreed = p.deletions.filter((d) => d.reason === 'past_ceiling').reduce((n, d) => n + d.segment.bytes, 0);
        const { policy, disk } = w.input;
        let need = 0;
        for (const c of disk) {
          if (c.usedBytes - ceilingFreed > (c.capacityBytes * policy.deleteAbovePercent) / 100) {
            need = Math.max(need, c.usedBytes - ceilingFreed - (c.capacityBytes * policy.deleteDownToPercent) / 100);
          }
        }
        expect(p.pressure.needBytes).toBeCloseTo(need, 3);
        if (need === 0) expect(pressure).toEqual([]);
        const freed = pressure.reduce((n, d) => n + d.segment.bytes, 0);
        if (pressure.length > 0) expect(freed - (pressure[pressure.length - 1] as (typeof pressure)[number]).segment.bytes).toBeLessThan(need);
        // Oldest first: no unprotected segment left behind is older than one deleted for pressure.
        const deleted = new Set(ids(p));
        const last = pressure[pressure.length - 1];
        if (last) {
          for (const s of w.segments) {
            if (deleted.has(s.id) || protectedIds.has(s.id)) continue;
            const e = eff.get(s.id) as number;
            expect(e > last.effectiveEndMs || (e === last.effectiveEndMs && s.id > last.segment.id)).toBe(true);
          }
        }
        // Short of space only when every unprotected segment went.
        if (p.pressure.shortBytes > 0) {
          for (const s of w.segments) if (!protectedIds.has(s.id)) expect(deleted.has(s.id)).toBe(true);
          expect(p.alarms.some((a) => a.type === 'storage.floor_at_risk' && a.severity === 'critical')).toBe(true);
        }
      }),
      fcParams,
    );
  });

  it('sweeping round after round as time goes by (deleted rows gone from the index) never deletes a protected segment', () => {
    fc.assert(
      fc.property(worldArb, fc.integer({ min: 2, max: 8 }), (w, rounds) => {
        const floorMs = Math.max(w.input.policy.floorDays, w.input.policy.profileFloorDays) * DAY_MS;
        const first = Math.min(...[...w.indexedAt.values()]);
        const deleted = new Set<number>();
        for (let r = 1; r <= rounds; r += 1) {
          const t = first + ((w.trueNow - first) * r) / rounds;
          const present = w.segments.filter((s) => (w.indexedAt.get(s.id) as number) <= t && !deleted.has(s.id));
          const used = present.reduce((n, s) => n + s.bytes, 0);
          const disk = w.input.disk.map((d) => ({ ...d, usedBytes: d.name === 'quota' ? used : d.usedBytes - (w.segments.reduce((n, s) => n + s.bytes, 0) - used) }));
          const p = planRetention({ ...w.input, segments: present, disk, wallMs: t + w.offsetAt(t) });
          for (const d of p.deletions) {
            const te = w.trueEnd.get(d.segment.id) as number;
            if (te >= t - floorMs) throw new Error(`round ${r}: deleted ${d.segment.path}, truly ${((t - te) / DAY_MS).toFixed(2)} d old < floor`);
            if (activeHoldOverlaps({ ...w, trueNow: t }, d.segment)) throw new Error(`round ${r}: deleted ${d.segment.path} inside an active hold`);
            deleted.add(d.segment.id);
          }
        }
      }),
      { ...fcParams, numRuns: Math.max(50, Math.floor(RUNS / 3)) },
    );
  });

  it('moving only the wall clock, by any number of days, never adds a deletion', () => {
    fc.assert(
      fc.property(worldArb, fc.integer({ min: -60, max: 60 }), (w, days) => {
        const base = new Set(ids(planRetention(w.input)));
        const moved = planRetention({ ...w.input, wallMs: w.input.wallMs + days * DAY_MS });
        for (const id of ids(moved)) expect(base.has(id) || moved.holdNowMs > planRetention(w.input).holdNowMs).toBe(true);
      }),
      fcParams,
    );
  });
});
