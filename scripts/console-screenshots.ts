// Regenerates the console screenshots in docs/screenshots/ (README): a demo-like site —
// simulated cameras judged by the real agent (healthy, out of focus, too dark, one that
// drops off the network, one in a prohibited place) — with a week of history seeded
// into its database so the charts have something to show: clarity samples, uptime,
// recordings (sparse files adopted by the retention index), change reports, a hold,
// platform accesses and an inspection. The console is the agent's own (startAgent binds
// `console.listen: 127.0.0.1:0`); its thumbnails are the clarity monitor's snapshots.
// Then Debian's Chromium photographs each page at 1280×800 (and one at phone width).
// Chinese needs a CJK font in the system (Debian: fonts-noto-cjk), or it shows as boxes.
//
//   npm run screenshots
//   npx tsc -p tsconfig.build.json && node dist/scripts/console-screenshots.js [OUT_DIR]
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, utimesSync, ftruncateSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { startAgent } from '../agent/main.js';
import { resolveConfigObject } from '../agent/config/index.js';
import { AccessRegister } from '../agent/access/register.js';
import { AccountStore } from '../agent/console/accounts.js';
import { hashPassword } from '../agent/console/password.js';
import { recordInspection } from '../agent/diagnose/inspections.js';
import { EventBus, EventRecorder } from '../agent/events/index.js';
import { Outbox } from '../agent/events/outbox.js';
import { ChangeStore } from '../agent/changes/store.js';
import { HoldStore } from '../agent/retention/holds.js';
import { segmentPath } from '../agent/recording/layout.js';
import { UptimeStore } from '../agent/uptime/store.js';
import { packageRoot } from '../agent/package-root.js';
import { silentLogger } from '../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../drivers/store/index.js';
import { startFleet, type SimulatedCamera, type SimulatedCameraSpec } from '../test/fakes/onvif-camera/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TZ = 'Asia/Shanghai';
const PASSWORD = 'screenshots only';

const CAMERAS: (SimulatedCameraSpec & { kind: string; description: string; recordedDays: number })[] = [
  { id: 'gate-north', name: '北门 North gate', condition: 'ok', kind: 'street', description: 'North gate, facing the road', recordedDays: 16 },
  { id: 'lobby', name: '大堂 Lobby', condition: 'blur', kind: 'public_area', description: 'Main lobby', recordedDays: 16 },
  { id: 'car-park', name: '地下车库 Car park', condition: 'dark', kind: 'public_area', description: 'Underground car park', recordedDays: 9 },
  { id: 'side-door', name: '侧门 Side door', condition: 'ok', kind: 'street', description: 'Side door', recordedDays: 16 },
  { id: 'staff-wc', name: '员工卫生间 Staff toilet', condition: 'ok', kind: 'toilet', description: 'Ground floor (must be removed)', recordedDays: 0 },
];

