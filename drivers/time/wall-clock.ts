// Wall-clock time in an IANA zone, from Intl (no tz database of our own). Shared by the
// recording layout (agent) and the ffmpeg recorder (driver): file names and ffmpeg's
// strftime segments must agree to the second, so there is one implementation.

export type WallParts = [year: number, month: number, day: number, hour: number, minute: number, second: number];

// Formatters are costly to build and a recorder asks every segment: one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock in `timeZone` at `instant` (ms). */
export function wallParts(instant: number, timeZone: string): WallParts {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return [n('year'), n('month'), n('day'), n('hour'), n('minute'), n('second')];
}

/** The zone's offset from UTC at `instant` (ms; UTC+8 = +28 800 000). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const [y, mo, d, h, mi, s] = wallParts(instant, timeZone);
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(instant / 1000) * 1000;
}

/** YYYY-MM-DD of the wall clock in `timeZone` at `instant`. */
export function wallDate(instant: number, timeZone: string): string {
  const [y, mo, d] = wallParts(instant, timeZone);
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
