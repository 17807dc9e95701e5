// The console's page handlers, called directly with a real SQLite database filled through
// the capability stores (uptime ledger, change reports, holds, access register) and real
// JPEGs through the thumbnail cache: what each page shows, in both languages, what it
// writes to the access register, and who may do what.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../agent/console/pages/index.js';
import { ConsoleAssets } from '../../agent/console/pages/assets.js';
import { ThumbnailCache } from '../../agent/console/thumbnails.js';
import type { ConsoleServices, ConsoleUser, PageRequest, PageResponse, Role, Route } from '../../agent/console/contract.js';
import { AccessRegister, queryAccessRegister } from '../../agent/access/register.js';
import { EventBus, EventRecorder } from '../../agent/events/index.js';
import { Outbox } from '../../agent/events/outbox.js';
import { HoldStore } from '../../agent/retention/holds.js';
import { UptimeStore } from '../../agent/uptime/store.js';
import { ChangeStore } from '../../agent/changes/store.js';
import type { AgentConfig, Language } from '../../agent/config/types.js';
import { recordInspection } from '../../agent/diagnose/inspections.js';
import type { DiagnoseReport } from '../../agent/diagnose/checks.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const JPEG = readFileSync(join(FIXTURES, 'scene-street.jpg'));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A Thursday morning in Shanghai.
const NOW = Date.parse('2026-11-26T02:00:00Z');

interface Harness {
  db: Database;
  config: AgentConfig;
  services: ConsoleServices;
  routes: Route[];
  thumbs: ThumbnailCache;
  liveCalls: string[];
  call(method: 'GET' | 'POST', path: string, opts?: { role?: Role; lang?: Language; form?: Record<string, string>; user?: string }): Promise<PageResponse>;
  html(path: string, opts?: { role?: Role; lang?: Language }): Promise<string>;
  registerRows(): ReturnType<typeof queryAccessRegister>;
}

function cameraEntry(id: string, name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name, onvif: { url: `http://127.0.0.1:9/${id}/onvif/device_service` }, location: { kind: 'street', description: `${name} street` }, record: true, ...over };
}

function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i += 1) {
    const seg = p[i] as string;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(s[i] as string);
    else if (seg !== s[i]) return null;
  }
  return params;
}

function harness(dir: string, cameras: Record<string, unknown>[], opts: { assets?: ConsoleAssets } = {}): Harness {
  const config = testAgentConfig(dir, 'mqtt://127.0.0.1:1', 'console-site', { cameras });
  const db = openStore(config.database, { migrations, now: () => new Date(NOW) }).db;
  const recorder = new EventRecorder(db, new Outbox({ db, site: config.site.id, now: () => new Date(NOW), newId: randomUUID }), new EventBus(silentLogger()));
  const register = new AccessRegister({ db, recorder, now: () => new Date(NOW) });
  const holds = new HoldStore(db);
  const thumbs = new ThumbnailCache();
  const liveCalls: string[] = [];
  const services: ConsoleServices = {
    config,
    db,
    now: () => new Date(NOW),
    thumbnail: (id) => thumbs.get(id),
    registerAccess: (e) => {
      register.record({ ...e, fromMs: null, toMs: null, staff: [], approvalDoc: null, lawDoc: null, result: 'granted' });
    },
    addHold: (h) => ({ id: holds.add({ cameraId: h.cameraId, fromMs: h.fromMs, toMs: h.toMs, kind: 'legal', reason: h.reason, createdBy: h.by }, NOW, config.profile.retention.vitalHoldDays).id }),
    releaseHold: (id, by, reason) => void holds.release(id, by, reason, NOW),
    diagnose: async (requester) => {
      const report: DiagnoseReport = {
        checks: [
          { name: 'config', status: 'pass', detail: 'valid' },
          { name: 'camera cam-blur: clarity', status: 'fail', detail: 'blurred picture', advice: 'clean the lens' },
        ],
      };
      recordInspection(db, { report, startedMs: NOW, finishedMs: NOW + 1000, source: 'console', requester });
      return report;
    },
    openLive: (cameraId, requester) => {
      // The page must have registered the viewing before a token exists.
      const before = queryAccessRegister(db).filter((e) => e.verb === 'console.live' && e.cameras.includes(cameraId)).length;
      liveCalls.push(`${cameraId}|${requester}|${before}`);
      return { url: `ws://127.0.0.1:8090/live/${cameraId}?token=tok`, expiresAtMs: NOW + 300_000 };
    },
  };
  const routes = consoleRoutes(opts.assets ? { assets: opts.assets } : {});
  const call: Harness['call'] = async (method, path, o = {}) => {
    const [p, q] = path.split('?') as [string, string | undefined];
    for (const r of routes) {
      if (r.method !== method) continue;
      const params = match(r.pattern, p);
      if (!params) continue;
      const user: ConsoleUser = { name: o.user ?? 'alice', role: o.role ?? 'admin', language: o.lang ?? 'en' };
      const req: PageRequest = {
        method,
        path: p,
        params,
        query: new URLSearchParams(q ?? ''),
        form: new URLSearchParams(o.form ?? {}),
        user,
        lang: o.lang ?? 'en',
        csrfToken: 'csrf-token-123',
        services,
      };
      return r.handle(req);
    }
    throw new Error(`no route for ${method} ${path}`);
  };
  return {
    db,
    config,
    services,
    routes,
    thumbs,
    liveCalls,
    call,
    html: async (path, o = {}) => {
      const res = await call('GET', path, o);
      if (res.kind !== 'html') throw new Error(`${path}: ${res.kind}`);
      return res.html;
    },
    registerRows: () => queryAccessRegister(db),
  };
}

