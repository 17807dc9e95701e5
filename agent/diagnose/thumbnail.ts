// The report's picture of each camera: the snapshot scaled to 320 px wide, as a JPEG
// small enough for an A4 page and an e-mail attachment.
import sharp from 'sharp';

export const THUMBNAIL_WIDTH = 320;

export async function jpegThumbnail(bytes: Uint8Array, width = THUMBNAIL_WIDTH): Promise<Buffer> {
  return sharp(bytes, { failOn: 'error', limitInputPixels: 64_000_000 })
    .rotate() // honour EXIF orientation
    .resize({ width, withoutEnlargement: true })
    .jpeg({ quality: 80, mozjpeg: false })
    .toBuffer();
}
