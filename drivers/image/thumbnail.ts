// A small JPEG of a picture (the console's camera cards, the diagnose report): downscaled
// by sharp off the main thread (libuv pool), upright by its EXIF orientation, never
// enlarged. The callers choose the box, the quality and how strict to be with a damaged
// input.
import sharp from 'sharp';

export interface ThumbnailOptions {
  /** The box the picture is fitted inside, px; without `height`, only the width is bounded. */
  width: number;
  height?: number;
  quality: number;
  /** sharp's `failOn`: 'error' accepts a truncated JPEG, 'truncated' refuses it. */
  failOn: 'error' | 'truncated';
}

export async function jpegThumbnail(bytes: Uint8Array, opts: ThumbnailOptions): Promise<Buffer> {
  return sharp(bytes, { failOn: opts.failOn, limitInputPixels: 64_000_000 })
    .rotate() // honour EXIF orientation
    .resize({ width: opts.width, ...(opts.height !== undefined ? { height: opts.height } : {}), fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
    .jpeg({ quality: opts.quality, mozjpeg: false })
    .toBuffer();
}
