// The diagnose and retention-alarm catalogs (agent/i18n/diagnose.ts, agent/i18n/retention.ts):
// every code in both languages, the JSON carries English detail/advice plus code + params,
// the readers (CLI line, report, console page) render the code in their language, and the
// English of the retention catalog is word for word what the retention policy writes.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diagnosticsPage, runDiagnoseAction } from '../../agent/console/pages/diagnostics.js';
import type { ConsoleServices, PageRequest } from '../../agent/console/contract.js';
import type { Language } from '../../agent/config/types.js';
import { platformKeyChecks } from '../../agent/diagnose/broker.js';
import { checkText, runTask, said, type Check, type DiagnoseReport } from '../../agent/diagnose/checks.js';
import { recordInspection } from '../../agent/diagnose/inspections.js';
import { timeSyncCheck } from '../../agent/diagnose/host.js';
import { diagnoseAdvice, diagnoseCliTexts, diagnoseDetails, faultAdvice, renderDiagnose } from '../../agent/i18n/diagnose.js';
import { alarmText, alarmTextEn, retentionAlarmTexts, type RetentionAlarmCode } from '../../agent/i18n/retention.js';
import { forecastAlarm } from '../../agent/retention/forecast.js';
import { DAY_MS, planRetention, type RetentionPolicy, type SegmentFact } from '../../agent/retention/policy.js';
import { reconcileAlarms } from '../../agent/retention/service.js';
import { migrations, openStore, type Database } from '../../drivers/store/index.js';
import { testAgentConfig } from '../helpers/agent-config.js';
import { makeTempDir } from '../helpers/tmp.js';

