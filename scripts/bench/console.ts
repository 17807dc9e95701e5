// Console page speed: server time of GET / (the overview) for a site of 256 cameras with
// 30 days of history, against a baseline measured in the same run: a trivial static page
// through the very same server gates (Host, session, account lookup, headers). Server
// time runs from the request event to the response's 'finish' (no client, no network).
// The goal: the first page under 300 ms on the box.
//   npm run bench -- console [--cameras 256 --days 30 --requests 30 --no-thumbnails]
// (--no-thumbnails: no camera has a picture, so the page writes no access-register row: shows what that costs)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { AccessRegister } from '../../agent/access/register.js';
import { resolveConfigObject } from '../../agent/config/index.js';
import { AccountStore } from '../../agent/console/accounts.js';
import type { ConsoleServices, Route } from '../../agent/console/contract.js';
import { hashPassword } from '../../agent/console/password.js';
import { consoleRoutes } from '../../agent/console/pages/index.js';
import { ConsoleHttp } from '../../agent/console/server.js';
import { EventBus, EventRecorder, Outbox } from '../../agent/events/index.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import type { BenchRow } from './summary.js';

const DAY = 86_400_000;
const PASSWORD = 'bench-password-1';

function option(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

/** What the agent would have after a month: clarity verdicts, uptime flaps, 10-minute segments. */
function seed(db: Database, ids: string[], nowMs: number, days: number): void {
  const clarity = db.prepare("INSERT INTO clarity_state (camera_id, tracker, verdict, faults, metrics, updated_ms) VALUES (?, '{}', ?, ?, ?, ?)");
  const interval = db.prepare('INSERT INTO uptime_intervals (camera_id, state, start_ms, end_ms, reason) VALUES (?, ?, ?, ?, NULL)');
  const segment = db.prepare("INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, state, indexed_ms) VALUES (?, ?, ?, ?, 52428800, 'present', ?)");
  const from = nowMs - days * DAY;
  db.transaction(() => {
    ids.forEach((id, n) => {
      const faulty = n % 17 === 0;
      clarity.run(id, faulty ? 'fault' : 'ok', faulty ? '["blur"]' : '[]', JSON.stringify({ sharpness: 120 + n, luma: 110, contrast: 40 }), nowMs - 5000);
      // A short outage every other day.
      let t = from;
      while (t < nowMs) {
        const up = Math.min(nowMs, t + 2 * DAY);
        interval.run(id, 'online', t, up >= nowMs ? null : up);
        if (up >= nowMs) break;
        interval.run(id, 'offline', up, up + 600_000);
        t = up + 600_000;
      }
      for (let s = from; s + 600_000 <= nowMs; s += 600_000) segment.run(id, `${id}/${s}.mp4`, s, s + 600_000, nowMs);
    });
  })();
}

export async function benchConsole(argv: string[]): Promise<BenchRow[]> {
  const cameras = option(argv, 'cameras', 256);
  const days = option(argv, 'days', 30);
  const requests = option(argv, 'requests', 30);
  const thumbnails = !argv.includes('--no-thumbnails');
  const dir = mkdtempSync(join(tmpdir(), 'cea-bench-console-'));
  const nowMs = Date.now();
  const now = () => new Date();
  const ids = Array.from({ length: cameras }, (_, n) => `cam-${String(n + 1).padStart(3, '0')}`);
  const loaded = resolveConfigObject(
    {
      site: { id: 'bench-site', name: 'Console bench' },
      profile: 'liaoning-2008',
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      database: join(dir, 'agent.db'),
      storage: { root: join(dir, 'rec') },
      live: { listen: '127.0.0.1:0' },
      console: { language: 'zh-CN' },
      cameras: ids.map((id, n) => ({
        id,
        name: `Camera ${n + 1}`,
        onvif: { url: `http://127.0.0.1:9/${id}/onvif/device_service`, username: 'admin', password: 'camera-pw' },
        location: { kind: 'street', description: `Street ${n + 1}` },
        record: true,
      })),
    },
    '<bench>',
    { env: {}, cwd: dir },
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const config = loaded.config;
  const { db } = openStore(config.database, { migrations, now });
  let server: ReturnType<typeof createServer> | null = null;
  try {
    const t0 = performance.now();
    // Seeding only: nothing here must survive a power cut.
    db.pragma('synchronous = OFF');
    seed(db, ids, nowMs, days);
    db.pragma('synchronous = FULL');
    const seedS = (performance.now() - t0) / 1000;
    new AccountStore(db).put({ name: 'bench', role: 'admin', passwordHash: await hashPassword(PASSWORD), language: null }, nowMs);

    const recorder = new EventRecorder(db, new Outbox({ db, site: config.site.id, now, newId: randomUUID }), new EventBus(silentLogger()));
    const register = new AccessRegister({ db, recorder, now });
    const jpeg = readFileSync(new URL('../../../test/fixtures/scene-street.jpg', import.meta.url));
    const services: ConsoleServices = {
      config,
      db,
      now,
      thumbnail: () => (thumbnails ? { jpeg, atMs: nowMs - 5000 } : null),
      registerAccess: (e) =>
        void register.record({ verb: e.verb, cameras: e.cameras, fromMs: null, toMs: null, requester: e.requester, staff: [], approvalDoc: null, lawDoc: null, purpose: e.purpose, result: 'granted', detail: e.detail }),
      addHold: () => ({ id: 'unused' }),
      releaseHold: () => undefined,
      diagnose: async () => ({}),
      openLive: () => null,
    };
    const staticRoute: Route = { method: 'GET', pattern: '/bench-static', minRole: 'viewer', handle: () => ({ kind: 'html', html: '<!doctype html><p>static</p>' }) };
    const http = new ConsoleHttp({ config, db, services, routes: [...consoleRoutes(), staticRoute], logger: silentLogger(), now });

    let timing: number[] | null = null;
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const start = performance.now();
      const into = timing;
      res.on('finish', () => into?.push(performance.now() - start));
      http.listener(req, res);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    http.bound({ host: '127.0.0.1', port });
    const base = `http://127.0.0.1:${port}`;

    // Sign in as a browser would.
    const loginPage = await fetch(`${base}/login`);
    const loginCookie = (loginPage.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())?.[1] ?? '';
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, name: 'bench', password: PASSWORD }).toString(),
    });
    const session = login.headers.getSetCookie().find((c) => c.startsWith('cea_session='))?.split(';')[0];
    if (login.status !== 303 || !session) throw new Error(`bench login failed: ${login.status}`);

    const measure = async (path: string): Promise<{ first: number; p50: number; p95: number; bytes: number }> => {
      const times: number[] = [];
      timing = times;
      let bytes = 0;
      for (let i = 0; i < requests; i++) {
        const res = await fetch(base + path, { headers: { cookie: session } });
        const body = await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
        bytes = body.byteLength;
      }
      timing = null;
      return { first: times[0] as number, p50: quantile(times, 0.5), p95: quantile(times, 0.95), bytes };
    };
    // The overview first, on a cold server: "the first page" of the issue.
    const overview = await measure('/');
    const baseline = await measure('/bench-static');
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    process.stdout.write(
      [
        `console: ${cameras} cameras${thumbnails ? '' : ' (no thumbnails)'}, ${days} days of history (seeded in ${seedS.toFixed(1)} s), ${requests} requests each, server time`,
        `  baseline (static page, same gates): first ${ms(baseline.first)}, p50 ${ms(baseline.p50)}, p95 ${ms(baseline.p95)}`,
        `  overview GET / (${(overview.bytes / 1024).toFixed(0)} KiB):          first ${ms(overview.first)}, p50 ${ms(overview.p50)}, p95 ${ms(overview.p95)}`,
        '',
      ].join('\n'),
    );
    const worst = Math.max(overview.first, overview.p95);
    return [
      {
        bench: 'console',
        what: `GET / overview, ${cameras} cameras (server time p50; first ${ms(overview.first)}, p95 ${ms(overview.p95)})`,
        measured: ms(overview.p50),
        baseline: `${ms(baseline.p50)} static page`,
        ratio: overview.p50 / baseline.p50,
        goal: 'first and p95 < 300 ms',
        met: worst < 300,
      },
    ];
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
