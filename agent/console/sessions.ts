// Console sessions, kept in memory: a restart of the agent logs every operator out,
// which is the safe direction. The id is 32 random bytes; the cookie carries only that.
import { randomBytes } from 'node:crypto';
import type { Language } from '../config/index.js';

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly createdMs: number;
  lastSeenMs: number;
  /** Chosen with ?lang= for this session only; null: the user's or the console's. */
  lang: Language | null;
}

export interface SessionLimits {
  /** Ends after this long without a request. */
  idleMs: number;
  /** Ends this long after login, however active. */
  absoluteMs: number;
  /** Oldest sessions are dropped beyond this (memory bound). */
  max: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, max: 2000 };

export const SESSION_COOKIE = 'cea_session';

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  /** A fresh session (login): always a new id, so a fixated id is worth nothing. */
  create(user: string, nowMs: number, lang: Language | null = null): Session {
    const session: Session = { id: randomBytes(32).toString('base64url'), user, createdMs: nowMs, lastSeenMs: nowMs, lang };
    this.sessions.set(session.id, session);
    while (this.sessions.size > this.limits.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return session;
  }

  /** The live session for a cookie value, touched; null when unknown or expired (then forgotten). */
  touch(id: string | undefined, nowMs: number): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (this.expired(s, nowMs)) {
      this.sessions.delete(id);
      return null;
    }
    s.lastSeenMs = nowMs;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Ends every session of a user (removed, or its password changed). */
  destroyUser(user: string): void {
    for (const [id, s] of this.sessions) if (s.user === user) this.sessions.delete(id);
  }

  sweep(nowMs: number): void {
    for (const [id, s] of this.sessions) if (this.expired(s, nowMs)) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(s: Session, nowMs: number): boolean {
    return nowMs - s.lastSeenMs > this.limits.idleMs || nowMs - s.createdMs > this.limits.absoluteMs;
  }
}
