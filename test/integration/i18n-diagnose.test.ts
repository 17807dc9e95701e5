// `cea diagnose` in the site's language, through the built CLI as a technician runs it:
// with CEA_LANG removed from the child's environment the config's language (zh-CN, the
// liaoning-2008 profile's default) chooses Chinese check texts, advice, summary, report
// and inspection history; --json is the machine contract and says the same in every
// language (English detail/advice plus code + params). Real ONVIF simulator cameras, a
// real MQTT broker, a real SQLite database, the real host probes.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../agent/diagnose/checks.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { simulatedCameraEntry, testConfigObject } from '../helpers/agent-config.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

const CJK = /[\u4e00-\u9fff]/;

let tmp: { dir: string; remove: () => void };
let fleet: Fleet;
let broker: TestBroker;
let configFile = '';

/** The child's environment without CEA_LANG (vitest sets it to en for every test). */
function envWithout(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, USER: 'tech-li' };
  delete env.CEA_LANG;
  delete env.LANG; // the CLI does not read LANG, but a box's locale must not be what makes this pass
  return { ...env, ...extra };
}

/** Runs the built CLI with exactly `env` (spawnCea would merge process.env, CEA_LANG included). */
function cea(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'cea.js'), ...args], { cwd: tmp.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  tmp = makeTempDir('cea-i18n-diagnose-');
  mkdirSync(join(tmp.dir, 'recordings'));
  fleet = await startFleet([{ id: 'healthy' }, { id: 'wrongpw' }, { id: 'blurred', condition: 'blur' }], { discovery: false });
  broker = await startTestBroker();
  configFile = join(tmp.dir, 'agent.yaml');
  writeFileSync(
    configFile,
    // No `language`: the profile (liaoning-2008) makes it zh-CN.
    JSON.stringify(
      testConfigObject(tmp.dir, broker.url, 'plaza', {
        site: { id: 'plaza', name: 'Plaza', timezone: 'Asia/Shanghai' },
        cameras: [
          simulatedCameraEntry(fleet.camera('healthy'), { record: true }),
          simulatedCameraEntry(fleet.camera('wrongpw'), { password: 'not-the-password' }),
          simulatedCameraEntry(fleet.camera('blurred')),
        ],
      }),
    ),
  );
  const { db } = openStore(join(tmp.dir, 'agent.db'), { migrations, now: () => new Date() });
  const now = Date.now();
  db.prepare('INSERT INTO segments (camera_id, path, start_ms, end_ms, bytes, indexed_ms) VALUES (?, ?, ?, ?, ?, ?)').run('healthy', 'healthy/x/00-00-00.mp4', now - 120_000, now - 60_000, 1_000_000, now);
  db.close();
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await broker?.close();
  tmp?.remove();
});

