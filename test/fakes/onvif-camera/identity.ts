// Stable identity defaults derived from a camera id, and config validation.
import { createHash } from 'node:crypto';
import type { CameraConfig } from './types.js';

/** A stable urn:uuid per camera id (name-based, SHA-1, shaped like a UUID v5). */
export function cameraUrn(id: string): string {
  const h = createHash('sha1').update(`cea-sim:${id}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** 20 digits with leading zeros, derived from the id (a string end to end, never a number). */
export function defaultSerial(id: string): string {
  const n = createHash('sha1').update(`serial:${id}`).digest().readBigUInt64BE(0) % 10n ** 17n;
  return `000${n.toString().padStart(17, '0')}`;
}

/** A DNS-label-like hostname from the id. */
export function defaultHostname(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9-]+/g, '-') || 'camera';
}

export function validateConfig(c: CameraConfig): void {
  const int = (v: number, lo: number, hi: number, what: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${what} must be an integer in [${lo}, ${hi}]: ${v}`);
  };
  int(c.width, 16, 7680, 'width');
  int(c.height, 16, 4320, 'height');
  int(c.fps, 1, 120, 'fps');
  int(c.bitrate, 16, 200_000, 'bitrate');
  if (typeof c.firmware !== 'string' || c.firmware === '') throw new TypeError('firmware must be a non-empty string');
  if (typeof c.hostname !== 'string' || c.hostname === '') throw new TypeError('hostname must be a non-empty string');
}
