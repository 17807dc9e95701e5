// The console server with a real browser (Chromium): what a browser really sends (Origin,
// cookies under SameSite=Strict) must pass the gates, and the login page must live within
// its own Content-Security-Policy.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { PASSWORDS, startHarness, type Harness } from './server-harness.js';

let browser: Browser;
let h: Harness;

beforeAll(async () => {
  browser = await launchChromium();
  h = await startHarness();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('console in a browser', () => {
  it('signs in through the form, keeps the cookie out of scripts, accepts the pages\' own forms and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text());
    });

    await page.goto(`${h.base}/form`);
    expect(new URL(page.url()).pathname).toBe('/login');
    // The login page's stylesheet applies (served without a session, allowed by the CSP).
    const display = await page.evaluate('getComputedStyle(document.body).display');
    expect(display).toBe('flex');
    await page.fill('input[name=name]', 'op');
    await page.fill('input[name=password]', PASSWORDS.op);
    await Promise.all([page.waitForURL(`${h.base}/form`), page.click('button[type=submit]')]);

    const [session] = (await context.cookies()).filter((c) => c.name === 'cea_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate('document.cookie')).not.toContain('cea_session');

    const response = await Promise.all([page.waitForResponse(`${h.base}/echo`), page.click('#send')]).then(([r]) => r);
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ form: { camera: 'gate-north' }, user: 'op' });

    await page.goto(`${h.base}/form`);
    await Promise.all([page.waitForURL(/\/login\?signed-out$/), page.click('#logout')]);
    expect(await page.textContent('body')).toContain('You have signed out.');
    await page.goto(`${h.base}/form`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(cspErrors).toEqual([]);
    await context.close();
  });

  it('refuses a form posted from another site', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.base}/login`);
    await page.fill('input[name=name]', 'op');
    await page.fill('input[name=password]', PASSWORDS.op);
    await Promise.all([page.waitForURL(`${h.base}/`), page.click('button[type=submit]')]);
    const token = await (await context.request.get(`${h.base}/`)).text().then((t) => /name="_csrf" value="([^"]+)"/.exec(t)?.[1] ?? '');
    expect(token).not.toBe('');
    // A page of another site posting to the console, even with a valid (leaked) token.
    const evil = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<form method="post" action="${h.base}/echo"><input name="_csrf" value="${token}"><button id="go">go</button></form>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const response = await Promise.all([page.waitForResponse(`${h.base}/echo`), page.click('#go')]).then(([r]) => r);
      // SameSite=Strict keeps the cookie home, and the Origin check refuses it anyway.
      expect(response.status()).toBe(403);
    } finally {
      await new Promise<void>((resolve) => evil.close(() => resolve()));
      await context.close();
    }
  });
});
