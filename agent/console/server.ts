// The console's HTTP server (node:http, no framework). Every request passes the same
// gates before a page handler runs: the Host header (DNS rebinding), the method, the
// session, the route's role and, for POST, the body limit, the Origin and the CSRF token.
// Pages (pages/*.ts) only ever see an authenticated, authorised, CSRF-checked request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import type { AgentConfig, Language } from '../config/index.js';
import { parseListen } from '../config/listen.js';
import { consoleAuthTexts } from '../i18n/console-auth.js';
import { isLanguage, translator } from '../i18n/index.js';
import { AccountStore, nameProblem } from './accounts.js';
import { roleAtLeast, type ConsoleServices, type ConsoleUser, type PageRequest, type PageResponse, type Role, type Route } from './contract.js';
import { CSRF_FIELD, CSRF_HEADER, CsrfTokens, LOGIN_COOKIE, sameOrigin, tokenMatches } from './csrf.js';
import { BodyTooLarge, clearCookie, contentSecurityPolicy, cookie, hostAllowed, hostPort, isLocalPath, parseCookies, readBody, safeNext } from './http.js';
import { errorPage, LOGIN_CSS, loginPage, type ErrorKind } from './login.js';
import { verifyPassword } from './password.js';
import { FailureLimiter, type FailureLimit } from './rate-limit.js';
import { DEFAULT_SESSION_LIMITS, SESSION_COOKIE, SessionStore, type Session, type SessionLimits } from './sessions.js';

export const MAX_BODY_BYTES = 64 * 1024;
/** Password checks running at once (each scrypt holds 32 MiB): more wait their turn as a 429. */
const MAX_CONCURRENT_LOGINS = 4;

export interface ConsoleLimits {
  perAccount: FailureLimit;
  perAddress: FailureLimit;
  sessions: SessionLimits;
  bodyBytes: number;
}

export const DEFAULT_CONSOLE_LIMITS: ConsoleLimits = {
  perAccount: { failures: 5, windowMs: 15 * 60_000 },
  // Higher: several operators may sit behind one address.
  perAddress: { failures: 20, windowMs: 15 * 60_000 },
  sessions: DEFAULT_SESSION_LIMITS,
  bodyBytes: MAX_BODY_BYTES,
};

export interface ConsoleServerDeps {
  config: AgentConfig;
  db: Database;
  services: ConsoleServices;
  routes: Route[];
  logger: Logger;
  now: () => Date;
  /** Live relay the pages' players connect to (CSP connect-src); default: config.live when its port is fixed. */
  live?: { host: string; port: number } | null;
  limits?: Partial<ConsoleLimits>;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  host: string;
  cookies: Map<string, string>;
  session: Session | null;
  user: ConsoleUser | null;
  lang: Language;
  address: string;
}

const ROLE_TEXT = { viewer: 'roleViewer', operator: 'roleOperator', admin: 'roleAdmin' } as const;

export class ConsoleHttp {
  readonly sessions: SessionStore;
  private readonly accounts: AccountStore;
  private readonly csrf = new CsrfTokens();
  private readonly perAccount: FailureLimiter;
  private readonly perAddress: FailureLimiter;
  private readonly limits: ConsoleLimits;
  private readonly routes: CompiledRoute[];
  private readonly machineNames: string[];
  private listen: { host: string; port: number } | null = null;
  private loginsInFlight = 0;

  constructor(private readonly deps: ConsoleServerDeps) {
    this.limits = { ...DEFAULT_CONSOLE_LIMITS, ...deps.limits };
    this.sessions = new SessionStore(this.limits.sessions);
    this.accounts = new AccountStore(deps.db);
    this.perAccount = new FailureLimiter(this.limits.perAccount);
    this.perAddress = new FailureLimiter(this.limits.perAddress);
    this.routes = deps.routes.map((route) => ({ route, segments: route.pattern.split('/').slice(1) }));
    const machine = hostname().toLowerCase();
    this.machineNames = [machine, `${machine}.local`];
  }

