// The agent's own console in a real headless Chromium (Debian's, driven by playwright-core).
// Nothing is assembled here: startAgent (agent/main.ts, what `cea run` starts) binds the
// console on `console.listen: 127.0.0.1:0` with its own thumbnails, register, holds and
// live relay. The pictures reach the console only through the clarity monitor's
// snapshots (onSnapshot → ThumbnailCache): this file never asks a camera for one. The
// operators are created as an operator would, `cea user add … --password-stdin` with the
// built CLI against the same config file, so their passwords are hashed by the CLI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startAgent, type RunningAgent } from '../../agent/main.js';
import { queryAccessRegister } from '../../agent/access/register.js';
import { loadConfigFile } from '../../agent/config/index.js';
import { AccountStore } from '../../agent/console/accounts.js';
import { DEFAULT_CONSOLE_LIMITS } from '../../agent/console/server.js';
import { HoldStore } from '../../agent/retention/holds.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { simulatedCameraEntry, testConfigObject } from '../helpers/agent-config.js';
import { chromiumPath } from '../helpers/chromium.js';
import { spawnCea } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'correct horse battery';

describe('the agent\'s console in a browser', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  let broker: TestBroker;
  let fleet: Fleet;
  let agent: RunningAgent;
  let base: string;
  let context: BrowserContext;

  const rows = () => queryAccessRegister(agent.db);
  const holds = () => new HoldStore(agent.db).list();

  async function login(page: Page, name: string, password: string): Promise<number> {
    await page.goto(`${base}login`);
    await page.fill('input[name="name"]', name);
    await page.fill('input[name="password"]', password);
    const [resp] = await Promise.all([page.waitForNavigation(), page.click('form.cea-login button[type="submit"]')]);
    return resp?.status() ?? 0;
  }

  async function freshPage(): Promise<Page> {
    await context.clearCookies();
    return context.newPage();
  }

  async function waitForPage(page: Page, expression: string): Promise<void> {
    for (let i = 0; (await page.evaluate(expression)) !== true; i += 1) {
      if (i >= 200) throw new Error(`never true in the page: ${expression}`);
      await page.waitForTimeout(100);
    }
  }

  /** Mean brightness (0–255) of the thumbnail the console serves for `id`. */
  async function thumbnailBrightness(page: Page, id: string): Promise<number> {
    const resp = await page.request.get(`${base}cameras/${id}/thumbnail.jpg`);
    expect(resp.status()).toBe(200);
    const { channels } = await sharp(await resp.body()).stats();
    return channels.slice(0, 3).reduce((sum, c) => sum + c.mean, 0) / Math.min(3, channels.length);
  }

  beforeAll(async () => {
    const tmp = makeTempDir('cea-console-browser-');
    cleanups.push(tmp.remove);
    broker = await startTestBroker();
    cleanups.push(() => broker.close());
    fleet = await startFleet(
      [
        { id: 'gate', width: 960, height: 540 },
        { id: 'carpark', width: 960, height: 540, condition: 'blur' },
        { id: 'staffwc', width: 640, height: 360 },
      ],
      { discovery: false },
    );
    cleanups.push(() => fleet.stop());
    const [gate, carpark, staffwc] = ['gate', 'carpark', 'staffwc'].map((id) => fleet.camera(id)!);

    // One config file for the agent and for `cea user` (JSON is YAML).
    const configFile = join(tmp.dir, 'agent.yaml');
    writeFileSync(
      configFile,
      JSON.stringify(
        testConfigObject(tmp.dir, broker.url, 'site-con', {
          discovery: { enabled: false },
          monitor: { intervalSeconds: 1 },
          cameras: [
            { ...simulatedCameraEntry(gate!), name: 'North gate' },
            { ...simulatedCameraEntry(carpark!), name: 'Car park' },
            { ...simulatedCameraEntry(staffwc!, { kind: 'toilet' }), name: 'Staff toilet' },
          ],
        }),
      ),
    );
    const loaded = loadConfigFile(configFile, { env: {}, cwd: tmp.dir });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    agent = await startAgent({ config: loaded.config, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100], onvifTimeoutMs: 2000, clarityPolicy: { baselineSamples: 2 }, thumbnailRefreshMs: 0 });
    cleanups.push(() => agent.stop('test done'));
    const url = agent.consoleUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    base = url!;

    // The operators, added while the agent runs, as the README tells an operator to.
    const users: [string, string, string[]][] = [
      ['root', 'admin', []],
      ['vera', 'viewer', ['--language', 'en']],
      ['rita', 'viewer', []],
    ];
    for (const [name, role, extra] of users) {
      const p = spawnCea(['user', 'add', name, '--role', role, '--password-stdin', ...extra, '--config', configFile], { cwd: tmp.dir, stdin: `${PASSWORD}\n` });
      const { code } = await p.exited;
      expect(code, p.stderr()).toBe(0);
    }
    const stored = new AccountStore(agent.db).list();
    expect(stored.map((a) => [a.name, a.role, a.language])).toEqual([
      ['rita', 'viewer', null],
      ['root', 'admin', null],
      ['vera', 'viewer', 'en'],
    ]);
    for (const a of stored) expect(a.passwordHash).toMatch(/^scrypt\$/);

    const profileDir = mkdtempSync(join(tmpdir(), 'cea-chromium-'));
    cleanups.push(() => rmSync(profileDir, { recursive: true, force: true }));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 800 },
    });
    cleanups.push(() => context.close());

    // The blurred camera's fault comes from the agent's own clarity monitor.
    const verdict = (id: string) => agent.db.prepare<[string], { verdict: string; faults: string }>('SELECT verdict, faults FROM clarity_state WHERE camera_id = ?').get(id);
    await waitFor('the blurred camera judged', () => (verdict('carpark')?.faults ?? '').includes('blur') && verdict('gate')?.verdict === 'ok', 40_000);
  }, 80_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  }, 30_000);

  it('refuses a wrong password, then limits the rate of failures', async () => {
    const page = await freshPage();
    expect(await login(page, 'root', 'not the password')).toBe(401);
    expect(page.url()).toContain('/login');
    await expect(page.locator('[role="alert"]').count()).resolves.toBe(1);
    // The agent's own limit per account; after it, even the right password waits.
    const limit = DEFAULT_CONSOLE_LIMITS.perAccount.failures;
    for (let i = 0; i < limit; i += 1) expect(await login(page, 'rita', 'wrong password!')).toBe(401);
    expect(await login(page, 'rita', PASSWORD)).toBe(429);
    await expect(page.locator('[role="alert"]').count()).resolves.toBe(1);
    expect(page.url()).toContain('/login');
    await page.close();
  });

  it('overview shows every camera with the agent\'s verdict in Chinese (the profile default) and in English', async () => {
    const page = await freshPage();
    expect(await login(page, 'root', PASSWORD)).toBe(200);
    // The pictures appear once the monitor has taken them (a card says "no picture yet" before).
    for (let i = 0; ; i += 1) {
      await page.goto(base);
      if ((await page.locator('li.card img').count()) === 2) break;
      if (i >= 60) throw new Error('the thumbnails never reached the console');
      await page.waitForTimeout(500);
    }
    const before = rows().length;
    await page.goto(base);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await expect(page.locator('h1').textContent()).resolves.toBe('站点概览');
    const card = (id: string) => page.locator(`li[data-camera="${id}"]`);
    await expect(page.locator('li.card').count()).resolves.toBe(3);
    await expect(card('carpark').locator('[data-verdict="fault"], [data-verdict="degraded"]').count()).resolves.toBe(1);
    await expect(card('carpark').locator('.faults').textContent()).resolves.toContain('模糊');
    await expect(card('gate').locator('[data-verdict="ok"]').count()).resolves.toBe(1);
    await expect(card('staffwc').textContent()).resolves.toContain('禁止场所');
    await expect(card('staffwc').locator('img').count()).resolves.toBe(0);
    // The pictures really load (same origin, no CDN), small, and the page view is one register row.
    // Polled with evaluate: waitForFunction's string predicate is an eval the console's CSP (rightly) refuses.
    await waitForPage(page, 'Array.from(document.querySelectorAll("li.card img")).every((i) => i.complete && i.naturalWidth > 0)');
    await expect(page.evaluate('document.querySelector(\'li[data-camera="gate"] img\').naturalWidth')).resolves.toBeLessThanOrEqual(320);
    const added = rows().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ verb: 'console.view', requester: 'console:root', cameras: ['gate', 'carpark'], result: 'granted' });

    // The language switch in the header: English from now on, for this account.
    await Promise.all([page.waitForNavigation(), page.click('form[action="/language"] button')]);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.locator('h1').textContent()).resolves.toBe('Site overview');
    await expect(card('carpark').locator('.faults').textContent()).resolves.toContain('blurred');
    await expect(card('staffwc').textContent()).resolves.toContain('Prohibited place');
    for (const path of ['cameras/carpark', 'retention', 'compliance', 'register', 'diagnostics']) {
      const resp = await page.goto(`${base}${path}`);
      expect(resp?.status(), path).toBe(200);
      await expect(page.locator('html').getAttribute('lang'), path).resolves.toBe('en');
    }
    await page.close();
  });

  it('viewing a thumbnail writes a register row with the account', async () => {
    const page = await freshPage();
    expect(await login(page, 'vera', PASSWORD)).toBe(200);
    const before = rows().length;
    const resp = await page.goto(`${base}cameras/gate/thumbnail.jpg`);
    expect(resp?.status()).toBe(200);
    expect(resp?.headers()['content-type']).toBe('image/jpeg');
    expect(resp?.headers()['cache-control']).toContain('no-store');
    const added = rows().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ verb: 'console.view', cameras: ['gate'], requester: 'console:vera', result: 'granted' });
    // The prohibited camera is sampled by nobody and shown to nobody.
    const refused = await page.goto(`${base}cameras/staffwc/thumbnail.jpg`);
    expect(refused?.status()).toBe(404);
    expect(rows().length).toBe(before + 1);
    await page.close();
  });

  it('refuses a POST without the CSRF token, and a viewer cannot add a hold', async () => {
    const page = await freshPage();
    expect(await login(page, 'root', PASSWORD)).toBe(200);
    await page.goto(`${base}retention`);
    // Same session, same origin, no token: refused before any handler runs.
    const noToken = await page.request.post(`${base}retention/holds`, {
      form: { camera: 'gate', from: '2026-11-20T08:00', to: '2026-11-20T10:00', reason: 'no token' },
      headers: { origin: base.replace(/\/$/, '') },
    });
    expect(noToken.status()).toBe(403);
    expect(holds()).toHaveLength(0);

    // The admin's own form works (the positive control).
    await page.selectOption('select[name="camera"]', 'gate');
    await page.fill('input[name="from"]', '2026-11-20T08:00');
    await page.fill('input[name="to"]', '2026-11-20T10:00');
    await page.fill('form[action="/retention/holds"] input[name="reason"]', 'Case 117: theft at the gate');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/retention/holds"] button[type="submit"]')]);
    expect(holds()).toHaveLength(1);
    expect(holds()[0]).toMatchObject({ cameraId: 'gate', createdBy: 'console:root' });
    await expect(page.locator('[data-hold]').count()).resolves.toBe(1);

    // A viewer: no form, and a forged POST with the viewer's own valid token is refused by role.
    await context.clearCookies();
    expect(await login(page, 'vera', PASSWORD)).toBe(200);
    await page.goto(`${base}retention`);
    await expect(page.locator('form[action="/retention/holds"]').count()).resolves.toBe(0);
    const token = await page.locator('form[action="/logout"] input[name="_csrf"]').getAttribute('value');
    expect(token).toBeTruthy();
    const forged = await page.request.post(`${base}retention/holds`, {
      form: { _csrf: token ?? '', camera: 'gate', from: '2026-11-21T08:00', to: '2026-11-21T10:00', reason: 'viewer tries' },
      headers: { origin: base.replace(/\/$/, '') },
    });
    expect(forged.status()).toBe(403);
    expect(holds()).toHaveLength(1);
    await page.close();
  });

  it('opens the live view on the agent\'s token relay, registered first', async () => {
    const page = await freshPage();
    expect(await login(page, 'vera', PASSWORD)).toBe(200);
    await page.goto(`${base}cameras/gate`);
    const before = rows().length;
    await Promise.all([page.waitForNavigation(), page.click('form[action="/cameras/gate/live"] button')]);
    const added = rows().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ verb: 'console.live', cameras: ['gate'], requester: 'console:vera' });
    // With the bundled player the URL is the canvas's; without it the page prints it.
    const url = (await page.locator('canvas#live').count()) > 0 ? ((await page.locator('canvas#live').getAttribute('data-url')) ?? '') : ((await page.locator('main p.mono').textContent()) ?? '').trim();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/live\/gate\?token=[A-Za-z0-9_-]+$/);
    expect(new URL(url).port).not.toBe(new URL(base).port);
    // The relay (live.listen) takes the page's token and refuses a forged one. (The
    // simulated cameras have no RTSP server behind their stream URI: the stream itself is
    // test/integration/live-view.test.ts's.)
    const upgrade = (u: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(u);
        ws.once('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.once('unexpected-response', (req, res) => {
          req.destroy();
          resolve(res.statusCode ?? 0);
        });
        ws.once('error', reject);
      });
    expect(await upgrade(url)).toBe(101);
    expect(await upgrade(url.replace(/token=.*/, 'token=forged-token-forged-token-forged-token-x'))).toBe(401);
    // A prohibited-place camera offers no live view at all.
    await page.goto(`${base}cameras/staffwc`);
    await expect(page.locator('form[action="/cameras/staffwc/live"]').count()).resolves.toBe(0);
    await page.close();
  });

  it('is usable by keyboard and fits a phone-width screen', async () => {
    const page = await freshPage();
    expect(await login(page, 'vera', PASSWORD)).toBe(200);
    await page.goto(base);
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.className')).resolves.toBe('skip');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}retention`);
    await expect(page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1')).resolves.toBe(true);
    await page.goto(base);
    await expect(page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1')).resolves.toBe(true);
    await page.close();
  });

  // Last: it turns the gate camera dark, which the tests above rely on being clear.
  it('shows the clarity monitor\'s latest picture: a camera turning dark turns its thumbnail dark', async () => {
    const page = await freshPage();
    expect(await login(page, 'vera', PASSWORD)).toBe(200);
    const clear = await thumbnailBrightness(page, 'gate');
    fleet.camera('gate')!.setCondition('dark');
    let now = clear;
    for (let i = 0; now >= clear / 2; i += 1) {
      if (i >= 60) throw new Error(`the gate thumbnail stayed at brightness ${now.toFixed(0)} (was ${clear.toFixed(0)})`);
      await page.waitForTimeout(500);
      now = await thumbnailBrightness(page, 'gate');
    }
    expect(now).toBeLessThan(clear / 2);
    // The same pictures the monitor scored: its verdict turns too.
    const faults = () => agent.db.prepare<[string], { faults: string }>('SELECT faults FROM clarity_state WHERE camera_id = ?').get('gate')?.faults ?? '';
    await waitFor('the dark gate judged too dark', () => faults().includes('too_dark'), 30_000);
    await page.close();
  });
});
