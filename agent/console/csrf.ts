// Cross-site request forgery defences on every POST, two of them:
// - a synchronizer token: HMAC(server key, session id), put by pages in every form as
//   `_csrf` (or sent by scripts as X-CSRF-Token). Before login there is no session, so
//   the login form is bound to a random pre-session cookie the same way (double submit,
//   signed so that a cookie planted by a sibling host cannot be paired with a token);
// - the request's Origin (else Referer) must be this very host.
// The key is random per process: a restart invalidates open forms along with the sessions.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const LOGIN_COOKIE = 'cea_login';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export class CsrfTokens {
  private readonly key = randomBytes(32);

  forSession(sessionId: string): string {
    return this.mac(`session:${sessionId}`);
  }

  forLogin(loginCookie: string): string {
    return this.mac(`login:${loginCookie}`);
  }

  /** A new pre-session value for the login form's cookie. */
  newLoginCookie(): string {
    return randomBytes(32).toString('base64url');
  }

  private mac(what: string): string {
    return createHmac('sha256', this.key).update(what).digest('base64url');
  }
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a POST comes from a page of this console: its Origin (browsers send it on
 * every POST), else its Referer, names `http://<host>` where host is the request's own
 * (already checked) Host header. Neither header: refused.
 */
export function sameOrigin(headers: { origin?: string | undefined; referer?: string | undefined }, host: string): boolean {
  let expected: string;
  try {
    expected = new URL(`http://${host}`).origin;
  } catch {
    return false;
  }
  const origin = headers.origin;
  if (origin !== undefined) return origin.toLowerCase() === expected;
  const referer = headers.referer;
  if (referer === undefined) return false;
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}