/** Facts the pages read, written through the stores the agent itself uses. */
function seed(h: Harness): void {
  const { db } = h;
  const uptime = new UptimeStore(db);
  // cam-ok: online for 2 days; cam-blur: offline the last 2 hours.
  uptime.apply('cam-ok', [{ op: 'open', state: 'online', startMs: NOW - 2 * DAY, reason: 'probe' }]);
  uptime.apply('cam-blur', [{ op: 'open', state: 'online', startMs: NOW - 2 * DAY, reason: 'probe' }]);
  const open = uptime.openInterval('cam-blur');
  uptime.apply('cam-blur', [
    { op: 'close', id: open?.id as number, endMs: NOW - 2 * HOUR },
    { op: 'open', state: 'offline', startMs: NOW - 2 * HOUR, reason: 'probe' },
  ]);
  const clarity = db.prepare('INSERT INTO clarity_state (camera_id, tracker, verdict, faults, metrics, updated_ms) VALUES (?, ?, ?, ?, ?, ?)');
  clarity.run('cam-ok', '{}', 'ok', '[]', JSON.stringify({ sharpness: 0.45, brightness: 120, contrast: 50 }), NOW - 60_000);
  clarity.run('cam-blur', '{}', 'fault', '["blur"]', JSON.stringify({ sharpness: 0.12, brightness: 118, contrast: 40 }), NOW - 60_000);
  const sample = db.prepare('INSERT INTO clarity_samples (camera_id, bucket_ms, n, metrics, faults) VALUES (?, ?, ?, ?, ?)');
  for (let t = NOW - 3 * DAY; t <= NOW; t += HOUR) {
    sample.run('cam-blur', t, 12, JSON.stringify({ sharpness: t > NOW - DAY ? 0.12 : 0.44, brightness: 118, contrast: 41 }), t > NOW - DAY ? '{"blur":12}' : '{}');
  }
  // Recordings: cam-ok has 16 days, cam-blur 3.
  const seg = db.prepare("INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, sha256, state, indexed_ms) VALUES (?, ?, ?, ?, ?, NULL, 'present', ?)");
  for (let d = 16; d >= 1; d -= 1) seg.run('cam-ok', `cam-ok/${d}.mp4`, NOW - d * DAY, NOW - d * DAY + HOUR, 100_000_000, NOW);
  for (let d = 3; d >= 1; d -= 1) seg.run('cam-blur', `cam-blur/${d}.mp4`, NOW - d * DAY, NOW - d * DAY + HOUR, 50_000_000, NOW);
  const changes = new ChangeStore(db);
  const report = (n: number, state: 'pending' | 'overdue' | 'acknowledged', detected: string, deadline: string) =>
    changes.insertReport({
      id: `report-${n}`,
      number: n,
      site: h.config.site.id,
      detectedAt: detected,
      createdAt: detected,
      changes: [{ scope: 'camera:cam-blur', path: 'configured.location.description', before: 'North gate', after: 'South <gate>' }],
      cameras: ['cam-blur'],
      workingDays: 3,
      deadline,
      calendarKnown: true,
      state,
      eventId: null,
      reportedAt: null,
      remindedAt: null,
      overdueAt: null,
      acknowledgedAt: null,
      receiptNo: null,
    });
  report(1, 'acknowledged', '2026-11-02T02:00:00.000Z', '2026-11-05');
  report(2, 'overdue', '2026-11-16T02:00:00.000Z', '2026-11-19');
  report(3, 'pending', '2026-11-25T02:00:00.000Z', '2026-11-30');
}

