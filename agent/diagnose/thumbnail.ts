// The report's picture of each camera: the snapshot scaled to 320 px wide, as a JPEG
// small enough for an A4 page and an e-mail attachment.
import { jpegThumbnail as thumbnail } from '../../drivers/image/thumbnail.js';

export const THUMBNAIL_WIDTH = 320;

export async function jpegThumbnail(bytes: Uint8Array, width = THUMBNAIL_WIDTH): Promise<Buffer> {
  return thumbnail(bytes, { width, quality: 80, failOn: 'error' });
}
