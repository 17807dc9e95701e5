// Fetching a JPEG from a camera's snapshot URI (plain HTTP GET, not SOAP). Cameras protect
// it with HTTP Digest or Basic: the first request goes without credentials and the
// camera's 401 challenge decides (Digest preferred; Basic only when that is all it offers,
// so a password never crosses the wire in clear unless the camera insists). Same total
// deadline and size cap as SOAP, with a larger default cap for images.
import { performance } from 'node:perf_hooks';
import { OnvifError } from './errors.js';
import { HttpAuthState, parseChallenges, pickChallenge, type Credentials } from './http-auth.js';
import { request } from './http-request.js';
import type { OnvifLogger, Snapshot } from './types.js';
import { redactUrl, splitCredentials } from './url.js';

export const DEFAULT_SNAPSHOT_MAX_BYTES = 8 * 1024 * 1024;

export interface SnapshotOptions {
  creds: Credentials | null;
  timeoutMs: number;
  maxBytes: number;
  verifyTls: boolean;
  logger: OnvifLogger;
  /** HTTP auth learnt from an earlier snapshot, per origin (reused pre-emptively on that origin only). */
  cached?: Map<string, HttpAuthState>;
}

export async function fetchSnapshot(uri: string, o: SnapshotOptions): Promise<Snapshot> {
  const safeUrl = redactUrl(uri);
  const ctx = { action: 'GetSnapshot', url: safeUrl };
  let url: URL;
  let creds = o.creds;
  try {
    const split = splitCredentials(uri);
    url = split.url;
    // Credentials embedded in the URI (some cameras hand them out so) when we have none.
    if (!creds && split.username !== undefined) creds = { username: split.username, password: split.password ?? '' };
  } catch {
    throw new OnvifError('protocol', 'snapshot URI is not a URL', ctx);
  }
  const deadlineAt = performance.now() + o.timeoutMs;
  let auth = creds ? (o.cached?.get(url.origin) ?? null) : null;
  let answered = false;
  try {
    for (;;) {
      const remaining = Math.floor(deadlineAt - performance.now());
      if (remaining <= 0) throw new OnvifError('timeout', `no complete answer within ${o.timeoutMs} ms`);
      const headers: Record<string, string> = { Accept: 'image/jpeg, image/*' };
      if (auth && creds) headers.Authorization = auth.authorization('GET', url.pathname + url.search, creds);
      const started = performance.now();
      const res = await request({ url, method: 'GET', headers, timeoutMs: remaining, maxBytes: o.maxBytes, rejectUnauthorized: o.verifyTls });
      o.logger.debug({ action: 'GetSnapshot', url: safeUrl, status: res.status, bytes: res.body.length, ms: Math.round(performance.now() - started) }, 'onvif snapshot');
      if (res.status === 401) {
        const challenge = creds && !answered ? pickChallenge(parseChallenges(res.rawHeaders)) : null;
        if (challenge) {
          answered = true;
          auth = new HttpAuthState(challenge);
          o.cached?.set(url.origin, auth);
          continue;
        }
        o.cached?.delete(url.origin);
        throw new OnvifError('unauthorized', creds ? 'credentials rejected' : 'camera wants credentials, none configured', { httpStatus: 401 });
      }
      if (res.status === 403) throw new OnvifError('unauthorized', 'forbidden', { httpStatus: 403 });
      if (res.status < 200 || res.status >= 300) throw new OnvifError('protocol', `HTTP ${res.status}`, { httpStatus: res.status });
      const contentType = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const isJpeg = res.body.length >= 2 && res.body[0] === 0xff && res.body[1] === 0xd8;
      // Cameras answer some errors with 200 and an HTML page: that is not a picture.
      if (res.body.length === 0 || (!contentType.startsWith('image/') && !isJpeg)) {
        throw new OnvifError('protocol', `not an image (${contentType || 'no content type'}, ${res.body.length} bytes)`, { httpStatus: res.status });
      }
      return { contentType: contentType.startsWith('image/') ? contentType : 'image/jpeg', body: res.body };
    }
  } catch (err) {
    if (err instanceof OnvifError) throw err.withContext(ctx);
    throw err;
  }
}
