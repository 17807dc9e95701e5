// A ConsoleService on 127.0.0.1:0 over a real SQLite file, with a few stand-in routes
// (the real pages are another module's): what the console server tests drive with fetch.
import { request } from 'node:http';
import { AccountStore } from '../../agent/console/accounts.js';
import type { ConsoleServices, Role, Route } from '../../agent/console/contract.js';
import { hashPassword } from '../../agent/console/password.js';
import type { ConsoleLimits } from '../../agent/console/server.js';
import { ConsoleService } from '../../agent/console/service.js';
import type { AgentConfig, Language } from '../../agent/config/index.js';
import { silentLogger, type Logger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

// Cheaper than the default cost: the tests log in dozens of times on a shared 2-core box.
const TEST_SCRYPT = { N: 2 ** 12, r: 8, p: 1 };

export const PASSWORDS = { admin: 'admin-password-1', op: 'operator-password-1', viewer: 'viewer-password-1' } as const;

export const standInRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/',
    minRole: 'viewer',
    handle: (r) => ({ kind: 'html', html: `<p id="who">${r.user.name}/${r.user.role}/${r.lang}</p><form><input name="_csrf" value="${r.csrfToken}"></form>` }),
  },
  { method: 'GET', pattern: '/admin', minRole: 'admin', handle: () => ({ kind: 'html', html: '<p>admin page</p>' }) },
  {
    method: 'POST',
    pattern: '/echo',
    minRole: 'operator',
    handle: (r) => ({ kind: 'bytes', contentType: 'application/json', body: JSON.stringify({ form: Object.fromEntries(r.form), user: r.user.name }) }),
  },
  { method: 'GET', pattern: '/cameras/:id', minRole: 'viewer', handle: (r) => ({ kind: 'html', html: `<p id="cam">${JSON.stringify(r.params)}</p>` }) },
  {
    method: 'GET',
    pattern: '/boom',
    minRole: 'viewer',
    handle: () => {
      throw new Error('secret-detail-in-stack');
    },
  },
  {
    method: 'GET',
    pattern: '/form',
    minRole: 'viewer',
    handle: (r) => ({
      kind: 'html',
      html: `<!doctype html><html><body><form method="post" action="/echo"><input type="hidden" name="_csrf" value="${r.csrfToken}"><input name="camera" value="gate-north"><button id="send">send</button></form>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${r.csrfToken}"><button id="logout">logout</button></form></body></html>`,
    }),
  },
  { method: 'GET', pattern: '/away', minRole: 'viewer', handle: () => ({ kind: 'redirect', location: '//evil.example/x' }) },
];

export function standInServices(config: AgentConfig, db: Database): ConsoleServices {
  const unused = (): never => {
    throw new Error('not used by these tests');
  };
  return {
    config,
    db,
    now: () => new Date(),
    thumbnail: () => null,
    registerAccess: unused,
    addHold: unused,
    releaseHold: unused,
    diagnose: unused,
    openLive: () => null,
  };
}

export interface Harness {
  base: string;
  port: number;
  console: ConsoleService;
  db: Database;
  config: AgentConfig;
  clock: { ms: number };
  addUser(name: string, role: Role, password: string, language?: Language | null): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  opts: { users?: boolean; limits?: Partial<ConsoleLimits>; language?: Language; live?: { host: string; port: number } | null; logger?: Logger } = {},
): Promise<Harness> {
  const tmp = makeTempDir('cea-console-');
  const config = testAgentConfig(tmp.dir, 'mqtt://127.0.0.1:1', 'console-site', { console: { language: opts.language ?? 'en' } });
  const clock = { ms: Date.parse('2026-11-27T09:00:00Z') };
  const now = () => new Date(clock.ms);
  const { db } = openStore(config.database, { migrations, now });
  const accounts = new AccountStore(db);
  const addUser = async (name: string, role: Role, password: string, language: Language | null = null) => {
    accounts.put({ name, role, passwordHash: await hashPassword(password, TEST_SCRYPT), language }, clock.ms, { update: true });
  };
  if (opts.users !== false) {
    await addUser('admin', 'admin', PASSWORDS.admin);
    await addUser('op', 'operator', PASSWORDS.op);
    await addUser('viewer', 'viewer', PASSWORDS.viewer);
  }
  const service = new ConsoleService({
    config,
    db,
    services: standInServices(config, db),
    routes: standInRoutes,
    logger: opts.logger ?? silentLogger(),
    now,
    listen: '127.0.0.1:0',
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.live !== undefined ? { live: opts.live } : {}),
  });
  await service.start();
  const port = service.address().port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    console: service,
    db,
    config,
    clock,
    addUser,
    async close() {
      await service.stop();
      db.close();
      tmp.remove();
    },
  };
}

/** A browser-like client: its own cookie jar, Origin on every POST, redirects not followed. */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq);
      const value = (pair ?? '').slice(eq + 1);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...headers } });
    this.keep(res);
    return res;
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), origin: this.base, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
    this.keep(res);
    return res;
  }

  /** The login form's CSRF token (and its pre-session cookie, kept in the jar). */
  async loginToken(): Promise<string> {
    const html = await (await this.get('/login')).text();
    return hiddenCsrf(html);
  }

  async login(name: string, password: string, next?: string): Promise<Response> {
    const token = await this.loginToken();
    return this.post('/login', { _csrf: token, name, password, ...(next !== undefined ? { next } : {}) });
  }

  /** The CSRF token a page of this session carries. */
  async pageToken(): Promise<string> {
    return hiddenCsrf(await (await this.get('/')).text());
  }
}

export function hiddenCsrf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error(`no CSRF token in:\n${html}`);
  return m[1];
}

/** A raw request (fetch cannot set Host, or send a chunked body easily). */
export function rawRequest(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer; chunked?: boolean },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers ?? {}, setHost: !opts.headers?.host }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (opts.body && opts.chunked) {
      // Several writes without Content-Length: Node sends Transfer-Encoding: chunked.
      for (let i = 0; i < opts.body.length; i += 8192) req.write(opts.body.subarray(i, i + 8192));
      req.end();
    } else req.end(opts.body);
  });
}
