// The latest picture of each camera, small, for the console's cards. Fed by the clarity
// monitor with the snapshot it already took (the console never asks a camera for a
// picture of its own), downscaled off the main thread by sharp (libuv pool) and kept in
// memory only: a thumbnail is a convenience, not a record, and must not outlive the
// process on disk.
import sharp from 'sharp';

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
}

export class ThumbnailCache {
  private readonly latest = new Map<string, Thumbnail>();
  /** Cameras with a resize in progress: a newer snapshot waits here instead of queueing a second job. */
  private readonly waiting = new Map<string, { bytes: Uint8Array; atMs: number } | null>();

  constructor(private readonly opts: ThumbnailCacheOptions = {}) {}

  get(cameraId: string): Thumbnail | null {
    return this.latest.get(cameraId) ?? null;
  }

  /** Forgets a camera (removed from the config, or now in a prohibited place). */
  delete(cameraId: string): void {
    this.latest.delete(cameraId);
  }

  /** The clarity monitor's `onSnapshot`: never throws, never waits for the resize. */
  offer(cameraId: string, bytes: Uint8Array, atMs: number): void {
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
      const jpeg = await sharp(bytes, { failOn: 'truncated', limitInputPixels: 64_000_000 })
        .rotate()
        .resize(side, side, { fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
        .jpeg({ quality: this.opts.quality ?? 70, mozjpeg: false })
        .toBuffer();
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
