// HTTP authentication as cameras ask for it (ONVIF Core 5.9.1: HTTP Digest; snapshot
// endpoints: Digest or Basic). Digest per RFC 7616/2617: MD5, MD5-sess, SHA-256,
// qop=auth (a server offering "auth,auth-int" gets auth), opaque echoed, no algorithm = MD5.
// Several challenges may come in one header or in several WWW-Authenticate headers
// (Hikvision sends an MD5 and a SHA-256 one): the strongest Digest wins; Basic is used only
// when the camera offers nothing else.
import { createHash, randomBytes } from 'node:crypto';

export interface Challenge {
  scheme: string; // lower case: 'digest', 'basic', …
  params: Record<string, string>;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Every challenge in the WWW-Authenticate headers of a response (from rawHeaders). */
export function parseChallenges(rawHeaders: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'www-authenticate') continue;
    const value = rawHeaders[i + 1]!;
    if (value.length > 4096) continue; // nothing legitimate is that long
    out.push(...parseChallengeList(value));
  }
  return out;
}

/**
 * `Digest realm="a", qop="auth,auth-int", nonce="x", Basic realm="b"` → two challenges.
 * A new challenge starts at a token that is not followed by '='.
 */
export function parseChallengeList(value: string): Challenge[] {
  const out: Challenge[] = [];
  let cur: Challenge | null = null;
  let i = 0;
  const n = value.length;
  const skip = (re: RegExp) => {
    while (i < n && re.test(value[i]!)) i++;
  };
  while (i < n) {
    skip(/[\s,]/);
    if (i >= n) break;
    const tokStart = i;
    skip(/[^\s,=]/);
    const token = value.slice(tokStart, i);
    const afterTok = i;
    skip(/\s/);
    if (value[i] === '=' && cur && token) {
      i++;
      skip(/\s/);
      let v = '';
      if (value[i] === '"') {
        i++;
        while (i < n && value[i] !== '"') {
          if (value[i] === '\\' && i + 1 < n) i++;
          v += value[i];
          i++;
        }
        i++; // closing quote
      } else {
        const vs = i;
        skip(/[^\s,]/);
        v = value.slice(vs, i);
      }
      cur.params[token.toLowerCase()] = v;
      continue;
    }
    if (!token) {
      i = afterTok + 1;
      continue;
    }
    // A scheme name. (A token68 after it, as Negotiate sends, reads as a junk param: harmless.)
    i = afterTok;
    cur = { scheme: token.toLowerCase(), params: {} };
    out.push(cur);
  }
  return out;
}

const DIGEST_ALGOS: Record<string, { hash: 'md5' | 'sha256'; sess: boolean; rank: number }> = {
  'MD5': { hash: 'md5', sess: false, rank: 1 },
  'MD5-SESS': { hash: 'md5', sess: true, rank: 1 },
  'SHA-256': { hash: 'sha256', sess: false, rank: 2 },
  'SHA-256-SESS': { hash: 'sha256', sess: true, rank: 2 },
};

/** The challenge we answer: the strongest usable Digest, else Basic, else null. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | null {
  let best: Challenge | null = null;
  let bestRank = 0;
  for (const c of challenges) {
    if (c.scheme !== 'digest' || !c.params.nonce || c.params.realm === undefined) continue;
    const algo = DIGEST_ALGOS[(c.params.algorithm ?? 'MD5').toUpperCase()];
    if (!algo) continue;
    const qop = c.params.qop;
    if (qop !== undefined && !qop.split(',').some((q) => q.trim().toLowerCase() === 'auth')) continue;
    if (algo.rank > bestRank) {
      best = c;
      bestRank = algo.rank;
    }
  }
  if (best) return best;
  return challenges.find((c) => c.scheme === 'basic') ?? null;
}

/**
 * Answers one challenge. A Digest state keeps the server nonce and counts nc, so the
 * same challenge can be reused pre-emptively on the next request (saving a 401 round trip).
 */
export class HttpAuthState {
  private nc = 0;
  constructor(readonly challenge: Challenge) {}

  get isDigest(): boolean {
    return this.challenge.scheme === 'digest';
  }

  get stale(): boolean {
    return (this.challenge.params.stale ?? '').toLowerCase() === 'true';
  }

  /** The Authorization header value for a request (uri = path and query, as sent). */
  authorization(method: string, uri: string, creds: Credentials): string {
    if (this.challenge.scheme === 'basic') {
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
    }
    const p = this.challenge.params;
    const algoName = (p.algorithm ?? 'MD5').toUpperCase();
    const algo = DIGEST_ALGOS[algoName] ?? DIGEST_ALGOS.MD5!;
    const h = (s: string) => createHash(algo.hash).update(s, 'utf8').digest('hex');
    const realm = p.realm ?? '';
    const nonce = p.nonce ?? '';
    const useQop = p.qop !== undefined;
    const cnonce = randomBytes(8).toString('hex');
    const nc = (++this.nc).toString(16).padStart(8, '0');
    let ha1 = h(`${creds.username}:${realm}:${creds.password}`);
    if (algo.sess) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
    const ha2 = h(`${method}:${uri}`);
    const response = useQop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
    const parts = [
      `username="${quote(creds.username)}"`,
      `realm="${quote(realm)}"`,
      `nonce="${quote(nonce)}"`,
      `uri="${quote(uri)}"`,
      // Echo the algorithm only when the server named one (some old servers choke on it otherwise).
      ...(p.algorithm !== undefined ? [`algorithm=${p.algorithm}`] : []),
      `response="${response}"`,
      ...(useQop ? ['qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`] : []),
      ...(p.opaque !== undefined ? [`opaque="${quote(p.opaque)}"`] : []),
    ];
    return `Digest ${parts.join(', ')}`;
  }
}

function quote(s: string): string {
  return s.replace(/[\\"]/g, '\\$&');
}
