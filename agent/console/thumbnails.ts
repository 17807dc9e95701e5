// The latest picture of each camera, small, for the console's cards. Fed by the clarity
// monitor with the snapshot it already took (the console never asks a camera for a
// picture of its own), downscaled off the main thread (drivers/image/thumbnail.ts) and kept in
// memory only: a thumbnail is a convenience, not a record, and must not outlive the
// process on disk.
import { jpegThumbnail } from '../../drivers/image/thumbnail.js';

export interface Thumbnail {
  jpeg: Uint8Array;
  atMs: number;
}

export interface ThumbnailCacheOptions {
  /** Long side of the thumbnail, px. */
  longSide?: number;
  quality?: number;
  /** Told when a picture cannot be made small (a broken JPEG): the old thumbnail stays. */
  onError?: (cameraId: string, err: unknown) => void;
  /**
   * A camera that has a thumbnail gets a new one at most this often (default 60 s): the
   * monitor's pictures come every few seconds, and resizing each cost 28-41 MB of RSS and
   * ~4 % CPU at 256 cameras for cards an operator looks at now and then.
   */
  minIntervalMs?: number;
}

export class ThumbnailCache {
  private readonly latest = new Map<string, Thumbnail>();
  /** Cameras with a resize in progress: a newer snapshot waits here instead of queueing a second job. */
  private readonly waiting = new Map<string, { bytes: Uint8Array; atMs: number } | null>();
  /** Time of the last picture taken on for each camera (made, being made or queued). */
  private readonly taken = new Map<string, number>();

  constructor(private readonly opts: ThumbnailCacheOptions = {}) {}

  get(cameraId: string): Thumbnail | null {
    return this.latest.get(cameraId) ?? null;
  }

  /** Forgets a camera (removed from the config, or now in a prohibited place). */
  delete(cameraId: string): void {
    this.latest.delete(cameraId);
    this.taken.delete(cameraId);
  }

  /** The clarity monitor's `onSnapshot`: never throws, never waits for the resize. */
  offer(cameraId: string, bytes: Uint8Array, atMs: number): void {
    // Until a first thumbnail exists every picture is taken (the newest wins); after that,
    // one per interval. Either direction counts, so a clock stepped back does not stall it.
    const last = this.taken.get(cameraId);
    if (this.latest.has(cameraId) && last !== undefined && Math.abs(atMs - last) < (this.opts.minIntervalMs ?? 60_000)) return;
    this.taken.set(cameraId, atMs);
    if (this.waiting.has(cameraId)) {
      this.waiting.set(cameraId, { bytes, atMs });
      return;
    }
    this.waiting.set(cameraId, null);
    void this.make(cameraId, bytes, atMs);
  }

  /** Resolves when every resize started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.waiting.size > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private async make(cameraId: string, bytes: Uint8Array, atMs: number): Promise<void> {
    const side = this.opts.longSide ?? 320;
    try {
      const jpeg = await jpegThumbnail(bytes, { width: side, height: side, quality: this.opts.quality ?? 70, failOn: 'truncated' });
      const prev = this.latest.get(cameraId);
      if (!prev || prev.atMs <= atMs) this.latest.set(cameraId, { jpeg: new Uint8Array(jpeg), atMs });
    } catch (err) {
      this.opts.onError?.(cameraId, err);
    }
    const next = this.waiting.get(cameraId);
    if (next) {
      this.waiting.set(cameraId, null);
      void this.make(cameraId, next.bytes, next.atMs);
    } else {
      this.waiting.delete(cameraId);
    }
  }
}