describe('console pages', () => {
  let tmp: { dir: string; remove: () => void };
  let h: Harness;

  beforeEach(async () => {
    tmp = makeTempDir('cea-console-');
    h = harness(tmp.dir, [
      cameraEntry('cam-ok', 'Gate <North>'),
      cameraEntry('cam-blur', 'Car park'),
      cameraEntry('cam-wc', 'Staff toilet', { location: { kind: 'toilet', description: 'ground floor' } }),
    ]);
    seed(h);
    for (const id of ['cam-ok', 'cam-blur', 'cam-wc']) h.thumbs.offer(id, JPEG, NOW - 30_000);
    await h.thumbs.settled();
  });

  afterEach(() => {
    h.db.close();
    tmp.remove();
  });

  it('overview: every camera with its verdict, faults, online state and recording days, in English and Chinese', async () => {
    const en = await h.html('/', { lang: 'en' });
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Gate &lt;North&gt;'); // escaped, never markup
    expect(en).not.toContain('Gate <North>');
    const card = (html: string, id: string) => html.slice(html.indexOf(`data-camera="${id}"`), html.indexOf('</li>', html.indexOf(`data-camera="${id}"`)));
    expect(card(en, 'cam-blur')).toContain('data-verdict="fault"');
    expect(card(en, 'cam-blur')).toContain('blurred');
    expect(card(en, 'cam-blur')).toContain('Offline');
    expect(card(en, 'cam-blur')).toContain('3.0 of 15 days');
    expect(card(en, 'cam-ok')).toContain('data-verdict="ok"');
    expect(card(en, 'cam-ok')).toContain('Online');
    expect(card(en, 'cam-ok')).toMatch(/24 h 100 %/);
    expect(card(en, 'cam-wc')).toContain('Prohibited place');
    expect(card(en, 'cam-wc')).not.toContain('<img');
    expect(en).toContain('3 cameras: 1 online, 1 offline, 1 with picture faults');

    const zh = await h.html('/', { lang: 'zh-CN' });
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toContain('站点概览');
    expect(card(zh, 'cam-blur')).toContain('图像故障');
    expect(card(zh, 'cam-blur')).toContain('模糊');
    expect(card(zh, 'cam-blur')).toContain('离线');
    expect(card(zh, 'cam-wc')).toContain('禁止场所');

    const problems = await h.html('/?only=problems');
    expect(problems).toContain('data-camera="cam-blur"');
    expect(problems).not.toContain('data-camera="cam-ok"');
  });

  it('overview writes one register row naming the cameras whose pictures it shows; its thumbnails add none, a bare thumbnail adds one', async () => {
    const html = await h.html('/');
    let rows = h.registerRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ verb: 'console.view', requester: 'console:alice', cameras: ['cam-ok', 'cam-blur'] });
    const src = /<img src="([^"]+cam-ok[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect(src).toBeDefined();
    const viaPage = await h.call('GET', src as string);
    expect(viaPage.kind).toBe('bytes');
    expect(h.registerRows()).toHaveLength(1);

    // Another account cannot ride on alice's view id.
    await h.call('GET', src as string, { user: 'bob', role: 'viewer' });
    rows = h.registerRows();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ verb: 'console.view', requester: 'console:bob', cameras: ['cam-ok'] });

    const bare = await h.call('GET', '/cameras/cam-blur/thumbnail.jpg');
    expect(bare.kind).toBe('bytes');
    if (bare.kind !== 'bytes') throw new Error('unreachable');
    expect(bare.contentType).toBe('image/jpeg');
    expect(bare.headers?.['cache-control']).toContain('no-store');
    const meta = await sharp(bare.body as Uint8Array).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(320);
    expect(h.registerRows()).toHaveLength(3);
    expect(h.registerRows()[2]).toMatchObject({ cameras: ['cam-blur'], requester: 'console:alice' });
  });

  it('a prohibited-place camera never has a picture or a live view, and nothing is registered for it', async () => {
    const thumb = await h.call('GET', '/cameras/cam-wc/thumbnail.jpg');
    expect(thumb.kind).toBe('html');
    if (thumb.kind === 'html') expect(thumb.status).toBe(404);
    const detail = await h.html('/cameras/cam-wc');
    expect(detail).not.toContain('<img');
    expect(detail).not.toContain('/live"');
    const live = await h.call('POST', '/cameras/cam-wc/live', { form: { _csrf: 'csrf-token-123' } });
    expect(live.kind === 'html' && live.status).toBe(403);
    expect(h.liveCalls).toEqual([]);
    expect(h.registerRows()).toHaveLength(0);
  });

  it('camera detail: trends and uptime as SVG charts, field-level history, live view registered before the token', async () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      const html = await h.html('/cameras/cam-blur', { lang });
      expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(6); // 2 trend charts × 2 windows + 2 timelines
      expect(html).toContain('class="state-offline"');
      expect(html).toContain('configured.location.description');
      expect(html).toContain('South &lt;gate&gt;');
      expect(html).toContain(lang === 'en' ? 'Configuration history' : '配置变更记录');
      expect(html).toContain(lang === 'en' ? 'Clarity trend (7 d)' : '清晰度趋势（7 天）');
    }
    const noPlayer = harnessLive(h);
    const live = await h.call('POST', '/cameras/cam-ok/live', { form: { _csrf: 'csrf-token-123', purpose: 'incident 42' } });
    expect(live.kind).toBe('html');
    if (live.kind !== 'html') throw new Error('unreachable');
    expect(h.liveCalls).toEqual(['cam-ok|console:alice|1']);
    const row = h.registerRows().find((e) => e.verb === 'console.live');
    expect(row).toMatchObject({ cameras: ['cam-ok'], requester: 'console:alice', purpose: 'incident 42' });
    expect(live.html).toContain(noPlayer ? 'ws://127.0.0.1:8090/live/cam-ok?token=tok' : 'data-url="ws://127.0.0.1:8090/live/cam-ok?token=tok"');
  });

  it('retention: forecast chart, per-camera storage, holds; only an admin gets the forms, and they carry the CSRF token', async () => {
    const viewer = await h.html('/retention', { role: 'viewer' });
    expect(viewer).toContain('Storage and retention');
    expect(viewer).toContain('Only an admin can add or release holds.');
    expect(viewer).not.toContain('action="/retention/holds"');
    expect(viewer).toMatch(/<svg [^>]*aria-label="Capacity forecast"/);
    expect(viewer).toContain('Car park');
    const admin = await h.html('/retention', { role: 'admin', lang: 'zh-CN' });
    expect(admin).toContain('新增保全');
    expect(admin).toMatch(/action="\/retention\/holds">\s*<input type="hidden" name="_csrf" value="csrf-token-123">/);

    const bad = await h.call('POST', '/retention/holds', { form: { camera: 'cam-ok', from: 'yesterday', to: '2026-11-26T09:00', reason: 'x' } });
    expect(bad.kind === 'html' && bad.status).toBe(400);
    const added = await h.call('POST', '/retention/holds', { form: { camera: 'cam-ok', from: '2026-11-20T08:00', to: '2026-11-20T10:00', reason: 'Case 2026-117: theft at the gate' } });
    expect(added).toEqual({ kind: 'redirect', location: '/retention?done=added' });
    const holds = new HoldStore(h.db).list();
    expect(holds).toHaveLength(1);
    // 08:00 in Shanghai is 00:00 UTC.
    expect(new Date(holds[0]?.fromMs as number).toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(holds[0]?.createdBy).toBe('console:alice');
    const listed = await h.html('/retention?done=added');
    expect(listed).toContain('Case 2026-117: theft at the gate');
    expect(listed).toContain('Hold added.');
    const noReason = await h.call('POST', `/retention/holds/${holds[0]?.id}/release`, { form: { reason: ' ' } });
    expect(noReason.kind === 'html' && noReason.status).toBe(400);
    const released = await h.call('POST', `/retention/holds/${holds[0]?.id}/release`, { form: { reason: 'case closed' } });
    expect(released).toEqual({ kind: 'redirect', location: '/retention?done=released' });
    expect(new HoldStore(h.db).get(holds[0]?.id as string)?.releaseReason).toBe('case closed');
    // The role each action needs is declared on its route (the server enforces it).
    const roleOf = (method: string, pattern: string) => h.routes.find((r) => r.method === method && r.pattern === pattern)?.minRole;
    expect(roleOf('POST', '/retention/holds')).toBe('admin');
    expect(roleOf('POST', '/retention/holds/:id/release')).toBe('admin');
    expect(roleOf('POST', '/diagnostics/run')).toBe('operator');
    expect(h.routes.filter((r) => r.method === 'GET').every((r) => r.minRole === 'viewer')).toBe(true);
  });

  it('compliance: reports with working-day countdowns, overdue ones, the dossier and the prohibited cameras', async () => {
    const en = await h.html('/compliance');
    const row = (html: string, id: string) => html.slice(html.indexOf(`data-report="${id}"`), html.indexOf('</tr>', html.indexOf(`data-report="${id}"`)));
    // Thursday 2026-11-26 → Monday 11-30: Friday and Monday are left.
    expect(row(en, 'report-3')).toContain('2 working days left');
    expect(row(en, 'report-2')).toMatch(/overdue by 5 working days/);
    expect(row(en, 'report-1')).toContain('acknowledged');
    expect(en).toContain('design_scheme');
    expect(en).toContain('data-prohibited="cam-wc"');
    const zh = await h.html('/compliance', { lang: 'zh-CN' });
    expect(row(zh, 'report-3')).toContain('剩 2 个工作日');
    expect(row(zh, 'report-2')).toContain('逾期 5 个工作日');
    expect(zh).toContain('禁止场所的摄像机');
    expect(zh).toContain('filing.documents 中未列出“设计方案”'); // the dossier's own texts, in Chinese
    expect(zh).toMatch(/data-prohibited="cam-wc"[^<]*<a[^>]*>Staff toilet<\/a> <span class="mono">cam-wc<\/span> — 卫生间/);
    expect(en).toContain('data-filing="not_due"');
  });

  it('access register: search, chain verification, CSV export that is itself registered', async () => {
    await h.html('/'); // console.view of cam-ok, cam-blur
    await h.call('GET', '/cameras/cam-ok/thumbnail.jpg', { user: 'bob', role: 'viewer' });
    const all = await h.html('/register');
    expect(all).toContain('data-chain="ok"');
    expect(all).toContain('the hash chain of 2 entries is intact');
    const bobs = await h.html('/register?requester=bob');
    expect(bobs).toContain('data-seq="2"');
    expect(bobs).not.toContain('data-seq="1"');
    const blur = await h.html('/register?camera=cam-blur');
    expect(blur).toContain('data-seq="1"');
    expect(blur).not.toContain('data-seq="2"');
    const future = await h.html('/register?from=2026-12-01');
    expect(future).toContain('No matching entries.');
    const zh = await h.html('/register', { lang: 'zh-CN' });
    expect(zh).toContain('校验通过');
    expect(zh).toMatch(/action="\/register\/export" class="form-row"><input type="hidden" name="_csrf" value="csrf-token-123">/);

    const csv = await h.call('POST', '/register/export', { form: { requester: 'bob' } });
    expect(csv.kind).toBe('bytes');
    if (csv.kind !== 'bytes') throw new Error('unreachable');
    const text = String(csv.body);
    expect(text.startsWith('\uFEFFKind,ID,No.,Time,Cameras')).toBe(true);
    expect(text).toContain('console:bob');
    expect(text).not.toContain('console:alice');
    expect(csv.headers?.['content-disposition']).toMatch(/attachment; filename="access-register-console-site-/);
    const last = h.registerRows().at(-1);
    expect(last).toMatchObject({ verb: 'console.export', requester: 'console:alice', cameras: ['cam-ok'] });
    expect(last?.detail).toMatchObject({ rows: 1, format: 'csv' });
  });

  it('diagnostics: runs diagnose as the operator and shows the checks and the inspection history', async () => {
    const viewer = await h.html('/diagnostics', { role: 'viewer' });
    expect(viewer).toContain('Only operators and admins can run diagnose.');
    expect(viewer).toContain('No inspections yet.');
    const res = await h.call('POST', '/diagnostics/run', { role: 'operator', lang: 'zh-CN' });
    expect(res.kind).toBe('html');
    if (res.kind !== 'html') throw new Error('unreachable');
    expect(res.html).toContain('诊断结果');
    expect(res.html).toMatch(/data-check="camera cam-blur: clarity" data-status="fail"/);
    expect(res.html).toContain('clean the lens');
    expect(res.html).toContain('巡检记录');
    expect(res.html).toContain('console:alice');
    const en = await h.html('/diagnostics');
    expect(en).toContain('Inspection history');
    expect(en).toContain('blurred picture');
  });

  it('every POST form of every page carries the CSRF token', async () => {
    const pages = ['/', '/cameras/cam-ok', '/retention', '/compliance', '/register', '/diagnostics'];
    let forms = 0;
    for (const p of pages) {
      const html = await h.html(p, { role: 'admin' });
      for (const m of html.matchAll(/<form method="post"[^>]*>([\s\S]*?)<\/form>/g)) {
        forms += 1;
        expect(m[1], `${p}: ${m[0].slice(0, 80)}`).toContain('<input type="hidden" name="_csrf" value="csrf-token-123">');
      }
    }
    expect(forms).toBeGreaterThanOrEqual(8); // sign-out on each page, live, hold add, export, diagnose
  });

  it('serves its bundled stylesheet', async () => {
    const css = await h.call('GET', '/assets/console.css');
    expect(css.kind).toBe('bytes');
    if (css.kind === 'bytes') {
      expect(css.contentType).toContain('text/css');
      expect(String(Buffer.from(css.body as Uint8Array))).toContain('.cards');
      expect(String(Buffer.from(css.body as Uint8Array))).not.toMatch(/https?:\/\//);
    }
    const missing = await h.call('GET', '/assets/nope.js');
    expect(missing.kind === 'html' && missing.status).toBe(404);
  });
});

describe('console helpers', () => {
  it('the pages\' cached date formatter says what i18n formatDateTime says', async () => {
    const { when } = await import('../../agent/console/pages/layout.js');
    const { formatDateTime } = await import('../../agent/i18n/index.js');
    for (const tz of ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York']) {
      const req = { services: { config: { site: { timezone: tz } } } } as unknown as PageRequest;
      for (const ms of [0, Date.parse('2026-03-29T00:59:59Z'), Date.parse('2026-03-29T01:00:00Z'), Date.parse('2026-12-31T16:00:00Z'), NOW]) {
        expect(when(req, ms)).toBe(formatDateTime(ms, tz));
        expect(when(req, ms, true)).toBe(formatDateTime(ms, tz, { seconds: true }));
      }
    }
  });

  it('the thumbnail cache keeps the newest small picture and survives a broken one', async () => {
    const errors: string[] = [];
    const cache = new ThumbnailCache({ onError: (id) => errors.push(id), minIntervalMs: 0 });
    cache.offer('a', JPEG, 1000);
    cache.offer('a', JPEG, 3000); // arrives while the first is being made: replaces the queued one
    cache.offer('a', JPEG, 2000);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(2000);
    cache.offer('a', new Uint8Array(JPEG.subarray(0, 2000)), 4000); // truncated
    await cache.settled();
    expect(errors).toEqual(['a']);
    expect(cache.get('a')?.atMs).toBe(2000);
    const meta = await sharp(cache.get('a')?.jpeg as Uint8Array).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(320);
    expect(cache.get('b')).toBeNull();
  });
});

/** Whether the live page will show the URL (no jsmpeg installed) or the player. */
function harnessLive(h: Harness): boolean {
  void h;
  return !new ConsoleAssets().playerAvailable;
}

describe('console overview with 256 cameras', () => {
  it('renders every camera from a handful of queries; server time is printed', async () => {
    const tmp = makeTempDir('cea-console-256-');
    const cams = Array.from({ length: 256 }, (_, i) => cameraEntry(`cam-${String(i).padStart(3, '0')}`, `Camera ${i}`));
    const h = harness(tmp.dir, cams);
    try {
      const uptime = new UptimeStore(h.db);
      const clarity = h.db.prepare('INSERT INTO clarity_state (camera_id, tracker, verdict, faults, metrics, updated_ms) VALUES (?, ?, ?, ?, ?, ?)');
      const seg = h.db.prepare("INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, sha256, state, indexed_ms) VALUES (?, ?, ?, ?, ?, NULL, 'present', ?)");
      h.db.transaction(() => {
        for (const [i, c] of cams.entries()) {
          const id = c.id as string;
          // A week of flapping: an offline hour every 6 hours.
          for (let t = NOW - 7 * DAY; t < NOW; t += 6 * HOUR) {
            const open = uptime.openInterval(id);
            if (open) uptime.apply(id, [{ op: 'close', id: open.id, endMs: t }]);
            uptime.apply(id, [{ op: 'open', state: 'online', startMs: t, reason: 'probe' }]);
            const on = uptime.openInterval(id);
            uptime.apply(id, [{ op: 'close', id: on?.id as number, endMs: t + 5 * HOUR }, { op: 'open', state: 'offline', startMs: t + 5 * HOUR, reason: 'probe' }]);
          }
          clarity.run(id, '{}', i % 7 === 0 ? 'fault' : 'ok', i % 7 === 0 ? '["blur"]' : '[]', '{}', NOW);
          // 16 days of 10-minute segments.
          for (let t = NOW - 16 * DAY; t < NOW; t += 10 * 60_000) seg.run(id, `${id}/${t}.mp4`, t, t + 600_000, 10_000_000, NOW);
        }
      })();
      for (const c of cams) h.thumbs.offer(c.id as string, JPEG, NOW);
      await h.thumbs.settled();
      await h.html('/'); // warm the statements
      const runs: number[] = [];
      let html = '';
      for (let i = 0; i < 5; i += 1) {
        const t0 = performance.now();
        html = await h.html('/');
        runs.push(performance.now() - t0);
      }
      expect(html.match(/<li class="card /g)?.length).toBe(256);
      expect(html.match(/data-verdict="fault"/g)?.length).toBe(Math.ceil(256 / 7));
      expect(html).toContain('256 cameras');
      // One register row per page view, naming all 256 pictures.
      const rows = h.registerRows();
      expect(rows).toHaveLength(6);
      expect(rows[5]?.cameras).toHaveLength(256);
      const segs = (h.db.prepare('SELECT count(*) AS n FROM segments').get() as { n: number }).n;
      const ivs = (h.db.prepare('SELECT count(*) AS n FROM uptime_intervals').get() as { n: number }).n;
      console.log(`overview of 256 cameras (${segs} segments, ${ivs} uptime intervals): server time ms ${runs.map((r) => r.toFixed(1)).join(', ')}; html ${(html.length / 1024).toFixed(0)} KiB`);
    } finally {
      h.db.close();
      tmp.remove();
    }
  }, 90_000);
});
