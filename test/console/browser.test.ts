// The console in a real headless Chromium (Debian's, driven by playwright-core), against
// the agent with simulated ONVIF cameras: the clarity monitor judges real pictures, the
// console server (sessions, CSRF, roles, rate limit) serves the pages, and the access
// register is the agent's own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent/main.js';
import { AccessRegister, queryAccessRegister } from '../../agent/access/register.js';
import { AccountStore } from '../../agent/console/accounts.js';
import { hashPassword } from '../../agent/console/password.js';
import { consoleRoutes } from '../../agent/console/pages/index.js';
import { consoleServices } from '../../agent/console/pages/services.js';
import { ConsoleService } from '../../agent/console/service.js';
import { ConsoleAssets } from '../../agent/console/pages/assets.js';
import { LiveRelay, LiveTokens } from '../../drivers/live/index.js';
import { WebSocket } from 'ws';
import { startRtspSource, type RtspSource } from '../fakes/rtsp-source.js';
import { ThumbnailCache } from '../../agent/console/thumbnails.js';
import { HoldStore } from '../../agent/retention/holds.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker.js';
import { simulatedCameraEntry, testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'correct horse battery';

describe('console in a browser', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  let tmp: { dir: string; remove: () => void };
  let broker: TestBroker;
  let fleet: Fleet;
  let agent: RunningAgent;
  let console_: ConsoleService;
  let base: string;
  let profileDir: string;
  let context: BrowserContext;
  let relay: LiveRelay;
  const assets = new ConsoleAssets();

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

  beforeAll(async () => {
    tmp = makeTempDir('cea-console-browser-');
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
    const config = testAgentConfig(tmp.dir, broker.url, 'site-con', {
      discovery: { enabled: false },
      monitor: { intervalSeconds: 1 },
      cameras: [
        { ...simulatedCameraEntry(gate!), name: 'North gate' },
        { ...simulatedCameraEntry(carpark!), name: 'Car park' },
        { ...simulatedCameraEntry(staffwc!, { kind: 'toilet' }), name: 'Staff toilet' },
      ],
    });
    agent = await startAgent({ config, logger: silentLogger(), now: () => new Date(), agentVersion: '0.0.0-test', mqttBackoffMs: [100], onvifTimeoutMs: 2000, clarityPolicy: { baselineSamples: 2 } });
    cleanups.push(() => agent.stop('test done'));

    // Until agent/main.ts wires the console, it is built here as main.ts will: the agent's
    // database, its access register, holds; the thumbnails fed with the cameras' pictures.
    const thumbnails = new ThumbnailCache();
    for (const cam of [gate!, carpark!]) {
      const res = await fetch(cam.snapshotUrl, { headers: { authorization: `Basic ${Buffer.from(`${cam.username}:${cam.password}`).toString('base64')}` } });
      expect(res.status).toBe(200);
      thumbnails.offer(cam.id, new Uint8Array(await res.arrayBuffer()), Date.now());
    }
    // A picture of the prohibited camera that reached the cache anyway is never shown.
    thumbnails.offer('staffwc', new Uint8Array(await (await fetch(staffwc!.snapshotUrl, { headers: { authorization: `Basic ${Buffer.from(`${staffwc!.username}:${staffwc!.password}`).toString('base64')}` } })).arrayBuffer()), Date.now());
    await thumbnails.settled();
    // The live relay with a real RTSP source behind it (ffmpeg), as agent/main.ts runs it.
    const source: RtspSource = await startRtspSource();
    cleanups.push(() => source.close());
    const tokens = new LiveTokens();
    relay = new LiveRelay({ host: '127.0.0.1', port: 0, tokens, streamUrl: async () => source.urlWithCredentials, maxViewersPerCamera: 2 });
    const liveAddr = await relay.start();
    cleanups.push(() => relay.stop());
    const services = consoleServices({
      config,
      db: agent.db,
      now: () => new Date(),
      thumbnails,
      register: new AccessRegister({ db: agent.db, recorder: agent.recorder, now: () => new Date() }),
      holds: new HoldStore(agent.db),
      diagnose: async () => ({ checks: [{ name: 'config', status: 'pass', detail: 'valid' }] }),
      live: { issue: (camera, keyId, expiresAt) => tokens.issue(camera, keyId, expiresAt), advertise: liveAddr, tokenTtlSeconds: 300 },
    });
    console_ = new ConsoleService({
      config,
      db: agent.db,
      services,
      routes: consoleRoutes({ assets }),
      logger: silentLogger(),
      now: () => new Date(),
      listen: '127.0.0.1:0',
      live: liveAddr,
      limits: { perAccount: { failures: 3, windowMs: 15 * 60_000 } },
    });
    await console_.start();
    cleanups.push(() => console_.stop());
    base = console_.url();

    const accounts = new AccountStore(agent.db);
    const hash = await hashPassword(PASSWORD, { N: 2 ** 12, r: 8, p: 1 });
    accounts.put({ name: 'root', role: 'admin', passwordHash: hash, language: null }, Date.now());
    accounts.put({ name: 'vera', role: 'viewer', passwordHash: hash, language: 'en' }, Date.now());
    accounts.put({ name: 'rita', role: 'viewer', passwordHash: hash, language: null }, Date.now());

    profileDir = mkdtempSync(join(tmpdir(), 'cea-chromium-'));
    cleanups.push(() => rmSync(profileDir, { recursive: true, force: true }));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 800 },
    });
    cleanups.push(() => context.close());

    // The blurred camera's fault comes from the agent's own clarity monitor.
    const verdict = (id: string) => agent.db.prepare<[string], { verdict: string; faults: string }>('SELECT verdict, faults FROM clarity_state WHERE camera_id = ?').get(id);
    await waitFor('the blurred camera judged', () => (verdict('carpark')?.faults ?? '').includes('blur') && verdict('gate') !== undefined, 40_000);
  }, 80_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  }, 30_000);

  it('refuses a wrong password, then limits the rate of failures', async () => {
    const page = await freshPage();
    expect(await login(page, 'root', 'not the password')).toBe(401);
    expect(page.url()).toContain('/login');
    await expect(page.locator('[role="alert"]').count()).resolves.toBe(1);
    // Three failures for one account, then even the right password waits.
    for (let i = 0; i < 3; i += 1) expect(await login(page, 'rita', 'wrong password!')).toBe(401);
    expect(await login(page, 'rita', PASSWORD)).toBe(429);
    await expect(page.locator('[role="alert"]').count()).resolves.toBe(1);
    expect(page.url()).toContain('/login');
    await page.close();
  });

  it('overview shows every camera with its verdict in Chinese (the profile default) and in English', async () => {
    const page = await freshPage();
    expect(await login(page, 'root', PASSWORD)).toBe(200);
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
    // The pictures really load (same origin, no CDN), and the page view is one register row.
    await page.waitForFunction('Array.from(document.querySelectorAll("li.card img")).every((i) => i.complete && i.naturalWidth > 0)');
    await expect(page.evaluate('document.querySelector(\'li[data-camera="gate"] img\').naturalWidth')).resolves.toBeLessThanOrEqual(320);
    const added = rows().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ verb: 'console.view', requester: 'console:root', cameras: ['gate', 'carpark'] });

    // The language switch in the header: English from now on, for this account.
    await Promise.all([page.waitForNavigation(), page.click('form[action="/language"] button')]);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.locator('h1').textContent()).resolves.toBe('Site overview');
    await expect(card('carpark').locator('.faults').textContent()).resolves.toContain('blurred');
    await expect(card('staffwc').textContent()).resolves.toContain('Prohibited place');
    for (const path of ['cameras/carpark', 'retention', 'compliance', 'register', 'diagnostics']) {
      const resp = await page.goto(`${base}${path}`);
      expect(resp?.status(), path).toBe(200);
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
    await expect(page.locator('[data-hold]').count()).resolves.toBe(1);

    // A viewer: no form, and a forged POST with the viewer's own valid token is refused by role.
    await context.clearCookies();
    expect(await login(page, 'vera', PASSWORD)).toBe(200);
    await page.goto(`${base}retention`);
    await expect(page.locator('form[action="/retention/holds"]').count()).resolves.toBe(0);
    const token = await page.locator('form[action="/logout"] input[name="_csrf"]').getAttribute('value');
    const forged = await page.request.post(`${base}retention/holds`, {
      form: { _csrf: token ?? '', camera: 'gate', from: '2026-11-21T08:00', to: '2026-11-21T10:00', reason: 'viewer tries' },
      headers: { origin: base.replace(/\/$/, '') },
    });
    expect(forged.status()).toBe(403);
    expect(holds()).toHaveLength(1);
    await page.close();
  });

  it('opens the live view through the token relay, registered first', async () => {
    const page = await freshPage();
    expect(await login(page, 'vera', PASSWORD)).toBe(200);
    await page.goto(`${base}cameras/gate`);
    const before = rows().length;
    await Promise.all([page.waitForNavigation(), page.click('form[action="/cameras/gate/live"] button')]);
    const added = rows().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ verb: 'console.live', cameras: ['gate'], requester: 'console:vera' });
    if (assets.playerAvailable) {
      // jsmpeg (bundled from node_modules) connects from the page: the CSP lets it reach the relay.
      const url = await page.locator('canvas#live').getAttribute('data-url');
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/live\/gate\?token=/);
      await waitFor('the browser watching through the relay', () => relay.stats().some((s) => s.camera === 'gate' && s.viewers === 1), 20_000);
    } else {
      // Without the player the page gives the URL; the token it carries opens the stream.
      const url = (await page.locator('main p.mono').textContent())?.trim() ?? '';
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/live\/gate\?token=/);
      const first = await new Promise<Buffer>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('message', (data: Buffer) => {
          ws.close();
          resolve(data);
        });
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`relay answered ${res.statusCode}`)));
      });
      expect(first[0]).toBe(0x47); // MPEG-TS sync byte
    }
    // A prohibited-place camera offers no live view at all.
    await page.goto(`${base}cameras/staffwc`);
    await expect(page.locator('form[action="/cameras/staffwc/live"]').count()).resolves.toBe(0);
    await page.close();
  });

  it('is usable by keyboard and fits a phone-width screen', async () => {
    const page = await freshPage();
    expect(await login(page, 'root', PASSWORD)).toBe(200);
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
});
