// Signed platform requests, checked exactly as DESIGN.md "MQTT linkage contract" fixes it.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../drivers/log/logger.js';
import type { Database } from '../../../drivers/store/index.js';
import { canonicalJson } from '../../canonical-json.js';
import type { RequestEnvelope } from './envelope.js';

// `wrong_site` extends the contract's five reasons: a request authentically signed for
// another site (auth.site) — a cross-site replay, or a misrouted request.
export const REFUSAL_REASONS = ['missing', 'unknown_key', 'bad_signature', 'wrong_site', 'stale', 'replayed'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type AuthResult = { ok: true; keyId: string } | { ok: false; reason: RefusalReason; message: string };

/** Loads each configured key once; a key that fails to load is logged and refuses everything (unknown_key). */
export function loadPlatformKeys(keys: { id: string; publicKey: string }[], logger: Logger): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  for (const k of keys) {
    try {
      const key = createPublicKey(readFileSync(k.publicKey));
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${key.asymmetricKeyType ?? 'unknown'}, want ed25519`);
      out.set(k.id, key);
    } catch (err) {
      logger.error({ err, keyId: k.id, file: k.publicKey }, 'platform key could not be loaded; requests signed with it will be refused');
    }
  }
  return out;
}

// RFC 3339 in UTC ("Z" or +00:00), optional fraction; Date.parse alone accepts far too much.
const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|\+00:00|-00:00)$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface AuthenticatorOptions {
  db: Database;
  keys: Map<string, KeyObject>;
  /** Allowed distance between auth.ts and the box clock (DESIGN: 120 s). */
  skewMs?: number;
  /** How long a nonce is remembered (DESIGN: 10 min); longer than 2 × skew, so a pruned nonce is also stale. */
  nonceWindowMs?: number;
  /** This site's id: a signed auth.site must equal it. */
  site?: string;
  /**
   * auth.site is mandatory (security.requireSiteBinding). Without it a request signed for
   * one site can be replayed at another within the window by anyone who may publish to the
   * other site's req topics; it stays optional only so older platforms keep working.
   */
  requireSiteBinding?: boolean;
}

/**
 * Check order: form (missing) → key (unknown_key) → signature (bad_signature) → site
 * (wrong_site) → clock (stale) → nonce (replayed). The signature comes before the later
 * reasons so they are only ever given for requests the platform really signed, and a nonce
 * is remembered only once its request proved authentic and meant for this site: forged or
 * cross-site traffic cannot burn nonces.
 *
 * auth.site (optional; mandatory with requireSiteBinding) is signed with the rest when
 * present, so it cannot be added, removed or changed without breaking the signature; a
 * signature without it covers exactly the contract's {verb, id, args, ts, nonce}.
 */
export class Authenticator {
  readonly refusals: Record<RefusalReason, number> = { missing: 0, unknown_key: 0, bad_signature: 0, wrong_site: 0, stale: 0, replayed: 0 };
  private readonly skewMs: number;
  private readonly windowMs: number;
  private readonly claimNonce;
  private readonly pruneStmt;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.skewMs = opts.skewMs ?? 120_000;
    this.windowMs = opts.nonceWindowMs ?? 600_000;
    // Claims the nonce unless it was seen inside the window; an expired row not yet pruned is taken over.
    this.claimNonce = opts.db.prepare<[string, string, number, number]>(
      `INSERT INTO request_nonces (nonce, key_id, seen_ms) VALUES (?, ?, ?)
       ON CONFLICT(nonce) DO UPDATE SET key_id = excluded.key_id, seen_ms = excluded.seen_ms
       WHERE request_nonces.seen_ms < ?`,
    );
    this.pruneStmt = opts.db.prepare<[number]>('DELETE FROM request_nonces WHERE seen_ms < ?');
  }

  check(verb: string, env: RequestEnvelope, now: Date): AuthResult {
    const result = this.evaluate(verb, env, now);
    if (!result.ok) this.refusals[result.reason] += 1;
    return result;
  }

  prune(now: Date): void {
    this.pruneStmt.run(now.getTime() - this.windowMs);
  }

  private evaluate(verb: string, env: RequestEnvelope, now: Date): AuthResult {
    const a = env.auth;
    if (!a) return refuse('missing', 'request must be signed (auth missing)');
    const { keyId, ts, nonce, sig } = a;
    if (typeof keyId !== 'string' || typeof ts !== 'string' || typeof nonce !== 'string' || typeof sig !== 'string') {
      return refuse('missing', 'auth needs string keyId, ts, nonce and sig');
    }
    if (!NONCE.test(nonce)) return refuse('missing', 'auth.nonce must be 16–64 base64url characters');
    const site = a.site;
    if (site !== undefined && typeof site !== 'string') return refuse('missing', 'auth.site must be a string (the site id)');
    if (site === undefined && this.opts.requireSiteBinding) {
      return refuse('missing', 'this site requires auth.site (the site id, signed with the request); security.requireSiteBinding is on');
    }
    const key = this.opts.keys.get(keyId);
    if (!key) return refuse('unknown_key', `no usable platform key '${keyId.slice(0, 64)}'`);
    const signed = canonicalJson(site === undefined ? { verb, id: env.id, args: env.args, ts, nonce } : { verb, id: env.id, args: env.args, ts, nonce, site });
    let good = false;
    if (BASE64.test(sig)) {
      try {
        good = verify(null, Buffer.from(signed, 'utf8'), key, Buffer.from(sig, 'base64'));
      } catch {
        good = false;
      }
    }
    if (!good) return refuse('bad_signature', 'signature does not verify');
    if (site !== undefined && site !== this.opts.site) {
      return refuse('wrong_site', `request was signed for site '${site.slice(0, 64)}', not for this site '${this.opts.site ?? ''}'`);
    }
    const at = parseUtc(ts);
    if (at === null) return refuse('stale', 'auth.ts must be an RFC 3339 UTC time');
    if (Math.abs(at - now.getTime()) > this.skewMs) return refuse('stale', `auth.ts is more than ${this.skewMs / 1000} s from the box clock`);
    const nowMs = now.getTime();
    const claimed = this.claimNonce.run(nonce, keyId, nowMs, nowMs - this.windowMs).changes > 0;
    if (!claimed) return refuse('replayed', 'nonce already used');
    return { ok: true, keyId };
  }
}

function refuse(reason: RefusalReason, message: string): AuthResult {
  return { ok: false, reason, message };
}

function parseUtc(ts: string): number | null {
  const m = RFC3339_UTC.exec(ts);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ? m[7].slice(0, 4) : ''}Z`);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls Feb 30 over; refuse a calendar date that does not exist.
  const back = new Date(ms);
  if (back.getUTCDate() !== Number(m[3]) || back.getUTCHours() !== Number(m[4])) return null;
  return ms;
}
