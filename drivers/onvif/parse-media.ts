// Media service answers (ver10/media/wsdl, Profile S) → profiles with their video
// encoder, and media URIs. A profile without a token is an error (the token is its key);
// an encoder configuration that cannot be read becomes encoder: null, so one odd profile
// does not hide the others.
import { attr, child, childText, children, path, type XmlElement } from '../xml/parse.js';
import { OnvifError } from './errors.js';
import { boundedText, optionalText, xsCount, xsNumber } from './parse-values.js';
import { NS } from './soap.js';
import type { MediaProfile, VideoEncoder } from './types.js';

const { trt, tt } = NS;

export const MEDIA_RESPONSES = {
  GetProfiles: { ns: trt, local: 'GetProfilesResponse' },
  GetStreamUri: { ns: trt, local: 'GetStreamUriResponse' },
  GetSnapshotUri: { ns: trt, local: 'GetSnapshotUriResponse' },
} as const;

export function parseProfiles(el: XmlElement): MediaProfile[] {
  return children(el, trt, 'Profiles').map((p) => {
    const token = attr(p, 'token');
    if (!token) throw new OnvifError('protocol', 'GetProfilesResponse: profile without token');
    const name = childText(p, tt, 'Name');
    return {
      token: boundedText(token, 256),
      name: boundedText(name || token, 256),
      videoSourceToken: optionalText(child(p, tt, 'VideoSourceConfiguration'), tt, 'SourceToken'),
      encoder: parseVideoEncoder(child(p, tt, 'VideoEncoderConfiguration')),
      streamUri: null,
      snapshotUri: null,
    };
  });
}

/** A tt:VideoEncoderConfiguration, or null when absent or missing its token, encoding or size. */
export function parseVideoEncoder(vec: XmlElement | undefined): VideoEncoder | null {
  if (!vec) return null;
  const token = attr(vec, 'token');
  const encoding = childText(vec, tt, 'Encoding');
  const res = child(vec, tt, 'Resolution');
  const width = xsCount(childText(res, tt, 'Width'), 100_000);
  const height = xsCount(childText(res, tt, 'Height'), 100_000);
  if (!token || !encoding || !width || !height) return null;
  const rc = child(vec, tt, 'RateControl');
  // Codec block: <tt:H264><tt:GovLength/><tt:H264Profile/></tt:H264>, likewise MPEG4
  // (Mpeg4Profile) and, on firmware that puts H.265 into Media 1, H265.
  const codec =
    child(vec, tt, encoding.toUpperCase()) ??
    child(vec, tt, 'H264') ??
    child(vec, tt, 'H265') ??
    child(vec, tt, 'MPEG4');
  const profileEl = codec?.children.find((c) => c.ns === tt && /Profile$/.test(c.local));
  return {
    token: boundedText(token, 256),
    encoding: boundedText(encoding, 64),
    width,
    height,
    fps: nonNegative(xsNumber(childText(rc, tt, 'FrameRateLimit'))),
    bitrate: nonNegative(xsNumber(childText(rc, tt, 'BitrateLimit'))),
    gop: xsCount(childText(codec, tt, 'GovLength')),
    quality: xsNumber(childText(vec, tt, 'Quality')),
    profile: profileEl && profileEl.text.trim() ? boundedText(profileEl.text.trim(), 64) : null,
  };
}

function nonNegative(n: number | null): number | null {
  return n !== null && n >= 0 ? n : null;
}

/** MediaUri/Uri of GetStreamUri or GetSnapshotUri; protocol error when empty. */
export function parseMediaUri(el: XmlElement): string {
  const uri = childText(path(el, [trt, 'MediaUri']), tt, 'Uri');
  if (!uri) throw new OnvifError('protocol', `${el.local}: missing MediaUri/Uri`);
  if (uri.length > 8192) throw new OnvifError('protocol', `${el.local}: URI too long`);
  let scheme: string;
  try {
    scheme = new URL(uri).protocol.toLowerCase();
  } catch {
    throw new OnvifError('protocol', `${el.local}: Uri is not a URL`);
  }
  // The URI goes to ffmpeg, which also speaks file:, async:file:, concat:, pipe:…: a camera
  // (or whoever owns it) must not make the box read or relay its own files.
  if (!MEDIA_SCHEMES.has(scheme)) throw new OnvifError('protocol', `${el.local}: Uri scheme ${scheme.slice(0, 32)} is not rtsp, rtsps, http or https`);
  return uri;
}

const MEDIA_SCHEMES = new Set(['rtsp:', 'rtsps:', 'http:', 'https:']);