  /** Called once the socket is bound: the Host guard needs the real port. */
  bound(listen: { host: string; port: number }): void {
    this.listen = listen;
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((err: unknown) => {
      this.deps.logger.error({ err, path: pathOnly(req.url) }, 'console request failed');
      if (!res.headersSent) this.sendHtml(res, 500, errorPage(this.deps.config.console.language, 500));
      else res.destroy();
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fallbackLang = this.deps.config.console.language;
    const host = req.headers.host;
    this.securityHeaders(res, host);
    if (!this.listen || !hostAllowed(host, this.listen, this.machineNames)) {
      res.setHeader('Connection', 'close');
      return this.sendHtml(res, host ? 421 : 400, errorPage(fallbackLang, host ? 421 : 400, undefined, null));
    }
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      return this.sendHtml(res, 405, errorPage(fallbackLang, 405));
    }
    if (!req.url?.startsWith('/')) return this.sendHtml(res, 400, errorPage(fallbackLang, 400));
    let url: URL;
    try {
      url = new URL(req.url, 'http://console.invalid');
    } catch {
      return this.sendHtml(res, 400, errorPage(fallbackLang, 400));
    }
    const nowMs = this.deps.now().getTime();
    const cookies = parseCookies(req.headers.cookie);
    let session = this.sessions.touch(cookies.get(SESSION_COOKIE), nowMs);
    let user: ConsoleUser | null = null;
    if (session) {
      // Read on every request: a user removed or demoted with `cea user` is so at once.
      const account = this.accounts.get(session.user);
      if (account) user = { name: account.name, role: account.role, language: account.language ?? fallbackLang };
      else {
        this.sessions.destroy(session.id);
        session = null;
      }
    }
    const asked = url.searchParams.get('lang');
    const queryLang = isLanguage(asked) ? asked : null;
    if (session && queryLang && method === 'GET') session.lang = queryLang;
    const lang = session?.lang ?? user?.language ?? queryLang ?? fallbackLang;
    const ctx: Ctx = { req, res, url, host: host as string, cookies, session, user, lang, address: clientAddress(req) };

    if (method === 'POST') {
      const declared = Number(req.headers['content-length'] ?? '0');
      if (!Number.isFinite(declared) || declared > this.limits.bodyBytes) return this.tooLarge(ctx);
    }

    const path = url.pathname;
    if (path === '/login.css' && method === 'GET') {
      return this.send(res, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }, LOGIN_CSS);
    }
    if (path === '/login') return method === 'GET' ? this.loginForm(ctx) : this.login(ctx);
    if (path === '/logout' || path === '/language') {
      if (method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return this.sendHtml(res, 405, errorPage(lang, 405));
      }
      const form = await this.checkedForm(ctx);
      if (!form) return;
      return path === '/logout' ? this.logout(ctx) : this.setLanguage(ctx, form);
    }
    return this.page(ctx);
  }

  // ---- pages ----

  private async page(ctx: Ctx): Promise<void> {
    const { req, res, url } = ctx;
    const method = req.method as 'GET' | 'POST';
    if (!ctx.user || !ctx.session) {
      if (method === 'GET') return this.redirect(res, `/login?next=${encodeURIComponent(safeNext(url.pathname + url.search))}`);
      return this.sendHtml(res, 403, errorPage(ctx.lang, 403, this.t(ctx.lang)('forbiddenSignedOut'), 'login'));
    }
    const matches = this.match(url.pathname);
    if (matches === 'bad') return this.sendHtml(res, 400, errorPage(ctx.lang, 400));
    if (matches.length === 0) return this.sendHtml(res, 404, errorPage(ctx.lang, 404));
    const hit = matches.find((m) => m.route.method === method);
    if (!hit) {
      res.setHeader('Allow', [...new Set(matches.map((m) => m.route.method))].join(', '));
      return this.sendHtml(res, 405, errorPage(ctx.lang, 405));
    }
    if (!roleAtLeast(ctx.user.role, hit.route.minRole)) return this.forbiddenRole(ctx, hit.route.minRole);
    let form = new URLSearchParams();
    if (method === 'POST') {
      const checked = await this.checkedForm(ctx);
      if (!checked) return;
      form = checked;
    }
    const request: PageRequest = {
      method,
      path: url.pathname,
      params: hit.params,
      query: url.searchParams,
      form,
      user: ctx.user,
      lang: ctx.lang,
      csrfToken: this.csrf.forSession(ctx.session.id),
      services: this.deps.services,
    };
    let response: PageResponse;
    try {
      response = await hit.route.handle(request);
    } catch (err) {
      this.deps.logger.error({ err, path: url.pathname, user: ctx.user.name }, 'console page failed');
      return this.sendHtml(res, 500, errorPage(ctx.lang, 500));
    }
    this.respond(ctx, response);
  }