function seedHistory(db: Database, nowMs: number, storageRoot: string): void {
  const uptime = new UptimeStore(db);
  const sample = db.prepare('INSERT OR REPLACE INTO clarity_samples (camera_id, bucket_ms, n, metrics, faults) VALUES (?, ?, ?, ?, ?)');
  const start = nowMs - 7 * DAY;
  db.transaction(() => {
    for (const c of CAMERAS.filter((x) => x.kind !== 'toilet')) {
      // Uptime: side-door drops off for an hour twice a day; the others stay up.
      let t = start;
      const open = (state: 'online' | 'offline', at: number) => {
        const cur = uptime.openInterval(c.id);
        if (cur) uptime.apply(c.id, [{ op: 'close', id: cur.id, endMs: at }]);
        uptime.apply(c.id, [{ op: 'open', state, startMs: at, reason: 'probe' }]);
      };
      open('online', t);
      if (c.id === 'side-door') {
        for (t = start + 9 * HOUR; t < nowMs - 2 * HOUR; t += 12 * HOUR) {
          open('offline', t);
          open('online', t + HOUR);
        }
      }
      const cur = uptime.openInterval(c.id);
      if (cur) uptime.apply(c.id, [{ op: 'close', id: cur.id, endMs: nowMs - 60_000 }]);
      // Clarity: a daily light cycle; the lobby lost focus two days ago, the car park is dark at night and now.
      for (let b = start; b < nowMs; b += 15 * 60_000) {
        const hour = new Date(b + 8 * HOUR).getUTCHours();
        const daylight = Math.max(0, Math.sin(((hour - 6) / 12) * Math.PI));
        let brightness = 70 + 70 * daylight;
        let sharpness = 0.42 + 0.05 * daylight;
        let contrast = 38 + 18 * daylight;
        const faults: Record<string, number> = {};
        if (c.id === 'lobby' && b > nowMs - 2 * DAY) {
          sharpness = 0.14;
          faults.blur = 3;
        }
        if (c.id === 'car-park') {
          brightness = b > nowMs - 1.5 * DAY ? 18 : 40 + 25 * daylight;
          contrast = brightness / 3;
          if (brightness < 30) faults.too_dark = 3;
        }
        sample.run(c.id, b, 3, JSON.stringify({ sharpness, brightness, contrast, noise: 2 }), JSON.stringify(faults));
      }
      // Recordings: hourly segments as sparse files (real sizes, no disk used), adopted by the index.
      for (let s = nowMs - c.recordedDays * DAY; s < nowMs - HOUR; s += HOUR) {
        const file = join(storageRoot, segmentPath(c.id, s, TZ));
        mkdirSync(dirname(file), { recursive: true });
        const fd = openSync(file, 'w');
        ftruncateSync(fd, c.id === 'gate-north' ? 200_000_000 : 100_000_000);
        closeSync(fd);
        utimesSync(file, new Date(s + HOUR), new Date(s + HOUR));
      }
    }
    const changes = new ChangeStore(db);
    const report = (n: number, state: 'pending' | 'overdue' | 'acknowledged', detectedMs: number, deadline: string, change: { scope: string; path: string; before: unknown; after: unknown }, camera: string, receiptNo: string | null) =>
      changes.insertReport({
        id: randomUUID(),
        number: n,
        site: 'demo-site',
        detectedAt: new Date(detectedMs).toISOString(),
        createdAt: new Date(detectedMs).toISOString(),
        changes: [change],
        cameras: [camera],
        workingDays: 3,
        deadline,
        calendarKnown: true,
        state,
        eventId: null,
        reportedAt: null,
        remindedAt: null,
        overdueAt: null,
        acknowledgedAt: state === 'acknowledged' ? new Date(detectedMs + DAY).toISOString() : null,
        receiptNo,
      });
    const date = (ms: number) => new Date(ms + 8 * HOUR).toISOString().slice(0, 10);
    report(1, 'acknowledged', nowMs - 20 * DAY, date(nowMs - 16 * DAY), { scope: 'camera:gate-north', path: 'identity.firmware', before: '5.50', after: '5.62' }, 'gate-north', 'GA-2026-0117');
    report(2, 'overdue', nowMs - 9 * DAY, date(nowMs - 5 * DAY), { scope: 'camera:side-door', path: 'profiles[0].encoder.width', before: 1920, after: 1280 }, 'side-door', null);
    report(3, 'pending', nowMs - 6 * HOUR, date(nowMs + 3 * DAY), { scope: 'camera:lobby', path: 'configured.location.description', before: 'Main entrance', after: 'Main lobby' }, 'lobby', null);
  })();
  new HoldStore(db).add({ cameraId: 'gate-north', fromMs: nowMs - 3 * DAY, toMs: nowMs - 3 * DAY + 2 * HOUR, kind: 'legal', reason: '公安机关调取：2026-117 号案件 / Case 2026-117', createdBy: 'console:admin' }, nowMs, 365);
  const recorder = new EventRecorder(db, new Outbox({ db, site: 'demo-site', now: () => new Date(nowMs), newId: randomUUID }), new EventBus(silentLogger()));
  const register = new AccessRegister({ db, recorder, now: () => new Date(nowMs - 5 * HOUR) });
  register.record({ verb: 'recordings.query', cameras: ['gate-north'], fromMs: nowMs - 3 * DAY, toMs: nowMs - 3 * DAY + 2 * HOUR, requester: 'platform-1', staff: ['A1024', 'A2048'], approvalDoc: 'SP-2026-88', lawDoc: 'DQ-2026-117', purpose: 'Case 2026-117', result: 'granted', detail: {} });
  register.record({ verb: 'snapshot', cameras: ['lobby'], fromMs: null, toMs: null, requester: 'platform-1', staff: ['A1024'], approvalDoc: null, lawDoc: null, purpose: 'clarity complaint', result: 'granted', detail: {} });
  register.record({ verb: 'live.open', cameras: ['staff-wc'], fromMs: null, toMs: null, requester: 'platform-1', staff: ['A1024'], approvalDoc: null, lawDoc: null, purpose: null, result: 'refused:prohibited_location', detail: {} });
  recordInspection(db, {
    report: {
      checks: [
        { name: 'config', status: 'pass', detail: 'valid' },
        { name: 'camera lobby: clarity', status: 'fail', detail: 'blurred picture (sharpness 0.14)' },
        { name: 'camera car-park: clarity', status: 'warn', detail: 'too dark (brightness 18)' },
      ],
    },
    startedMs: nowMs - DAY,
    finishedMs: nowMs - DAY + 40_000,
    source: 'cli',
    requester: 'cli:technician',
  });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
}

/**
 * The viewport only (1280×800, or the phone's), as a palette PNG (libimagequant through
 * sharp): the camera photographs would make a true-colour PNG of a page 350 KB or more;
 * 256 colours keep the text crisp and each file well under 300 KB.
 */
