// The recording layout (DESIGN.md, fixed): <root>/<cameraId>/<YYYY-MM-DD>/<HH-mm-ss>.mp4
// in the site's time zone. A segment's start is its file name; its end is the file mtime.
import { posix } from 'node:path';
import { wallParts, zoneOffsetMs } from '../../drivers/time/wall-clock.js';

const CAMERA_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2})-(\d{2})-(\d{2})\.mp4$/;

/** The instant of a wall-clock time in a zone (two passes, so an offset change near it lands right). */
export function wallTimeToInstant(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let t = wall - zoneOffsetMs(wall, timeZone);
  t = wall - zoneOffsetMs(t, timeZone);
  return t;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Relative path (POSIX separators) of the segment that starts at `startMs`. */
export function segmentPath(cameraId: string, startMs: number, timeZone: string): string {
  const [y, mo, d, h, mi, s] = wallParts(startMs, timeZone);
  return posix.join(cameraId, `${y}-${pad(mo)}-${pad(d)}`, `${pad(h)}-${pad(mi)}-${pad(s)}.mp4`);
}

/** Camera and start instant of a relative segment path, or null if the path is not in the layout. */
export function parseSegmentPath(relPath: string, timeZone: string): { cameraId: string; startMs: number } | null {
  const parts = relPath.split(/[\\/]/);
  if (parts.length !== 3) return null;
  const [cameraId, date, file] = parts as [string, string, string];
  const dm = DATE.exec(date);
  const tm = TIME.exec(file);
  if (!CAMERA_ID.test(cameraId) || !dm || !tm) return null;
  const [y, mo, d] = [Number(dm[1]), Number(dm[2]), Number(dm[3])];
  const [h, mi, s] = [Number(tm[1]), Number(tm[2]), Number(tm[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const startMs = wallTimeToInstant(y, mo, d, h, mi, s, timeZone);
  // Reject dates that roll over (2026-02-30) by formatting back.
  return segmentPath(cameraId, startMs, timeZone) === parts.join('/') ? { cameraId, startMs } : null;
}
