// The console's front door over real HTTP: login, wrong passwords, rate limits, session
// cookies and their lifetimes, logout, safe redirects after login.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../agent/console/accounts.js';
import { createLogger } from '../../drivers/log/logger.js';
import { Browser, PASSWORDS, startHarness, type Harness } from './server-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const MIN = 60_000;

describe('console login', () => {
  it('sends an unauthenticated GET to the login page with the path to come back to, then there after login', async () => {
    h = await startHarness();
    const b = new Browser(h.base);
    const first = await b.get('/cameras/gate%20north?x=1');
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/login?next=%2Fcameras%2Fgate%2520north%3Fx%3D1');

    const next = new URL(first.headers.get('location') as string, h.base).searchParams.get('next') as string;
    const login = await b.login('op', PASSWORDS.op, next);
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/cameras/gate%20north?x=1');
    const page = await b.get('/cameras/gate%20north?x=1');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('{&quot;id&quot;:&quot;gate north&quot;}'.replace(/&quot;/g, '"'));
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, Path=/, and a new id at every login', async () => {
    h = await startHarness();
    const b = new Browser(h.base);
    // A planted id (session fixation) is not adopted.
    b.cookies.set('cea_session', 'planted-by-someone-else');
    const res = await b.login('viewer', PASSWORDS.viewer);
    const line = res.headers.getSetCookie().find((c) => c.startsWith('cea_session=')) as string;
    expect(line).toBeDefined();
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Strict/);
    expect(line).toMatch(/; Path=\//);
    const id = b.cookies.get('cea_session') as string;
    expect(id).not.toBe('planted-by-someone-else');
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    // The pre-session login cookie is dropped.
    expect(b.cookies.has('cea_login')).toBe(false);

    // Signing in again while the session is alive (the form fetched without it: a signed-in
    // GET /login just goes home) replaces the session.
    b.cookies.delete('cea_session');
    const token = await b.loginToken();
    b.cookies.set('cea_session', id);
    const again = await b.post('/login', { _csrf: token, name: 'viewer', password: PASSWORDS.viewer });
    expect(again.status).toBe(303);
    expect(b.cookies.get('cea_session')).not.toBe(id);
    // The previous id is gone: logging in again regenerated it.
    const stale = new Browser(h.base);
    stale.cookies.set('cea_session', id);
    expect((await stale.get('/')).status).toBe(302);
  });

  it('refuses a wrong password and an unknown user alike, with no session', async () => {
    h = await startHarness();
    const b = new Browser(h.base);
    const wrong = await b.login('admin', 'not-the-password');
    expect(wrong.status).toBe(401);
    const html = await wrong.text();
    expect(html).toContain('Wrong user name or password.');
    expect(html).not.toContain('not-the-password');
    expect(b.cookies.has('cea_session')).toBe(false);

    const unknown = await b.login('nobody', 'whatever-password');
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain('Wrong user name or password.');
    expect((await b.get('/')).status).toBe(302);
  });

  it('neutralises open redirects in next', async () => {
    h = await startHarness();
    for (const next of ['//evil.example', '//evil.example/path', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/%0d%0aSet-Cookie:x=1', '/login']) {
      const b = new Browser(h.base);
      const res = await b.login('viewer', PASSWORDS.viewer, next);
      expect(res.status, next).toBe(303);
      const location = res.headers.get('location') as string;
      expect(new URL(location, h.base).origin, next).toBe(h.base);
      expect(location.startsWith('//'), next).toBe(false);
    }
    // The login form itself carries only a safe next.
    const html = await (await new Browser(h.base).get('/login?next=//evil.example')).text();
    expect(html).toContain('name="next" value="/"');
  });

  it('after N failures of an account answers 429 with Retry-After even to the right password, until the window passes', async () => {
    h = await startHarness({ limits: { perAccount: { failures: 3, windowMs: 15 * MIN }, perAddress: { failures: 100, windowMs: 15 * MIN } } });
    const b = new Browser(h.base);
    for (let i = 0; i < 3; i++) expect((await b.login('op', `wrong-${i}-password`)).status).toBe(401);
    const blocked = await b.login('op', PASSWORDS.op);
    expect(blocked.status).toBe(429);
    const retry = Number(blocked.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(15 * 60);
    expect(await blocked.text()).toContain('Too many failed sign-ins');
    expect(b.cookies.has('cea_session')).toBe(false);
    // Another account from the same address is not blocked by op's failures.
    expect((await b.login('viewer', PASSWORDS.viewer)).status).toBe(303);

    h.clock.ms += 15 * MIN + 1000;
    expect((await new Browser(h.base).login('op', PASSWORDS.op)).status).toBe(303);
  });

  it('clears an account\'s failure count on a successful login', async () => {
    h = await startHarness({ limits: { perAccount: { failures: 3, windowMs: 15 * MIN }, perAddress: { failures: 100, windowMs: 15 * MIN } } });
    const b = new Browser(h.base);
    for (let i = 0; i < 2; i++) expect((await b.login('op', `wrong-${i}-password`)).status).toBe(401);
    expect((await b.login('op', PASSWORDS.op)).status).toBe(303);
    // Two more failures: four in the window, but the success in between reset the count.
    for (let i = 0; i < 2; i++) expect((await new Browser(h.base).login('op', `again-${i}-password`)).status).toBe(401);
    expect((await new Browser(h.base).login('op', PASSWORDS.op)).status).toBe(303);
    // The third failure since the reset blocks.
    for (let i = 0; i < 3; i++) await new Browser(h.base).login('op', `more-${i}-password`);
    expect((await new Browser(h.base).login('op', PASSWORDS.op)).status).toBe(429);
  });

  it('limits failures per client address across account names', async () => {
    h = await startHarness({ limits: { perAccount: { failures: 100, windowMs: 15 * MIN }, perAddress: { failures: 4, windowMs: 15 * MIN } } });
    for (let i = 0; i < 4; i++) expect((await new Browser(h.base).login(`guess${i}`, 'some-password-x')).status).toBe(401);
    const res = await new Browser(h.base).login('admin', PASSWORDS.admin);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('ends a session after 30 idle minutes and 12 hours after login however active', async () => {
    h = await startHarness();
    const b = new Browser(h.base);
    await b.login('viewer', PASSWORDS.viewer);
    h.clock.ms += 29 * MIN;
    expect((await b.get('/')).status).toBe(200);
    h.clock.ms += 31 * MIN;
    expect((await b.get('/')).status).toBe(302);

    const busy = new Browser(h.base);
    await busy.login('viewer', PASSWORDS.viewer);
    // A request every 20 minutes: fine through the 12th hour, over at 12 h 20 min.
    for (let i = 1; i <= 37; i++) {
      h.clock.ms += 20 * MIN;
      const res = await busy.get('/');
      expect(res.status, `after ${i * 20} min`).toBe(i <= 36 ? 200 : 302);
    }
  });

  it('logs out with a CSRF-checked POST and the old cookie is worthless afterwards', async () => {
    h = await startHarness();
    const b = new Browser(h.base);
    await b.login('op', PASSWORDS.op);
    const id = b.cookies.get('cea_session') as string;
    const token = await b.pageToken();

    // Without the token: refused, still signed in.
    expect((await b.post('/logout', {})).status).toBe(403);
    expect((await b.get('/')).status).toBe(200);
    // A GET does not log out (no state change on GET).
    expect((await b.get('/logout')).status).toBe(405);

    const out = await b.post('/logout', { _csrf: token });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login?signed-out');
    expect(out.headers.getSetCookie().some((c) => c.startsWith('cea_session=;') && /Max-Age=0/.test(c))).toBe(true);
    expect(await (await b.get('/login?signed-out')).text()).toContain('You have signed out.');

    const replay = new Browser(h.base);
    replay.cookies.set('cea_session', id);
    expect((await replay.get('/')).status).toBe(302);
  });

  it('ends the sessions of a user removed from the database at their next request, and follows a role change at once', async () => {
    h = await startHarness();
    const b = new Browser(h.base);
    await b.login('op', PASSWORDS.op);
    expect((await b.get('/admin')).status).toBe(403);
    await h.addUser('op', 'admin', PASSWORDS.op);
    expect((await b.get('/admin')).status).toBe(200);
    new AccountStore(h.db).remove('op');
    expect((await b.get('/')).status).toBe(302);
  });

  it('tells how to create the first account while there is none, in both languages', async () => {
    h = await startHarness({ users: false, language: 'zh-CN' });
    const html = await (await new Browser(h.base).get('/login')).text();
    expect(html).toContain('cea user add admin --role admin --password-stdin');
    expect(html).toContain('There is no console account yet');
    expect(html).toContain('尚无控制台账户');
    expect(html).toContain('<html lang="zh-CN">');
    await h.addUser('admin', 'admin', PASSWORDS.admin);
    expect(await (await new Browser(h.base).get('/login')).text()).not.toContain('cea user add');
  });

  it('logs logins, failures and refusals with the name and address, never a password, cookie or token', async () => {
    const sink = new PassThrough();
    let log = '';
    sink.on('data', (d: Buffer) => (log += d.toString()));
    h = await startHarness({ logger: createLogger({ destination: sink, pretty: false, level: 'debug' }), limits: { perAccount: { failures: 1, windowMs: 15 * MIN } } });
    const b = new Browser(h.base);
    await b.login('op', 'guessed-Password-1');
    await b.login('op', PASSWORDS.op);
    const ok = new Browser(h.base);
    await ok.login('viewer', PASSWORDS.viewer);
    const token = await ok.pageToken();
    const sessionId = ok.cookies.get('cea_session') as string;
    await ok.post('/logout', { _csrf: 'forged-token-value' });
    await ok.post('/logout', { _csrf: token });
    expect(log).toContain('console login failed');
    expect(log).toContain('too many failures');
    expect(log).toContain('console login');
    expect(log).toContain('"user":"viewer"');
    expect(log).toContain('console POST refused (CSRF)');
    for (const secret of ['guessed-Password-1', PASSWORDS.op, PASSWORDS.viewer, token, 'forged-token-value', sessionId]) {
      expect(log, secret).not.toContain(secret);
    }
  });
});