async function shoot(page: Page, url: string, file: string): Promise<void> {
  await page.goto(url, { waitUntil: 'load' });
  // The pictures in view have arrived (lazy ones below the fold are not in the shot anyway).
  // Polled with evaluate: waitForFunction's string predicate is an eval the console's CSP refuses.
  const inView = 'Array.from(document.images).filter((i) => i.getBoundingClientRect().top < innerHeight).every((i) => i.complete && i.naturalWidth > 0)';
  for (let i = 0; (await page.evaluate(inView)) !== true; i += 1) {
    if (i >= 150) throw new Error(`the pictures in view of ${url} did not load`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const png = await page.screenshot();
  await sharp(png).png({ palette: true, quality: 90, effort: 8, compressionLevel: 9 }).toFile(file);
  process.stdout.write(`wrote ${file}\n`);
}

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(packageRoot(), 'docs', 'screenshots'));
  mkdirSync(out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'cea-screenshots-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const fleet = await startFleet(CAMERAS, { discovery: false });
    cleanups.push(() => fleet.stop());
    const brokerPort = await freePort();
    const raw = {
      site: { id: 'demo-site', name: '示例广场 Demo plaza', timezone: TZ },
      profile: 'liaoning-2008',
      broker: { listen: `127.0.0.1:${brokerPort}`, anonymousRead: false },
      mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, keepaliveSeconds: 30 },
      security: { requireSignedCommands: false, platformKeys: [] },
      database: join(dir, 'agent.db'),
      storage: { root: join(dir, 'recordings'), maxBytes: 250_000_000_000 },
      discovery: { enabled: false },
      monitor: { intervalSeconds: 2 },
      live: { listen: '127.0.0.1:0' },
      console: { listen: '127.0.0.1:0' },
      filing: { acceptedOn: '2026-11-10', documents: [{ kind: 'design_scheme', path: join(dir, 'design.pdf') }] },
      cameras: CAMERAS.map((c) => {
        const cam = fleet.camera(c.id) as SimulatedCamera;
        return { id: c.id, name: c.name, onvif: { url: cam.deviceServiceUrl, username: cam.username, password: cam.password }, location: { kind: c.kind, description: c.description }, record: c.recordedDays > 0 };
      }),
    };
    const loaded = resolveConfigObject(raw, '<screenshots>', { env: {}, cwd: dir });
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    const config = loaded.config;
    const nowMs = Date.now();
    const seedDb = openStore(config.database, { migrations, now: () => new Date(nowMs) }).db;
    seedHistory(seedDb, nowMs, config.storage.root);
    // As `cea user add` stores it: the scrypt hash with the default cost.
    const hash = await hashPassword(PASSWORD);
    new AccountStore(seedDb).put({ name: 'admin', role: 'admin', passwordHash: hash, language: null }, nowMs);
    seedDb.close();

    const agent = await startAgent({ config, logger: silentLogger(), now: () => new Date(), agentVersion: 'screenshots', clarityPolicy: { baselineSamples: 2 }, onvifTimeoutMs: 2000 });
    cleanups.push(() => agent.stop('screenshots done'));
    const base = agent.consoleUrl();
    if (!base) throw new Error('the agent did not bind its console');
    // Let the agent judge the pictures and index the recordings.
    const verdicts = () => agent.db.prepare("SELECT count(*) AS n FROM clarity_state WHERE verdict != 'ok'").get() as { n: number };
    const indexed = () => agent.db.prepare('SELECT count(*) AS n FROM segments').get() as { n: number };
    // Every allowed camera judged means every one has had a snapshot taken, which is also its thumbnail.
    const judged = () => agent.db.prepare('SELECT count(*) AS n FROM clarity_state').get() as { n: number };
    const pictured = CAMERAS.filter((c) => c.kind !== 'toilet').length;
    for (let i = 0; verdicts().n < 2 || judged().n < pictured || indexed().n === 0; i += 1) {
      if (i >= 90) throw new Error(`in 90 s the agent judged ${judged().n} of ${pictured} cameras (${verdicts().n} of 2 faulty) and indexed ${indexed().n} segments`);
      await new Promise((r) => setTimeout(r, 1000));
    }

    const profile = mkdtempSync(join(tmpdir(), 'cea-chromium-'));
    cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      headless: true,
      viewport: { width: 1280, height: 800 },
    });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    await page.goto(`${base}login`);
    await page.fill('input[name="name"]', 'admin');
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    // The thumbnail is made off the main thread: wait (each overview with pictures is a register row).
    for (let i = 0; ; i += 1) {
      await page.goto(base);
      if ((await page.locator('li.card img').count()) === pictured) break;
      if (i >= 60) throw new Error('the thumbnails never reached the console');
      await new Promise((r) => setTimeout(r, 1000));
    }
    await shoot(page, base, join(out, 'overview-zh.png'));
    await shoot(page, `${base}?lang=en`, join(out, 'overview-en.png'));
    await shoot(page, `${base}cameras/lobby`, join(out, 'camera-en.png'));
    await shoot(page, `${base}retention`, join(out, 'retention-en.png'));
    await shoot(page, `${base}compliance?lang=zh-CN`, join(out, 'compliance-zh.png'));
    await shoot(page, `${base}register?lang=en`, join(out, 'register-en.png'));
    await shoot(page, `${base}diagnostics`, join(out, 'diagnostics-en.png'));
    await page.setViewportSize({ width: 390, height: 844 });
    await shoot(page, `${base}?lang=zh-CN`, join(out, 'overview-phone-zh.png'));
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        process.stderr.write(`cleanup: ${(err as Error).message}\n`);
      }
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
