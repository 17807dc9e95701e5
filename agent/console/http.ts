// Small HTTP pieces of the console server: cookies, the safe `next` of a login, the
// Host header guard against DNS rebinding, security headers, bounded form bodies.
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost, isWildcardHost } from '../config/listen.js';

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    // The first of two same-named cookies is the most specific path: keep it.
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function cookie(name: string, value: string, opts: { path?: string; maxAgeSeconds?: number } = {}): string {
  const parts = [`${name}=${value}`, `Path=${opts.path ?? '/'}`, 'HttpOnly', 'SameSite=Strict'];
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${opts.maxAgeSeconds}`);
  return parts.join('; ');
}

export function clearCookie(name: string, path = '/'): string {
  return cookie(name, '', { path, maxAgeSeconds: 0 });
}

const BASE = 'http://console.invalid';

/**
 * Where to go after login: a path on this console, else "/". Refuses what a browser
 * would take to another host (`//evil`, `/\evil`, `http:…`), control characters, and
 * the login/logout addresses themselves.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !isLocalPath(next)) return '/';
  const url = new URL(next, BASE);
  if (url.pathname === '/login' || url.pathname === '/logout') return '/';
  return url.pathname + url.search;
}

/** A path on this console that no browser would resolve to another host. */
export function isLocalPath(p: string): boolean {
  if (p.length > 2048 || !p.startsWith('/') || p.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(p)) return false;
  try {
    return new URL(p, BASE).origin === BASE;
  } catch {
    return false;
  }
}

/**
 * Whether a Host header names this console. A DNS-rebinding page reaches us under its own
 * domain name, so names are accepted only when they are ours: the configured host,
 * "localhost" for a loopback or wildcard listener, the machine's name for a wildcard one.
 * IP literals cannot be rebound: a wildcard listener accepts any; a specific one only itself.
 */
export function hostAllowed(header: string | undefined, listen: { host: string; port: number }, machineNames: readonly string[]): boolean {
  if (!header) return false;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(header);
  if (!m) return false;
  const port = m[3] === undefined ? 80 : Number(m[3]);
  if (port !== listen.port) return false;
  const name = (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '');
  const own = listen.host.toLowerCase();
  const wildcard = isWildcardHost(own);
  if (name === own) return true;
  if (isIP(name) !== 0) return wildcard || (isLoopbackHost(own) && isLoopbackHost(name));
  if (name === 'localhost') return wildcard || isLoopbackHost(own);
  return wildcard && machineNames.some((n) => n.toLowerCase() === name);
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Content-Security-Policy: everything from this origin only; the live relay's WebSocket as the one other connection. */
export function contentSecurityPolicy(wsOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src ${["'self'", ...wsOrigins].join(' ')}`,
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

/** The request body, refused past `limit` bytes (the rest is drained, not kept). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(new BodyTooLarge(`body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!over) reject(err);
    });
  });
}
