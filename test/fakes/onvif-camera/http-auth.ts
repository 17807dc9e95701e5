// HTTP authentication as cameras do it: Digest (RFC 7616, MD5 and SHA-256, qop=auth),
// which ONVIF Core 5.9.1 requires, and Basic, which many snapshot endpoints still take.
// Nonces are stateless (time + HMAC), so nothing needs cleaning up at stop().
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const NONCE_LIFETIME_MS = 5 * 60_000;

export interface HttpCredentials {
  username: string;
  password: string;
}

export class HttpAuth {
  private readonly secret = randomBytes(32);
  constructor(
    private readonly realm: string,
    private readonly creds: () => HttpCredentials,
  ) {}

  /** WWW-Authenticate values to send with a 401 (Digest MD5 first, then SHA-256). */
  challenges(stale = false): string[] {
    const nonce = this.makeNonce();
    const s = stale ? ', stale=true' : '';
    return [
      `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", algorithm=MD5${s}`,
      `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", algorithm=SHA-256${s}`,
    ];
  }

  /** 'ok', 'none' (no Authorization header), 'stale' (digest nonce expired) or 'bad'. */
  check(req: IncomingMessage, allowBasic: boolean): 'ok' | 'none' | 'stale' | 'bad' {
    const header = req.headers.authorization;
    if (!header) return 'none';
    const { username, password } = this.creds();
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const rest = header.slice(space + 1).trim();
    if (scheme === 'basic') {
      if (!allowBasic) return 'bad';
      return safeEqual(Buffer.from(rest, 'base64').toString('utf8'), `${username}:${password}`) ? 'ok' : 'bad';
    }
    if (scheme !== 'digest') return 'bad';
    const p = parseParams(rest);
    const algo = (p.algorithm ?? 'MD5').toUpperCase();
    const hashName = algo === 'MD5' ? 'md5' : algo === 'SHA-256' ? 'sha256' : null;
    if (!hashName || p.username !== username || p.realm !== this.realm || !p.nonce || !p.response) return 'bad';
    if (p.uri !== req.url) return 'bad';
    const h = (s: string) => createHash(hashName).update(s).digest('hex');
    const ha1 = h(`${username}:${this.realm}:${password}`);
    const ha2 = h(`${req.method}:${p.uri}`);
    const expected =
      p.qop === 'auth' ? h(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`) : h(`${ha1}:${p.nonce}:${ha2}`);
    if (!safeEqual(expected, p.response.toLowerCase())) return 'bad';
    return this.nonceFresh(p.nonce) ? 'ok' : 'stale';
  }

  private makeNonce(now = Date.now()): string {
    const ts = now.toString(16);
    return `${ts}.${createHmac('sha256', this.secret).update(ts).digest('hex').slice(0, 32)}`;
  }

  private nonceFresh(nonce: string): boolean {
    const [ts] = nonce.split('.');
    const t = parseInt(ts ?? '', 16);
    return !Number.isNaN(t) && safeEqual(this.makeNonce(t), nonce) && Date.now() - t <= NONCE_LIFETIME_MS;
  }
}

function parseParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