describe('cea diagnose in the site language (built CLI, CEA_LANG unset)', () => {
  it('prints Chinese check texts, advice and summary; the report and the history are Chinese too', async () => {
    const r = await cea(['diagnose', '--config', configFile, '--report', 'reports'], envWithout());
    expect(r.code, r.stderr).toBe(1); // wrongpw and blurred fail
    const out = r.stdout;
    // The machine names stay; the texts are the catalog's Chinese.
    expect(out).toMatch(/^✘ camera wrongpw: onvif: 摄像机 wrongpw 的密码错误（用户 \S+ 被拒绝）$/m);
    expect(out).toMatch(/^ {4}→ 摄像机 wrongpw 的密码错误：更新 cameras\[1\]\.onvif\.password（或 \.username）$/m);
    expect(out).toMatch(/^✘ camera blurred: snapshot: \d+x\d+ JPEG：图像清晰度故障 .*模糊.*；按默认阈值判定（尚无学习基线）$/m);
    expect(out).toMatch(/^ {4}→ blurred：清洁镜头并重新对焦/m);
    expect(out).toMatch(/^✔ camera healthy: onvif: \S+ 可连接，认证通过；/m);
    expect(out).toMatch(/^✔ camera healthy: recording: 最近一段录像结束于 \d+ 秒前（\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}）$/m);
    expect(out).toMatch(/^! platform keys: 未配置平台公钥：接受未签名的请求$/m);
    expect(out).toMatch(/^✔ broker: mqtt:\/\/127\.0\.0\.1:\d+（MQTT 3\.1\.1）：\d+ 毫秒内连接成功/m);
    expect(out).toMatch(/^✔ database: .*完整性检查（quick_check）通过/m);
    expect(out).toMatch(/^共 \d+ 项检查：通过 \d+ 项，警告 \d+ 项，失败 \d+ 项$/m);
    expect(out).toMatch(/^报告：/m);
    // None of the English renderings leaks into the human output.
    for (const en of ['wrong password for', 'clarity fault', 'reachable at', 'no platform key configured', ' checks: ', 'report: ']) expect(out).not.toContain(en);
    // Every check line is Chinese, and so is every advice line.
    const lines = out.split('\n').filter((l) => /^[✔!✘] /.test(l));
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) expect(l.slice(l.indexOf(': ') + 2)).toMatch(CJK);
    for (const l of out.split('\n').filter((x) => x.startsWith('    → '))) expect(l).toMatch(CJK);

    // The report renders the checks in its language (and no longer says they stay English).
    const [dir] = readdirSync(join(tmp.dir, 'reports'));
    const md = readFileSync(join(tmp.dir, 'reports', dir!, 'report.md'), 'utf8');
    expect(md).toMatch(/\| camera wrongpw: onvif \| 失败 \| 摄像机 wrongpw 的密码错误/);
    expect(md).not.toContain('保留英文原文');
    expect(md).not.toContain('wrong password for');
    const html = readFileSync(join(tmp.dir, 'reports', dir!, 'report.html'), 'utf8');
    expect(html).toContain('图像清晰度故障');
    // report.json is the machine record: English detail, code and params, like --json.
    const doc = JSON.parse(readFileSync(join(tmp.dir, 'reports', dir!, 'report.json'), 'utf8')) as { checks: Check[] };
    expect(doc.checks.find((c) => c.name === 'camera wrongpw: onvif')).toMatchObject({ code: 'onvif.wrongPassword', detail: expect.stringMatching(/^wrong password for wrongpw/) });

    // The inspection history in the same language, times in the site's zone.
    const h = await cea(['inspections', '--config', configFile], envWithout());
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/^时间（Asia\/Shanghai）\s+来源\s+执行人\s+摄像机\s+结果\s+通过\/警告\/失败\s+报告$/m);
    expect(h.stdout).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+命令行\s+cli:tech-li\s+全部\s+失败\s+\d+\/\d+\/\d+/m);
    // CEA_LANG=en gives the English table back.
    const hEn = await cea(['inspections', '--config', configFile], envWithout({ CEA_LANG: 'en' }));
    expect(hEn.stdout).toMatch(/^time \(Asia\/Shanghai\)\s+source\s+requester/m);
  }, 120_000);

  it('--json is the same document in both languages: English detail and advice, plus code and params', async () => {
    const zh = await cea(['diagnose', '--config', configFile, '--json'], envWithout());
    const en = await cea(['diagnose', '--config', configFile, '--json'], envWithout({ CEA_LANG: 'en' }));
    const flag = await cea(['diagnose', '--config', configFile, '--json', '--lang', 'zh-CN'], envWithout({ CEA_LANG: 'en' }));
    const docs = [zh, en, flag].map((r) => {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).not.toMatch(CJK); // not a Chinese character anywhere in the machine document
      return JSON.parse(r.stdout) as { checks: Check[] };
    });
    const [a, b, c] = docs as [{ checks: Check[] }, { checks: Check[] }, { checks: Check[] }];
    // Same checks, statuses and codes in the same order.
    const shape = (d: { checks: Check[] }) => d.checks.map((k) => [k.name, k.status, k.code]);
    expect(shape(b)).toEqual(shape(a));
    expect(shape(c)).toEqual(shape(a));
    // Every check carries a code; the texts come from it.
    for (const k of a.checks) expect(k.code, k.name).toMatch(/^[a-z]+(\.[A-Za-z]+)+$/);
    // Checks whose facts do not move between runs are identical, texts and params included;
    // the others (times, load, free space, round trips) agree on everything but their figures.
    const stable = /^(config|database|storage: writable|platform keys|camera \S+: (onvif|stream))$/;
    const stableChecks = a.checks.filter((k) => stable.test(k.name));
    expect(stableChecks.length).toBeGreaterThanOrEqual(8);
    for (const k of stableChecks) {
      expect(b.checks.find((x) => x.name === k.name), k.name).toEqual(k);
      expect(c.checks.find((x) => x.name === k.name), k.name).toEqual(k);
    }
    expect(a.checks.find((k) => k.name === 'camera wrongpw: onvif')).toMatchObject({
      detail: expect.stringMatching(/^wrong password for wrongpw \(user \S+ refused\)$/),
      advice: 'wrong password for wrongpw: update cameras[1].onvif.password (or .username)',
      code: 'onvif.wrongPassword',
      params: { id: 'wrongpw', index: 1 },
    });
  }, 120_000);

  it('cea retention: alarm details in the site language; --json keeps the English detail', async () => {
    // A storage root that is not there (an unmounted disk): reconcile cannot be trusted.
    const root = join(tmp.dir, 'unmounted', 'recordings');
    const file = join(tmp.dir, 'unmounted.yaml');
    const doc = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...doc, storage: { root }, database: join(tmp.dir, 'unmounted.db') }));
    const zh = await cea(['retention', 'plan', '--config', file], envWithout());
    expect(zh.stdout).toContain(`recording.missing：录像存储目录 ${root} 不存在（磁盘未挂载？）`);
    expect(zh.stdout).not.toContain('does not exist (not mounted?)');
    const en = await cea(['retention', 'plan', '--config', file], envWithout({ CEA_LANG: 'en' }));
    expect(en.stdout).toContain(`recording.missing: storage root ${root} does not exist (not mounted?)`);
    const json = await cea(['retention', 'plan', '--config', file, '--json'], envWithout());
    const plan = JSON.parse(json.stdout) as { alarms: { type: string; detail: string }[] };
    expect(plan.alarms).toContainEqual({ type: 'recording.missing', severity: 'critical', detail: `storage root ${root} does not exist (not mounted?)` });
    expect(json.stdout).not.toMatch(CJK);
  }, 60_000);
});
