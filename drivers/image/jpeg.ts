// Just enough of JPEG to say whether bytes are one and how big the picture is, without
// decoding: the frame header (SOF) comes before the scan data. sharp does the rest.
import { ImageError } from './errors.js';

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr, 4 CMYK/YCCK. */
  components: number;
  progressive: boolean;
}

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;

function isSof(marker: number): boolean {
  // C0-CF are frame headers except C4 (DHT), C8 (reserved), CC (DAC).
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** True when the bytes start like a JPEG (SOI followed by a marker). */
export function looksLikeJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === SOI && bytes[2] === 0xff;
}

/** The frame header, or ImageError('decode_error') when the bytes are not a well-formed JPEG start. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  if (!looksLikeJpeg(bytes)) throw new ImageError('decode_error', 'not a JPEG (no SOI marker)');
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) throw new ImageError('decode_error', `corrupt JPEG: expected a marker at byte ${i}`);
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // standalone markers carry no length
      continue;
    }
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (length < 2) throw new ImageError('decode_error', `corrupt JPEG: segment length ${length} at byte ${i}`);
    if (isSof(marker)) {
      if (i + 2 + length > bytes.length || length < 8) break;
      const height = (bytes[i + 5]! << 8) | bytes[i + 6]!;
      const width = (bytes[i + 7]! << 8) | bytes[i + 8]!;
      const components = bytes[i + 9]!;
      if (width === 0 || height === 0) throw new ImageError('decode_error', `JPEG frame header gives a ${width}x${height} picture`);
      return { width, height, components, progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce };
    }
    i += 2 + length;
  }
  throw new ImageError('decode_error', 'truncated or corrupt JPEG: no frame header before the image data');
}
