// Capacity forecast: from the recent write rate of each camera and the space recordings
// may use, how many days the disk holds, and — when that is below the floor plus a
// margin — how many days until the floor is at risk. Pure.
import { DAY_MS, type DiskConstraint, type SegmentColumns } from './policy.js';

export interface ForecastInput {
  /** Present segments (columnsOf() turns objects into columns). */
  segments: SegmentColumns;
  disk: readonly DiskConstraint[];
  /** Recording may use up to this % before disk pressure deletes (storage.deleteAbovePercent). */
  deleteAbovePercent: number;
  floorDays: number;
  /** Warn this many days before the floor itself is short. */
  marginDays: number;
  /** Bytes that cannot rotate away now: inside the floor, or held. */
  protectedBytes: number;
  /** Of those, held outside the floor: they never rotate while the hold lasts. */
  heldBytes: number;
  /** Reference time: the newest recording's end (or the wall clock when nothing is indexed). */
  nowMs: number;
  /** Rate window; default one day. */
  windowMs?: number;
}

export interface CameraRecordingFacts {
  /** ISO start of the oldest present segment, or null. */
  oldest: string | null;
  /** Days of recordings on disk (now - oldest start), one decimal. */
  days: number;
  bytesPerDay: number;
  bytes: number;
  segments: number;
}

export interface Forecast {
  /** Days of recordings the usable space holds at the current rate; null = unknown (nothing written recently). */
  daysRetainable: number | null;
  floorDays: number;
  marginDays: number;
  ok: boolean;
  bytesPerDay: number;
  usableBytes: number | null;
  /** Days until the protected recordings alone exceed the usable space; null when they never do at this rate. */
  daysUntilAtRisk: number | null;
  cameras: Record<string, CameraRecordingFacts>;
}

/** The shortest window a rate is trusted from (a box that just started knows nothing yet). */
const MIN_WINDOW_MS = 10 * 60_000;

export function forecastCapacity(input: ForecastInput): Forecast {
  const windowMs = input.windowMs ?? DAY_MS;
  const from = input.nowMs - windowMs;
  let oldestStart = Infinity;
  let recordingBytes = 0;
  const c = input.segments;
  const perCam = c.cameras.map(() => ({ recent: 0, bytes: 0, oldest: Infinity, segments: 0 }));
  for (let i = 0; i < c.length; i += 1) {
    const cam = perCam[c.camera[i] as number] as (typeof perCam)[number];
    const start = c.startMs[i] as number;
    const bytes = c.bytes[i] as number;
    cam.bytes += bytes;
    cam.segments += 1;
    if (start < cam.oldest) cam.oldest = start;
    recordingBytes += bytes;
    if (start < oldestStart) oldestStart = start;
    // The part of the segment inside the window, pro rata.
    const end = Math.max(c.endMs[i] as number, start);
    if (end > from && start <= input.nowMs) {
      const span = end - start;
      cam.recent += span <= 0 ? bytes : (bytes * (Math.min(end, input.nowMs) - Math.max(start, from))) / span;
    }
  }
  // A box recording for less than the window: rate over what it has.
  const effectiveWindow = Math.min(windowMs, input.nowMs - oldestStart);
  const rateKnown = Number.isFinite(effectiveWindow) && effectiveWindow >= MIN_WINDOW_MS;

  const cameras: Record<string, CameraRecordingFacts> = {};
  let bytesPerDay = 0;
  const ids = c.cameras.map((id, i) => [id, i] as const).sort(([a], [b]) => a.localeCompare(b));
  for (const [id, i] of ids) {
    const cam = perCam[i] as (typeof perCam)[number];
    if (cam.segments === 0) continue;
    const rate = rateKnown ? (Math.max(0, cam.recent) / effectiveWindow) * DAY_MS : 0;
    bytesPerDay += rate;
    cameras[id] = {
      oldest: Number.isFinite(cam.oldest) ? new Date(cam.oldest).toISOString() : null,
      days: Number.isFinite(cam.oldest) ? Math.max(0, Math.round(((input.nowMs - cam.oldest) / DAY_MS) * 10) / 10) : 0,
      bytesPerDay: Math.round(rate),
      bytes: cam.bytes,
      segments: cam.segments,
    };
  }

  // Space recordings may fill before pressure deletes: the tightest constraint, less what
  // is not recordings on that filesystem.
  let usableBytes: number | null = null;
  for (const d of input.disk) {
    if (d.capacityBytes <= 0) continue;
    const other = Math.max(0, d.usedBytes - recordingBytes);
    const usable = Math.max(0, (d.capacityBytes * input.deleteAbovePercent) / 100 - other);
    usableBytes = usableBytes === null ? usable : Math.min(usableBytes, usable);
  }

  let daysRetainable: number | null = null;
  let daysUntilAtRisk: number | null = null;
  if (usableBytes !== null && bytesPerDay > 0) {
    const rotating = Math.max(0, usableBytes - input.heldBytes);
    daysRetainable = Math.round((rotating / bytesPerDay) * 10) / 10;
    // Steady state keeps floorDays of recordings plus what is held; if that exceeds the
    // space, the floor is at risk once today's protected bytes grow into it.
    if (input.floorDays * bytesPerDay + input.heldBytes > usableBytes) {
      daysUntilAtRisk = Math.max(0, Math.round(((usableBytes - input.protectedBytes) / bytesPerDay) * 10) / 10);
    }
  }
  const ok = daysRetainable === null || daysRetainable >= input.floorDays + input.marginDays;
  return {
    daysRetainable,
    floorDays: input.floorDays,
    marginDays: input.marginDays,
    ok,
    bytesPerDay: Math.round(bytesPerDay),
    usableBytes: usableBytes === null ? null : Math.round(usableBytes),
    daysUntilAtRisk,
    cameras,
  };
}

/** The forecast's alarm, if any (storage.forecast_short, warning). */
export function forecastAlarm(f: Forecast): {
  type: 'storage.forecast_short';
  severity: 'warning';
  detail: string;
  data: Record<string, unknown>;
  code: 'forecast.short';
  params: Record<string, unknown>;
} | null {
  if (f.ok || f.daysRetainable === null) return null;
  const risk = f.daysUntilAtRisk === null ? '' : `; the floor is at risk in about ${f.daysUntilAtRisk} days`;
  return {
    type: 'storage.forecast_short',
    severity: 'warning',
    detail: `at ${(f.bytesPerDay / 2 ** 30).toFixed(1)} GiB/day the usable space holds ${f.daysRetainable} days of recordings, less than the ${f.floorDays}-day floor + ${f.marginDays} days margin${risk}`,
    data: { daysRetainable: f.daysRetainable, floorDays: f.floorDays, marginDays: f.marginDays, bytesPerDay: f.bytesPerDay, usableBytes: f.usableBytes, daysUntilAtRisk: f.daysUntilAtRisk },
    code: 'forecast.short',
    params: { bytesPerDay: f.bytesPerDay, daysRetainable: f.daysRetainable, floorDays: f.floorDays, marginDays: f.marginDays, daysUntilAtRisk: f.daysUntilAtRisk },
  };
}
