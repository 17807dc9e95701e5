// WS-Security UsernameToken (OASIS UsernameToken Profile 1.0) as ONVIF Core 5.9.4 uses it:
// PasswordDigest = Base64(SHA-1(nonce + created + password)), Created checked against the
// DEVICE's clock (so a skewed camera rejects a client that never read its time), and a
// nonce may not be replayed while its Created is still acceptable.
import { createHash, timingSafeEqual } from 'node:crypto';
import { NS } from './soap.js';
import { attr, child, textOf, type XmlElement } from './xml.js';

const DIGEST_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

export type TokenCheck =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'unsupported_password_type' | 'bad_user' | 'bad_digest' | 'stale' | 'replayed' };

export interface TokenCheckOptions {
  username: string;
  password: string;
  /** The device clock now (ms since epoch), skew included. */
  nowMs: number;
  /** Accepted |Created - now|. */
  toleranceMs: number;
  nonces: NonceCache;
}

export function checkUsernameToken(header: XmlElement | undefined, o: TokenCheckOptions): TokenCheck {
  const token = child(child(header, NS.wsse, 'Security'), NS.wsse, 'UsernameToken');
  if (!token) return { ok: false, reason: 'missing' };
  const username = textOf(child(token, NS.wsse, 'Username'));
  const pwEl = child(token, NS.wsse, 'Password');
  const nonceB64 = textOf(child(token, NS.wsse, 'Nonce'));
  const created = textOf(child(token, NS.wsu, 'Created'));
  if (username === undefined || !pwEl || !nonceB64 || !created) return { ok: false, reason: 'malformed' };
  // ONVIF requires the digest form; a plain-text password is not accepted here.
  if ((attr(pwEl, 'Type') ?? DIGEST_TYPE) !== DIGEST_TYPE) return { ok: false, reason: 'unsupported_password_type' };
  const createdMs = Date.parse(created);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(created) || Number.isNaN(createdMs)) return { ok: false, reason: 'malformed' };

  const nonce = Buffer.from(nonceB64, 'base64');
  const expected = createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(o.password, 'utf8')]))
    .digest();
  const given = Buffer.from(pwEl.text.trim(), 'base64');
  const digestOk = given.length === expected.length && timingSafeEqual(given, expected);
  if (username !== o.username) return { ok: false, reason: 'bad_user' };
  if (!digestOk) return { ok: false, reason: 'bad_digest' };
  if (Math.abs(createdMs - o.nowMs) > o.toleranceMs) return { ok: false, reason: 'stale' };
  if (!o.nonces.remember(`${nonceB64}|${created}`, o.nowMs, o.toleranceMs)) return { ok: false, reason: 'replayed' };
  return { ok: true, username };
}

/** Nonces seen within the tolerance window; pruned on insert (no timers to clean up). */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 10_000) {}

  /** false when the nonce was already used inside the window. */
  remember(key: string, nowMs: number, windowMs: number): boolean {
    const at = this.seen.get(key);
    if (at !== undefined && nowMs - at <= 2 * windowMs) return false;
    this.seen.set(key, nowMs);
    if (this.seen.size > this.max) {
      for (const [k, t] of this.seen) {
        if (nowMs - t > 2 * windowMs || this.seen.size > this.max) this.seen.delete(k);
        else break;
      }
    }
    return true;
  }
}
