// Live-view tokens: random 32 bytes (base64url) handed out by live.open, each good for one
// camera until its expiry. Only the SHA-256 of a token is kept, so a memory dump or a
// debug print of the store cannot be replayed against the relay.
import { createHash, randomBytes } from 'node:crypto';

export interface LiveTokenEntry {
  camera: string;
  /** Epoch ms after which the token is refused and its viewers are closed. */
  expiresAt: number;
  /** The platform key that asked for it (null: unsigned request allowed by config). */
  keyId: string | null;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

const hashOf = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export class LiveTokens {
  private readonly byHash = new Map<string, LiveTokenEntry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new token for `camera`, valid until `expiresAt` (the caller fixes it, so the access register can say it first). */
  issue(camera: string, keyId: string | null, expiresAt: Date): IssuedToken {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    this.byHash.set(hashOf(token), { camera, expiresAt: expiresAt.getTime(), keyId });
    return { token, expiresAt };
  }

  /** The token's entry if it is known, unexpired and for this camera; null otherwise (no reason given to the caller). */
  check(token: string | null | undefined, camera: string): LiveTokenEntry | null {
    if (!token || token.length > 128) return null;
    const entry = this.byHash.get(hashOf(token));
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.byHash.delete(hashOf(token));
      return null;
    }
    return entry.camera === camera ? entry : null;
  }

  /** Tokens still held (expired ones are dropped first). */
  size(): number {
    this.sweep();
    return this.byHash.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [hash, entry] of this.byHash) if (entry.expiresAt <= now) this.byHash.delete(hash);
  }
}