  private respond(ctx: Ctx, r: PageResponse): void {
    if (r.kind === 'redirect') {
      // A page's redirect stays on the console (a page building it from a query must not become an open redirect).
      return this.redirect(ctx.res, isLocalPath(r.location) ? r.location : '/', 303);
    }
    if (r.kind === 'html') return this.sendHtml(ctx.res, r.status ?? 200, r.html);
    // Images of cameras are image information: never kept in a cache unless the page says otherwise.
    const headers: Record<string, string> = { 'Content-Type': r.contentType, 'Cache-Control': 'no-store', ...r.headers };
    this.send(ctx.res, r.status ?? 200, headers, r.body);
  }

  private match(path: string): { route: Route; params: Record<string, string> }[] | 'bad' {
    const parts = path.split('/').slice(1);
    const out: { route: Route; params: Record<string, string> }[] = [];
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const want = c.segments[i] as string;
        const got = parts[i] as string;
        if (want.startsWith(':')) {
          if (got === '') ok = false;
          else {
            try {
              params[want.slice(1)] = decodeURIComponent(got);
            } catch {
              return 'bad';
            }
          }
        } else ok = want === got;
      }
      if (ok) out.push({ route: c.route, params });
    }
    return out;
  }

  // ---- login, logout, language ----

  private loginForm(ctx: Ctx, extra: { status?: number; name?: string; message?: { kind: 'error' | 'info'; text: string }; retryAfter?: number } = {}): void {
    const { res, url, cookies } = ctx;
    const next = safeNext(url.searchParams.get('next'));
    if (ctx.session && ctx.req.method === 'GET') return this.redirect(res, next);
    const existing = cookies.get(LOGIN_COOKIE);
    // Kept when present, so two open login tabs both work; new when absent or malformed.
    const loginCookie = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : this.csrf.newLoginCookie();
    res.setHeader('Set-Cookie', cookie(LOGIN_COOKIE, loginCookie, { path: '/login', maxAgeSeconds: 3600 }));
    if (extra.retryAfter !== undefined) res.setHeader('Retry-After', String(extra.retryAfter));
    this.sendHtml(
      res,
      extra.status ?? 200,
      loginPage({
        lang: ctx.lang,
        csrfToken: this.csrf.forLogin(loginCookie),
        next,
        ...(extra.name !== undefined ? { name: extra.name } : {}),
        message: extra.message ?? (url.searchParams.has('signed-out') ? { kind: 'info', text: this.t(ctx.lang)('loggedOut') } : undefined),
        noUsers: this.accounts.count() === 0,
      }),
    );
  }

  private async login(ctx: Ctx): Promise<void> {
    const { req, res } = ctx;
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      return this.sendHtml(res, 405, errorPage(ctx.lang, 405));
    }
    if (!sameOrigin(req.headers, ctx.host)) return this.csrfRefused(ctx, 'origin');
    const form = await this.readForm(ctx);
    if (!form) return;
    const loginCookie = ctx.cookies.get(LOGIN_COOKIE);
    const presented = form.get(CSRF_FIELD) ?? headerValue(req.headers[CSRF_HEADER]);
    if (!loginCookie || !tokenMatches(presented, this.csrf.forLogin(loginCookie))) return this.csrfRefused(ctx, 'token');

    const formLang = form.get('lang');
    if (isLanguage(formLang)) ctx.lang = formLang;
    const next = safeNext(form.get('next'));
    ctx.url.searchParams.set('next', next);
    const name = (form.get('name') ?? '').trim().slice(0, 64);
    const password = form.get('password') ?? '';
    const t = this.t(ctx.lang);
    const nowMs = this.deps.now().getTime();
    const accountKey = name.toLowerCase();
    const wait = Math.max(this.perAddress.retryAfterSeconds(ctx.address, nowMs), this.perAccount.retryAfterSeconds(accountKey, nowMs));
    if (wait > 0) {
      this.deps.logger.warn({ user: name, address: ctx.address, retryAfterSeconds: wait }, 'console login refused: too many failures');
      return this.loginForm(ctx, { status: 429, name, retryAfter: wait, message: { kind: 'error', text: t('tooManyAttempts', { minutes: Math.ceil(wait / 60) }) } });
    }
    if (this.loginsInFlight >= MAX_CONCURRENT_LOGINS) {
      return this.loginForm(ctx, { status: 429, name, retryAfter: 1, message: { kind: 'error', text: t('busy') } });
    }
    this.loginsInFlight += 1;
    let account;
    let ok: boolean;
    try {
      account = nameProblem(name) === null ? this.accounts.get(name) : null;
      ok = await verifyPassword(password, account?.passwordHash ?? null);
    } finally {
      this.loginsInFlight -= 1;
    }
    const at = this.deps.now().getTime();
    if (!ok || !account) {
      this.perAddress.fail(ctx.address, at);
      this.perAccount.fail(accountKey, at);
      this.deps.logger.warn({ user: name, address: ctx.address }, 'console login failed');
      return this.loginForm(ctx, { status: 401, name, message: { kind: 'error', text: t('wrongCredentials') } });
    }
    this.perAccount.reset(accountKey);
    // A new id at login, whatever cookie came in: a planted (fixated) id never becomes a session.
    this.sessions.destroy(ctx.cookies.get(SESSION_COOKIE));
    const session = this.sessions.create(account.name, at, isLanguage(formLang) && formLang !== (account.language ?? this.deps.config.console.language) ? formLang : null);
    this.deps.logger.info({ user: account.name, role: account.role, address: ctx.address }, 'console login');
    res.setHeader('Set-Cookie', [cookie(SESSION_COOKIE, session.id), clearCookie(LOGIN_COOKIE, '/login')]);
    this.redirect(res, next, 303);
  }

  private logout(ctx: Ctx): void {
    if (ctx.session) {
      this.sessions.destroy(ctx.session.id);
      this.deps.logger.info({ user: ctx.session.user, address: ctx.address }, 'console logout');
    }
    ctx.res.setHeader('Set-Cookie', clearCookie(SESSION_COOKIE));
    this.redirect(ctx.res, '/login?signed-out', 303);
  }

  /** Saves the operator's own language (every later session uses it) and goes back. */
  private setLanguage(ctx: Ctx, form: URLSearchParams): void {
    const lang = form.get('lang');
    if (!isLanguage(lang) || !ctx.session || !ctx.user) return this.sendHtml(ctx.res, 400, errorPage(ctx.lang, 400));
    this.accounts.setLanguage(ctx.user.name, lang, this.deps.now().getTime());
    ctx.session.lang = null;
    this.redirect(ctx.res, safeNext(form.get('next')), 303);
  }

  // ---- POST gates ----

  /** For POSTs of a session: signed in, same origin, body within the limit, CSRF token of this session. Null when refused (already answered). */
  private async checkedForm(ctx: Ctx): Promise<URLSearchParams | null> {
    if (!ctx.session || !ctx.user) {
      this.sendHtml(ctx.res, 403, errorPage(ctx.lang, 403, this.t(ctx.lang)('forbiddenSignedOut'), 'login'));
      return null;
    }
    if (!sameOrigin(ctx.req.headers, ctx.host)) {
      this.csrfRefused(ctx, 'origin');
      return null;
    }
    const form = await this.readForm(ctx);
    if (!form) return null;
    const presented = form.get(CSRF_FIELD) ?? headerValue(ctx.req.headers[CSRF_HEADER]);
    if (!tokenMatches(presented, this.csrf.forSession(ctx.session.id))) {
      this.csrfRefused(ctx, 'token');
      return null;
    }
    form.delete(CSRF_FIELD);
    return form;
  }

  private async readForm(ctx: Ctx): Promise<URLSearchParams | null> {
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    let body: Buffer;
    try {
      body = await readBody(ctx.req, this.limits.bodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        this.tooLarge(ctx);
        return null;
      }
      throw err;
    }
    if (body.length > 0 && type !== 'application/x-www-form-urlencoded') {
      this.sendHtml(ctx.res, 415, errorPage(ctx.lang, 415));
      return null;
    }
    return new URLSearchParams(body.toString('utf8'));
  }

  private csrfRefused(ctx: Ctx, why: 'origin' | 'token'): void {
    this.deps.logger.warn({ path: ctx.url.pathname, address: ctx.address, user: ctx.user?.name ?? null, why }, 'console POST refused (CSRF)');
    // The body (if any is left) is drained, never looked at.
    ctx.req.resume();
    this.sendHtml(ctx.res, 403, errorPage(ctx.lang, 403, this.t(ctx.lang)('forbiddenCsrf')));
  }

  private tooLarge(ctx: Ctx): void {
    ctx.res.setHeader('Connection', 'close');
    ctx.req.resume();
    this.sendHtml(ctx.res, 413, errorPage(ctx.lang, 413));
  }

  private forbiddenRole(ctx: Ctx, need: Role): void {
    const t = this.t(ctx.lang);
    this.deps.logger.info({ path: ctx.url.pathname, user: ctx.user?.name, role: ctx.user?.role, need }, 'console page refused: role');
    ctx.req.resume();
    this.sendHtml(ctx.res, 403, errorPage(ctx.lang, 403, t('forbiddenRole', { role: t(ROLE_TEXT[need]) })));
  }

  // ---- responses ----

  private t(lang: Language) {
    return translator(consoleAuthTexts, lang);
  }

  private securityHeaders(res: ServerResponse, host: string | undefined): void {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(this.liveOrigins(host)));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  }

  /**
   * ws:// origins of the live relay: the host it advertises (what live URLs name) and the
   * host this console was reached at (the same box seen from the operator's side), at the
   * relay's real port. Only these, not any ws: host.
   */
  private liveOrigins(host: string | undefined): string[] {
    const live = this.liveAddress();
    if (!live) return [];
    const origins = new Set([`ws://${hostPort(live.host, live.port)}`]);
    const requestHost = host ? /^(\[[^\]]+\]|[^:]+)/.exec(host)?.[1] : undefined;
    if (requestHost && /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/.test(requestHost)) origins.add(`ws://${requestHost}:${live.port}`);
    return [...origins];
  }

  private liveAddress(): { host: string; port: number } | null {
    if (this.deps.live !== undefined) return this.deps.live;
    const parsed = parseListen(this.deps.config.live.listen, { anyPort: true });
    if ('error' in parsed || parsed.port === 0) return null;
    return { host: this.deps.config.live.advertise ?? parsed.host, port: parsed.port };
  }

  private redirect(res: ServerResponse, location: string, status = 302): void {
    this.send(res, status, { Location: location, 'Cache-Control': 'no-store' }, '');
  }

  private sendHtml(res: ServerResponse, status: number, html: string): void {
    this.send(res, status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, html);
  }

  private send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Uint8Array): void {
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.setHeader('Content-Length', String(bytes.byteLength));
    res.statusCode = status;
    res.end(bytes);
  }
}

function headerValue(v: string | string[] | undefined): string | null {
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function pathOnly(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

export type { ErrorKind };