const CJK = /[\u4e00-\u9fff]/;
const BROKEN = /undefined|NaN|\[object /;

/** One value for every parameter name any diagnose code uses (names mean the same everywhere). */
const SAMPLE: Record<string, unknown> = {
  seconds: 15, message: 'ECONNREFUSED', source: 'chrony', site: 'plaza', profile: 'liaoning-2008', cameras: 3, warnings: ['w1', 'w2'],
  file: '/var/lib/cea/agent.db', errors: ['e1'], problem: 'no database yet at /x', version: 9, problems: 2, first: 'row 3 missing',
  root: '/srv/rec', parent: '/srv', errno: 'EACCES', disk: 'filesystem', freeBytes: 2 ** 30, capacityBytes: 2 ** 32, usedPercent: 75.04,
  deleteAbovePercent: 90, stopAbovePercent: 97, days: 40, bytesPerDay: 3 * 2 ** 30, floorDays: 30, marginDays: 7, offsetMs: -1520,
  server: '10.0.0.1', celsius: 85, disks: ['sda Ok', 'sdb Predicted Failure'], bad: ['/dev/sdb'], availableBytes: 2 ** 29, totalBytes: 2 ** 32,
  percent: 12.5, l1: 1.2, l5: 5.5, cores: 2, error: 'bad port', listen: '127.0.0.1:1883', url: 'mqtts://platform:8883', topic: 'psv/v1/x/diagnose/1',
  mqttVersion: '5', connectMs: 12, totalMs: 30, stage: 'subscribe', type: 'rsa', index: 2, id: 'gate', kind: 'bathroom', user: 'admin',
  code: 'soap_fault', manufacturer: 'Acme', model: 'X1', firmware: '1.0', serial: 'S1', limitS: 5, ntp: false, uri: 'rtsp://10.0.0.5/s',
  encoder: { encoding: 'H264', width: 1920, height: 1080, fps: 25, bitrate: 4096 }, judgedAgainst: 'baseline', mode: 'night', hasTracker: true,
  size: '1920x1080', bytes: 123456, faults: ['blur', 'too_dark'], ageMs: 600_000, endMs: Date.parse('2026-11-27T01:00:00Z'), timeZone: 'Asia/Shanghai',
  codec: 'h264', width: 1280, height: 720, fps: 25, bitrate: 4_000_000,
};

describe('the diagnose catalog', () => {
  it('every code has a detail in both languages; advice only for known codes, in both languages', () => {
    const codes = Object.keys(diagnoseDetails);
    expect(codes.length).toBeGreaterThan(80);
    for (const [code, e] of Object.entries(diagnoseDetails)) {
      expect(e['zh-CN'], code).toBeDefined();
      expect(e.en, code).toBeDefined();
    }
    for (const code of Object.keys(diagnoseAdvice)) expect(codes, code).toContain(code);
    for (const e of [...Object.values(diagnoseAdvice), ...Object.values(faultAdvice), ...Object.values(diagnoseCliTexts)]) {
      expect(e['zh-CN']).toBeDefined();
      expect(e.en).toBeDefined();
    }
  });

  it('renders every code: Chinese texts are Chinese, nothing renders as undefined / NaN / [object …]', () => {
    for (const code of Object.keys(diagnoseDetails)) {
      const zh = renderDiagnose(code, SAMPLE, 'zh-CN');
      const en = renderDiagnose(code, SAMPLE, 'en');
      expect(zh, code).not.toBeNull();
      expect(en, code).not.toBeNull();
      expect(zh!.detail, code).toMatch(CJK);
      expect(zh!.detail + (zh!.advice ?? ''), code).not.toMatch(BROKEN);
      expect(en!.detail + (en!.advice ?? ''), code).not.toMatch(BROKEN);
      expect(en!.detail, code).not.toMatch(CJK);
      if (code in diagnoseAdvice) {
        expect(zh!.advice, code).toMatch(CJK);
        expect(en!.advice, code).toBeTruthy();
      } else expect(zh!.advice, code).toBeUndefined();
    }
  });

  it('uses the proper terms: 摄像机, 抓图, 码流, 录像, 时钟同步, 存储期限', () => {
    const zh = (code: string) => renderDiagnose(code, SAMPLE, 'zh-CN')!;
    expect(zh('onvif.unreachable').detail).toContain('摄像机');
    expect(zh('snapshot.fetchFailed').detail).toContain('抓图');
    expect(zh('stream.error').detail).toContain('码流');
    expect(zh('recording.none').detail).toContain('录像');
    expect(zh('time.unsynced').advice).toContain('时钟同步');
    expect(zh('forecast.belowFloor').detail).toContain('存储期限');
    expect(zh('snapshot.fault').detail).toContain('模糊、过暗');
    expect(zh('snapshot.fault').advice).toContain('清洁镜头并重新对焦');
  });

  it('said(): the JSON keeps the English detail and advice, plus code and params; checkText renders the reader\'s language', () => {
    const c = said('camera gate: onvif', 'fail', 'onvif.wrongPassword', { id: 'gate', user: 'admin', index: 2 });
    expect(c).toEqual({
      name: 'camera gate: onvif',
      status: 'fail',
      detail: 'wrong password for gate (user admin refused)',
      advice: 'wrong password for gate: update cameras[2].onvif.password (or .username)',
      code: 'onvif.wrongPassword',
      params: { id: 'gate', user: 'admin', index: 2 },
    });
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    expect(checkText(c, 'en')).toEqual({ detail: c.detail, advice: c.advice });
    expect(checkText(c, 'zh-CN')).toEqual({ detail: '摄像机 gate 的密码错误（用户 admin 被拒绝）', advice: '摄像机 gate 的密码错误：更新 cameras[2].onvif.password（或 .username）' });
    // A pass carries no advice in either language.
    const ok = said('platform key p1', 'pass', 'keys.ok', { file: '/k.pem' });
    expect(ok.advice).toBeUndefined();
    expect(checkText(ok, 'zh-CN').advice).toBeUndefined();
    // A check without a code (an older record, a fake probe) or with an unknown one shows as stored.
    expect(checkText({ status: 'pass', detail: 'fake' }, 'zh-CN')).toEqual({ detail: 'fake', advice: undefined });
    expect(checkText({ status: 'warn', detail: 'x', advice: 'y', code: 'no.such.code' }, 'zh-CN')).toEqual({ detail: 'x', advice: 'y' });
  });

  it('the English is what the checks said before the catalog (spot checks across modules)', async () => {
    expect(timeSyncCheck({ source: 'chrony', synced: true, offsetMs: 1520, server: '10.0.0.1' })).toMatchObject({
      status: 'warn',
      detail: 'synchronised (chrony) but offset 1.520 s, server 10.0.0.1',
      advice: 'the clock is still converging; if it stays off, check the NTP server',
    });
    expect(timeSyncCheck({ source: 'timedatectl', synced: false, offsetMs: null })).toMatchObject({ detail: 'not synchronised (timedatectl)' });
    const config = testAgentConfig(makeTempDir().dir, 'mqtt://127.0.0.1:1', 'cat-site', {});
    expect(platformKeyChecks({ ...config, security: { ...config.security, requireSignedCommands: true, platformKeys: [] } })).toEqual([
      {
        name: 'platform keys',
        status: 'fail',
        detail: 'signed commands are required but no platform key is configured: every request is refused',
        advice: "add the platform's Ed25519 public key under security.platformKeys",
        code: 'keys.requiredMissing',
      },
    ]);
    const [timeout] = await runTask({ name: 'broker', deadlineMs: 20, run: () => new Promise<Check[]>(() => {}) });
    expect(timeout).toMatchObject({ detail: 'did not finish within 0 s', code: 'task.timeout', params: { seconds: 0 } });
    expect(checkText(timeout!, 'zh-CN').detail).toBe('未在 0 秒内完成');
  });
});

describe('the console diagnostics page', () => {
  let tmp: { dir: string; remove: () => void };
  let db: Database;
  let services: ConsoleServices;
  const report: DiagnoseReport = {
    checks: [
      said('config', 'pass', 'config.ok', { source: 'agent.yaml', site: 'plaza', profile: 'liaoning-2008', cameras: 1 }),
      said('camera gate: snapshot', 'fail', 'snapshot.fault', { id: 'gate', judgedAgainst: 'defaults', mode: 'day', hasTracker: false, size: '1280x720', faults: ['blur'] }),
      { name: 'host: load', status: 'pass', detail: 'fake' },
    ],
  };

  beforeEach(() => {
    tmp = makeTempDir('cea-i18n-diag-');
    const config = testAgentConfig(tmp.dir, 'mqtt://127.0.0.1:1', 'plaza', {});
    db = openStore(config.database, { migrations, now: () => new Date() }).db;
    services = {
      config,
      db,
      now: () => new Date(),
      diagnose: async (requester: string) => {
        recordInspection(db, { report, startedMs: Date.now(), finishedMs: Date.now() + 1, source: 'console', requester });
        return report;
      },
    } as unknown as ConsoleServices;
  });
  afterEach(() => {
    db.close();
    tmp.remove();
  });

  const request = (lang: Language, method: 'GET' | 'POST' = 'POST'): PageRequest => ({
    method,
    path: method === 'POST' ? '/diagnostics/run' : '/diagnostics',
    params: {},
    query: new URLSearchParams(),
    form: new URLSearchParams(),
    user: { name: 'op', role: 'operator', language: lang },
    lang,
    csrfToken: randomUUID(),
    services,
  });

  it('shows the checks and the history in the reader\'s language', async () => {
    const zh = await runDiagnoseAction(request('zh-CN'));
    if (zh.kind !== 'html') throw new Error(zh.kind);
    expect(zh.html).toContain('1280x720 JPEG：图像清晰度故障 模糊；按默认阈值判定（尚无学习基线）');
    expect(zh.html).toContain('gate：清洁镜头并重新对焦（检查是否有凝露或蛛网）');
    expect(zh.html).toContain('agent.yaml：场所 plaza，适用规定 liaoning-2008，摄像机 1 台');
    expect(zh.html).not.toContain('clarity fault blur');
    expect(zh.html).toContain('fake'); // no code: as the probe said it
    const en = await runDiagnoseAction(request('en'));
    if (en.kind !== 'html') throw new Error(en.kind);
    expect(en.html).toContain('1280x720 JPEG: clarity fault blur; judged against the default thresholds (no learned baseline yet)');
    expect(en.html).not.toContain('图像清晰度故障');
    // The history keeps code + params of its failing checks: also in the reader's language.
    const history = diagnosticsPage(request('zh-CN', 'GET'));
    if (history.kind !== 'html') throw new Error(history.kind);
    expect(history.html.split('图像清晰度故障 模糊').length - 1).toBe(2); // two runs recorded
  });
});

describe('the retention alarm catalog', () => {
  const POLICY: RetentionPolicy = { floorDays: 15, profileFloorDays: 15, ceilingDays: 30, deleteAbovePercent: 90, deleteDownToPercent: 85, stopAbovePercent: 97 };
  const NOW = Date.parse('2026-03-31T00:00:00Z');
  const HOUR = 3_600_000;
  function recording(cameras: string[], fromMs: number, toMs: number, bytes = 100): SegmentFact[] {
    const out: SegmentFact[] = [];
    let id = 1;
    for (let t = fromMs; t + HOUR <= toMs; t += HOUR) for (const cameraId of cameras) out.push({ id: id++, cameraId, path: `${cameraId}/${t}.mp4`, startMs: t, endMs: t + HOUR, bytes, sha256: null, indexedMs: t + HOUR + 500 });
    return out;
  }
  const young = recording(['a', 'b'], NOW - 10 * DAY_MS, NOW);
  const total = young.length * 100;
  const cameras = [{ id: 'a', priority: 5 }, { id: 'b', priority: 0 }];
  const plan = (over: Partial<Parameters<typeof planRetention>[0]>) => planRetention({ segments: young, holds: [], policy: POLICY, disk: [], wallMs: NOW, ...over });
  // Recorded on after the clock went back 25 days: later ids, earlier times.
  const setBack = recording(['a'], NOW - 2 * DAY_MS, NOW).map((s, i) => ({
    ...s,
    id: 10_000 + i,
    path: `a/late-${i}.mp4`,
    startMs: s.startMs - 25 * DAY_MS,
    endMs: s.endMs - 25 * DAY_MS,
    indexedMs: s.indexedMs - 25 * DAY_MS,
  }));

  const alarms = [
    ...plan({ disk: [{ name: 'quota', capacityBytes: Math.round(total / 0.99), usedBytes: total }], cameras }).alarms,
    ...plan({ disk: [{ name: 'quota', capacityBytes: Math.round(total / 0.5), usedBytes: total * 3 }], cameras }).alarms,
    ...plan({ wallMs: NOW - 20 * DAY_MS }).alarms,
    ...plan({ wallMs: NOW + 20 * DAY_MS }).alarms,
    ...planRetention({ segments: [...young, ...setBack], holds: [], policy: POLICY, disk: [], wallMs: NOW - 25 * DAY_MS }).alarms,
    // Above the stop watermark while below the deletion one (a defensive case): only protected left.
    ...plan({ policy: { ...POLICY, deleteAbovePercent: 99, deleteDownToPercent: 98, stopAbovePercent: 90 }, disk: [{ name: 'quota', capacityBytes: Math.round(total / 0.95), usedBytes: total }], cameras }).alarms,
    forecastAlarm({ ok: false, daysRetainable: 12, floorDays: 15, marginDays: 7, bytesPerDay: 5 * 2 ** 30, usableBytes: 60 * 2 ** 30, daysUntilAtRisk: 3, cameras: {} } as unknown as Parameters<typeof forecastAlarm>[0])!,
    ...reconcileAlarms({ adopted: [], missing: [], restored: 0, ignored: [], scanned: 0, problem: 'storage root /srv/rec does not exist (not mounted?)', problemCode: { code: 'reconcile.rootMissing', params: { root: '/srv/rec' } } }),
    ...reconcileAlarms({
      adopted: [],
      missing: [{ id: 1, cameraId: 'a', path: 'a/1.mp4', startMs: NOW - HOUR, endMs: NOW, bytes: 5 }] as never,
      restored: 0,
      ignored: [],
      scanned: 3,
      problem: null,
    }),
  ];

  it('the scenarios raise every kind of alarm, each with a code', () => {
    const codes = new Set(alarms.map((a) => a.code));
    expect([...codes].sort()).toEqual(['clock.ahead', 'clock.backSteps', 'clock.behind', 'floor.protectedOnly', 'floor.short', 'forecast.short', 'missing.segments', 'reconcile.rootMissing']);
  });

  it('the catalog\'s English is the policy\'s detail, word for word; Chinese renders with recording times in the site zone', () => {
    for (const a of alarms) {
      expect(alarmTextEn(a.code as RetentionAlarmCode, a.params as never), a.code).toBe(a.detail);
      expect(alarmText(a, 'en', 'Asia/Shanghai')).toBe(a.detail);
      const zh = alarmText(a, 'zh-CN', 'Asia/Shanghai');
      expect(zh, a.code).toMatch(CJK);
      expect(zh, a.code).not.toMatch(BROKEN);
    }
    const missing = alarms.find((a) => a.code === 'missing.segments')!;
    expect(alarmText(missing, 'zh-CN', 'Asia/Shanghai')).toBe('摄像机 a 有 1 段已索引的录像不在磁盘上（2026-03-31 07:00:00 – 2026-03-31 08:00:00）');
    expect(alarmText(alarms.find((a) => a.code === 'forecast.short')!, 'zh-CN')).toContain('少于 15 天存储期限 + 7 天余量；约 3 天后存储期限将无法保证');
    // Without a code (an older record) the English detail stands.
    expect(alarmText({ detail: 'as stored' }, 'zh-CN')).toBe('as stored');
  });

  it('every code has both languages', () => {
    for (const [code, e] of Object.entries(retentionAlarmTexts)) {
      expect(e['zh-CN'], code).toBeDefined();
      expect(e.en, code).toBeDefined();
    }
  });
});
