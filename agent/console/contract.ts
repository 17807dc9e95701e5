// The seam between the console's server (HTTP, accounts, sessions, CSRF, rate limits:
// server.ts and friends) and its pages (pages/*.ts). The server authenticates, checks
// the route's role and, for POST, the CSRF token before a page handler ever runs; a page
// handler is a plain function from a request to HTML (or bytes, or a redirect).
import type { AgentConfig, Language } from '../config/index.js';
import type { Database } from '../../drivers/store/index.js';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export interface ConsoleUser {
  name: string;
  role: Role;
  /** The user's own language, else the console's. */
  language: Language;
}

/** What pages may use of the running agent (wired in agent/main.ts). */
export interface ConsoleServices {
  config: AgentConfig;
  /** The agent's database: pages read it; writes go through the services below. */
  db: Database;
  now(): Date;
  /** Latest snapshot of a camera as a small JPEG, if the monitor has one (never fetches). */
  thumbnail(cameraId: string): { jpeg: Uint8Array; atMs: number } | null;
  /** Writes one access-register row (console.view, console.live, …) before the use happens. */
  registerAccess(entry: { verb: string; cameras: string[]; requester: string; purpose: string | null; detail: Record<string, unknown> }): void;
  /** Holds (admin only: the route says so). Throws HoldError on bad input. kind defaults to legal (until released); vital lasts the profile's vitalHoldDays. */
  addHold(h: { cameraId: string; fromMs: number; toMs: number; kind?: 'vital' | 'legal'; reason: string; by: string }): { id: string };
  releaseHold(id: string, by: string, reason: string): void;
  /** Runs `diagnose` (recorded as an inspection with source "console"). */
  diagnose(requester: string): Promise<unknown>;
  /** A live-view URL (token relay) for a camera, or null when live view is off / prohibited. */
  openLive(cameraId: string, requester: string): { url: string; expiresAtMs: number } | null;
}

export interface PageRequest {
  method: 'GET' | 'POST';
  /** The path without the query. */
  path: string;
  /** `:name` parameters of the route's pattern, decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** POST bodies (application/x-www-form-urlencoded), CSRF already checked. */
  form: URLSearchParams;
  user: ConsoleUser;
  lang: Language;
  /** To put in every form as <input type="hidden" name="_csrf">. */
  csrfToken: string;
  services: ConsoleServices;
}

export type PageResponse =
  | { kind: 'html'; status?: number; html: string }
  | { kind: 'bytes'; status?: number; contentType: string; body: Uint8Array | string; headers?: Record<string, string> }
  | { kind: 'redirect'; location: string };

export interface Route {
  method: 'GET' | 'POST';
  /** e.g. '/cameras/:id'; matched segment by segment. */
  pattern: string;
  minRole: Role;
  handle(req: PageRequest): Promise<PageResponse> | PageResponse;
}
