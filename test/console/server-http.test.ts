// The console server's gates on every request, over real HTTP: CSRF on POST, roles,
// security headers, the Host guard, body and method limits, error pages, language.
import { afterEach, describe, expect, it } from 'vitest';
import { Browser, PASSWORDS, rawRequest, startHarness, type Harness } from './server-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function signedIn(harness: Harness, name: keyof typeof PASSWORDS): Promise<{ b: Browser; token: string }> {
  const b = new Browser(harness.base);
  expect((await b.login(name, PASSWORDS[name])).status).toBe(303);
  return { b, token: await b.pageToken() };
}

describe('console POST protection', () => {
  it('accepts a POST only with this session\'s token and from this origin', async () => {
    h = await startHarness();
    const { b, token } = await signedIn(h, 'op');
    const other = await signedIn(h, 'admin');
    expect(other.token).not.toBe(token);

    const ok = await b.post('/echo', { _csrf: token, camera: 'gate-north' });
    expect(ok.status).toBe(200);
    // The token is checked and removed before the page sees the form.
    expect(await ok.json()).toEqual({ form: { camera: 'gate-north' }, user: 'op' });
    // The header form of the token (scripts) works too.
    expect((await b.post('/echo', { camera: 'x' }, { 'x-csrf-token': token })).status).toBe(200);

    const refusals: [string, Promise<Response>][] = [
      ['no token', b.post('/echo', { camera: 'x' })],
      ['wrong token', b.post('/echo', { _csrf: `${token.slice(0, -2)}AA`, camera: 'x' })],
      ['token of another session', b.post('/echo', { _csrf: other.token, camera: 'x' })],
      ['another origin', b.post('/echo', { _csrf: token, camera: 'x' }, { origin: 'http://evil.example' })],
      ['origin null', b.post('/echo', { _csrf: token, camera: 'x' }, { origin: 'null' })],
      ['another port', b.post('/echo', { _csrf: token, camera: 'x' }, { origin: `http://127.0.0.1:${h.port + 1}` })],
    ];
    for (const [why, res] of refusals) {
      const r = await res;
      expect(r.status, why).toBe(403);
      expect(await r.text(), why).toContain('came from another site');
    }
  });

  it('accepts a same-origin Referer when there is no Origin, and refuses neither', async () => {
    h = await startHarness();
    const { b, token } = await signedIn(h, 'op');
    const body = Buffer.from(new URLSearchParams({ _csrf: token, a: '1' }).toString());
    const base = { method: 'POST', path: '/echo', body, headers: { cookie: b.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } };
    expect((await rawRequest(h.port, { ...base, headers: { ...base.headers, referer: `${h.base}/cameras/x` } })).status).toBe(200);
    expect((await rawRequest(h.port, { ...base, headers: { ...base.headers, referer: 'http://evil.example/' } })).status).toBe(403);
    expect((await rawRequest(h.port, base)).status).toBe(403);
  });

  it('refuses a login POST without the login form\'s pre-session token', async () => {
    h = await startHarness();
    const b = new Browser(h.base);
    // No login cookie, no token: even the right password does not sign in.
    const bare = await b.post('/login', { name: 'admin', password: PASSWORDS.admin });
    expect(bare.status).toBe(403);
    const token = await b.loginToken();
    const stranger = new Browser(h.base);
    await stranger.loginToken();
    // Another browser's token with this browser's cookie.
    const swapped = await stranger.post('/login', { _csrf: token, name: 'admin', password: PASSWORDS.admin });
    expect(swapped.status).toBe(403);
    const cross = await b.post('/login', { _csrf: token, name: 'admin', password: PASSWORDS.admin }, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(b.cookies.has('cea_session') || stranger.cookies.has('cea_session')).toBe(false);
    expect((await b.post('/login', { _csrf: token, name: 'admin', password: PASSWORDS.admin })).status).toBe(303);
  });

  it('refuses an unauthenticated POST without calling the page', async () => {
    h = await startHarness();
    const res = await new Browser(h.base).post('/echo', { a: '1' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('/login');
  });
});

describe('console roles', () => {
  it('answers 403 to a viewer on an admin route and on an operator POST, 200 to the admin', async () => {
    h = await startHarness();
    const viewer = await signedIn(h, 'viewer');
    const admin = await signedIn(h, 'admin');
    const refused = await viewer.b.get('/admin');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('needs the role &quot;admin&quot;');
    expect((await viewer.b.post('/echo', { _csrf: viewer.token })).status).toBe(403);
    expect((await admin.b.get('/admin')).status).toBe(200);
    expect((await admin.b.post('/echo', { _csrf: admin.token })).status).toBe(200);
    expect(await (await viewer.b.get('/')).text()).toContain('viewer/viewer/en');
  });
});

describe('console HTTP hygiene', () => {
  it('puts the security headers on every answer and no-store on HTML', async () => {
    h = await startHarness({ live: { host: '127.0.0.1', port: 45678 } });
    const { b } = await signedIn(h, 'viewer');
    for (const res of [await b.get('/'), await b.get('/nowhere'), await new Browser(h.base).get('/login'), await new Browser(h.base).get('/')]) {
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("img-src 'self' data: blob:");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      // The live relay on its own port, and no other ws: host.
      expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:45678;/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const page = await b.get('/');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('refuses a Host that is not this console (DNS rebinding) and accepts its own names', async () => {
    h = await startHarness();
    for (const host of ['evil.example', `evil.example:${h.port}`, `127.0.0.1:${h.port + 1}`, `10.0.0.8:${h.port}`]) {
      const res = await rawRequest(h.port, { headers: { host } });
      expect(res.status, host).toBe(421);
    }
    for (const host of [`127.0.0.1:${h.port}`, `localhost:${h.port}`]) {
      const res = await rawRequest(h.port, { headers: { host } });
      expect(res.status, host).toBe(302);
    }
  });

  it('answers 413 to a POST body over 64 KiB, declared or chunked', async () => {
    h = await startHarness();
    const { b, token } = await signedIn(h, 'op');
    const big = `${new URLSearchParams({ _csrf: token }).toString()}&pad=${'x'.repeat(65 * 1024)}`;
    const declared = await b.post('/echo', Object.fromEntries(new URLSearchParams(big)));
    expect(declared.status).toBe(413);
    const chunked = await rawRequest(h.port, {
      method: 'POST',
      path: '/echo',
      chunked: true,
      body: Buffer.from(big),
      headers: { cookie: b.cookieHeader(), origin: h.base, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(chunked.status).toBe(413);
    // A body just under the limit is fine.
    const fits = await b.post('/echo', { _csrf: token, pad: 'x'.repeat(60 * 1024) });
    expect(fits.status).toBe(200);
  });

  it('answers 405 to other methods and to the wrong one of a route, 404 to unknown paths', async () => {
    h = await startHarness();
    const { b, token } = await signedIn(h, 'admin');
    const put = await rawRequest(h.port, { method: 'PUT', path: '/', headers: { cookie: b.cookieHeader() } });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    const wrong = await b.post('/admin', { _csrf: token });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    const missing = await b.get('/no/such/page');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('There is no such page.');
  });

  it('answers 500 with a small page and no stack trace when a page throws', async () => {
    h = await startHarness();
    const { b } = await signedIn(h, 'viewer');
    const res = await b.get('/boom');
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).not.toContain('secret-detail-in-stack');
    expect(html).not.toMatch(/at .*\.ts:\d+/);
    expect(html).toContain('Internal error');
  });

  it('keeps a page\'s redirect on the console', async () => {
    h = await startHarness();
    const { b } = await signedIn(h, 'viewer');
    const res = await b.get('/away');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });

  it('answers 400 to a malformed percent-encoding in a route parameter', async () => {
    h = await startHarness();
    const { b } = await signedIn(h, 'viewer');
    expect((await b.get('/cameras/%E0%A4%A')).status).toBe(400);
  });
});

describe('console language', () => {
  it('uses the user\'s own language, else the console\'s; ?lang= switches the session, POST /language saves it', async () => {
    h = await startHarness({ language: 'zh-CN' });
    await h.addUser('wang', 'viewer', 'wang-password-1');
    await h.addUser('smith', 'viewer', 'smith-password-1', 'en');
    const wang = new Browser(h.base);
    await wang.login('wang', 'wang-password-1');
    expect(await (await wang.get('/')).text()).toContain('wang/viewer/zh-CN');
    const smith = new Browser(h.base);
    await smith.login('smith', 'smith-password-1');
    expect(await (await smith.get('/')).text()).toContain('smith/viewer/en');

    expect(await (await wang.get('/?lang=en')).text()).toContain('wang/viewer/en');
    expect(await (await wang.get('/')).text()).toContain('wang/viewer/en');
    // Error pages follow it.
    expect(await (await wang.get('/admin?lang=zh-CN')).text()).toContain('无权访问');

    const token = await wang.pageToken();
    const saved = await wang.post('/language', { _csrf: token, lang: 'en', next: '/cameras/x' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/cameras/x');
    // A new session of the same user starts in the saved language.
    const again = new Browser(h.base);
    await again.login('wang', 'wang-password-1');
    expect(await (await again.get('/')).text()).toContain('wang/viewer/en');
    expect((await wang.post('/language', { _csrf: token, lang: 'fr' })).status).toBe(400);
  });

  it('shows the login page in the console language or the one asked for', async () => {
    h = await startHarness({ language: 'zh-CN' });
    expect(await (await new Browser(h.base).get('/login')).text()).toContain('登录控制台');
    const b = new Browser(h.base);
    expect(await (await b.get('/login?lang=en')).text()).toContain('Sign in to the console');
    const wrong = await b.post('/login', { _csrf: await b.loginToken(), name: 'admin', password: 'wrong-password', lang: 'en' });
    expect(await wrong.text()).toContain('Wrong user name or password.');
  });
});
