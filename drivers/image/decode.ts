// JPEG → small RGB picture for the clarity checks. libvips' shrink-on-load decodes a
// JPEG at 1/2, 1/4 or 1/8 scale straight from the DCT, so a 4 MP snapshot costs little
// more than a VGA one; the result is then resized to a fixed working size so that every
// metric is measured at the same scale whatever the camera's resolution.
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { ImageError } from './errors.js';
import { readJpegHeader } from './jpeg.js';

/** Long side of the working picture. Blur and noise are judged at this scale (see agent/clarity/faults.ts). */
export const WORKING_LONG_SIDE = 640;
/** No camera snapshot is this big (a 12 MP JPEG at q95 is ~8 MB); a bigger answer is refused unread. */
export const DEFAULT_MAX_INPUT_BYTES = 32 * 1024 * 1024;
/** 64 MP: libvips refuses bigger frames (decompression bombs). */
const MAX_INPUT_PIXELS = 64 * 1024 * 1024;

/** Interleaved 8-bit RGB, row-major, `width * height * 3` bytes. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** The JPEG's own size (before shrinking). */
  sourceWidth: number;
  sourceHeight: number;
}

export interface DecodeOptions {
  /** Long side of the result (default WORKING_LONG_SIDE); smaller pictures are not enlarged. */
  longSide?: number;
  maxBytes?: number;
}

/** Refuses oversized or non-JPEG input with a typed error before handing it to libvips. */
export function checkJpeg(bytes: Uint8Array, maxBytes = DEFAULT_MAX_INPUT_BYTES): { width: number; height: number } {
  if (bytes.length > maxBytes) throw new ImageError('too_large', `picture is ${bytes.length} bytes, more than the ${maxBytes}-byte cap`);
  const header = readJpegHeader(bytes);
  if (header.width * header.height > MAX_INPUT_PIXELS) {
    throw new ImageError('too_large', `picture is ${header.width}x${header.height}, more than ${MAX_INPUT_PIXELS} pixels`);
  }
  return { width: header.width, height: header.height };
}

/** The sharp pipeline both the scorer and the bench baseline use: decode with shrink-on-load, resize, raw RGB. */
export function rgbPipeline(bytes: Uint8Array, longSide: number): Sharp {
  return sharp(bytes, {
    // A truncated or corrupt JPEG must be an error, not a half-grey picture scored as "fine".
    failOn: 'truncated',
    limitInputPixels: MAX_INPUT_PIXELS,
    sequentialRead: true,
    autoOrient: true,
  })
    .resize(longSide, longSide, { fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw();
}

export async function decodeJpeg(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const source = checkJpeg(bytes, options.maxBytes);
  const longSide = options.longSide ?? WORKING_LONG_SIDE;
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await rgbPipeline(bytes, longSide).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ImageError('decode_error', `cannot decode JPEG: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const { data, info } = out;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new ImageError('decode_error', `decoder returned ${info.channels} channels for ${info.width}x${info.height}`);
  }
  // Orientation may swap the sides: report the picture as it is seen.
  const swapped = (info.width > info.height) !== (source.width > source.height) && source.width !== source.height;
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    sourceWidth: swapped ? source.height : source.width,
    sourceHeight: swapped ? source.width : source.height,
  };
}
