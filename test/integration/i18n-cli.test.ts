import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { main } from '../../scripts/cea.js';
import { captureIo } from '../helpers/capture-io.js';
import { REPO_ROOT, spawnCea } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// The CLI's human output in Simplified Chinese and English: the top-level help, deadline,
// validate-config, hold, retention, score and discover; --json identical in both. A
// config's default language is the profile's (zh-CN); without a config it is English.

let tmp: { dir: string; remove: () => void };
let dir: string;
beforeEach(() => {
  tmp = makeTempDir('cea-i18n-cli-');
  dir = tmp.dir;
});
afterEach(() => tmp.remove());

async function cea(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = dir) {
  const cap = captureIo(cwd, env);
  const code = await main(argv, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

function writeConfig(extra = ''): string {
  mkdirSync(join(dir, 'recordings'), { recursive: true });
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    `site: { id: site-8, name: 示例站点 }
profile: liaoning-2008
mqtt: { url: "mqtt://127.0.0.1:1" }
database: ${join(dir, 'agent.db')}
storage: { root: ${join(dir, 'recordings')} }
cameras:
  - id: gate
    onvif: { url: "http://192.0.2.1/onvif/device_service" }
    location: { kind: street, description: 北门 }
${extra}`,
  );
  return file;
}

describe('help', () => {
  test('English without a config or CEA_LANG; Chinese with --lang or CEA_LANG, every command summarised in Chinese', async () => {
    const en = await cea(['help'], {});
    expect(en.code).toBe(0);
    expect(en.stdout).toMatch(/^usage: cea <command> \[options\]/);
    const zh = await cea(['--lang', 'zh-CN', 'help'], {});
    expect(zh.stdout).toMatch(/^用法：cea <命令> \[选项\]/);
    expect(zh.stdout).toContain('备案材料：ONVIF 读取的设备信息');
    expect(zh.stdout).toContain('变更后第 N 个工作日（默认 3：辽宁办法第十二条变更报告时限）');
    expect(zh.stdout).not.toContain('the filing dossier');
    expect((await cea(['help'], { CEA_LANG: 'zh' })).stdout).toBe(zh.stdout);
    const unknown = await cea(['--lang', 'zh-CN', 'frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^cea：未知命令“frobnicate”/);
    const usage = await cea(['deadline', '--lang', 'zh-CN'], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('用法：cea deadline DATETIME');
  });
});

describe('usage errors', () => {
  test('in Chinese with --lang, or when the config the command would read is Chinese; English otherwise', async () => {
    const bad = await cea(['deadline', '2026-02-30T10:00:00Z', '--lang', 'zh-CN'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('cea deadline：“2026-02-30T10:00:00Z”不是有效的日期时间\n用法：cea deadline DATETIME [--working-days N] [--timezone TZ] [--calendar FILE] [--json] [--lang zh-CN|en]\n');
    const file = writeConfig();
    const hold = await cea(['hold', 'add', '--config', file, '--kind', 'legal'], {});
    expect(hold.code).toBe(2);
    expect(hold.stderr).toMatch(/(^|\n)cea hold：必须给出 --camera\n用法：/);
    const en = await cea(['hold', 'add', '--config', file, '--kind', 'legal'], { CEA_LANG: 'en' });
    expect(en.stderr).toMatch(/(^|\n)cea hold: --camera is required\nusage: /);
    // Help in a directory holding config/agent.yaml speaks that config's language.
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'agent.yaml'), readFileSync(file));
    expect((await cea(['help'], {})).stdout).toMatch(/^用法：cea <命令>/);
  });
});

describe('deadline (no config: English unless asked)', () => {
  test('Chinese line names only the Chinese holiday; JSON identical in both languages', async () => {
    const zh = await cea(['deadline', '2025-09-30', '--working-days', '2', '--lang', 'zh-CN'], {});
    expect(zh.stdout).toBe('报告期限 2025-10-10：2025-09-30 之后第 2 个工作日（Asia/Shanghai）；跳过 2025-10-01 至 2025-10-08（国庆节、中秋节）\n');
    const en = await cea(['deadline', '2025-09-30', '--working-days', '2'], {});
    expect(en.stdout).toMatch(/^deadline 2025-10-10: 2 working days after 2025-09-30/);
    const a = await cea(['deadline', '2026-02-13T17:30:00Z', '--json', '--lang', 'zh-CN'], {});
    const b = await cea(['deadline', '2026-02-13T17:30:00Z', '--json'], { CEA_LANG: 'en' });
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout)).toMatchObject({ deadline: '2026-02-26' });
  });
});

describe('validate-config', () => {
  test('a valid Chinese-profile file is reported in Chinese by default; an invalid one (no language known) in English', async () => {
    const file = writeConfig();
    const ok = await cea(['validate-config', file], {});
    expect(ok.code).toBe(0);
    // Warnings (if any) come first, each with the Chinese prefix; the verdict is the last line.
    expect(ok.stdout).toMatch(new RegExp(`(^|\n)${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}：有效（0 处错误，\\d+ 条警告）\n$`));
    for (const line of ok.stdout.trimEnd().split('\n').slice(0, -1)) expect(line).toMatch(/ 警告：/);
    writeFileSync(join(dir, 'bad.yaml'), 'site: {}\n');
    const bad = await cea(['validate-config', 'bad.yaml'], {});
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/bad\.yaml: invalid \(\d+ error\(s\), 0 warning\(s\)\)\n$/);
    expect((await cea(['validate-config', 'bad.yaml', '--lang', 'zh-CN'], {})).stdout).toMatch(/bad\.yaml：无效（\d+ 处错误，0 条警告）\n$/);
    const json = [await cea(['validate-config', file, '--json'], {}), await cea(['validate-config', file, '--json', '--lang', 'en'], {})];
    expect(json[0]?.stdout).toBe(json[1]?.stdout);
  });

  test('through the built CLI with CEA_LANG unset and a config that names no language: Chinese', async () => {
    const file = writeConfig();
    const p = spawnCea(['validate-config', file], { env: { CEA_LANG: undefined } });
    expect((await p.exited).code, p.stderr()).toBe(0);
    expect(p.stdout()).toContain('：有效（');
    const en = spawnCea(['validate-config', file]); // vitest.config.ts sets CEA_LANG=en
    expect((await en.exited).code).toBe(0);
    expect(en.stdout()).toContain(': valid (');
  });
});

describe('hold and retention', () => {
  test('hold add/list print site-zone times and Chinese words; JSON unchanged; config language en honoured', async () => {
    const file = writeConfig();
    const now = '2026-03-10T02:00:00Z';
    const add = await cea(['hold', 'add', '--config', file, '--camera', 'gate', '--from', '2026-03-01', '--to', '2026-03-01', '--kind', 'legal', '--reason', '案件 118', '--now', now], {});
    expect(add.code, add.stderr).toBe(0);
    // The whole site day 2026-03-01 in Asia/Shanghai, shown in that zone (UTC would say 02-28 16:00).
    expect(add.stdout).toMatch(/^已保全 \S+：gate 2026-03-01 00:00 – 2026-03-02 00:00 \(法律保全\) \[Asia\/Shanghai\]\n$/);
    const list = await cea(['hold', 'list', '--config', file, '--now', now], {});
    expect(list.stdout.split('\n')[0]).toMatch(/^编号\s+摄像机\s+起\s+止\s+类别\s+状态\s+事由（登记人）$/);
    expect(list.stdout).toContain('直至解除');
    const jsonZh = await cea(['hold', 'list', '--config', file, '--now', now, '--json'], {});
    const jsonEn = await cea(['hold', 'list', '--config', file, '--now', now, '--json', '--lang', 'en'], {});
    expect(jsonZh.stdout).toBe(jsonEn.stdout);
    expect(jsonZh.stdout).toContain('"from": "2026-02-28T16:00:00.000Z"');

    const enFile = writeConfig('language: en\n');
    expect((await cea(['hold', 'list', '--config', enFile, '--now', now], {})).stdout).toContain('until released');
  });

  test('retention plan in Chinese; --json the same in both languages', async () => {
    const file = writeConfig();
    const now = '2026-03-10T02:00:00Z';
    const zh = await cea(['retention', 'plan', '--config', file, '--now', now], {});
    expect(zh.stdout).toMatch(/^将删除：0 个录像片段，/);
    expect(zh.stdout).toContain('保留：0 个在存储期限内，0 个被保全，0 个其他');
    expect(zh.stdout).toMatch(/容量预测：未知（近期无录像）（存储期限 15 天 \+ 余量 \d+ 天）：/);
    const en = await cea(['retention', 'plan', '--config', file, '--now', now, '--lang', 'en'], {});
    expect(en.stdout).toMatch(/^would delete: 0 segment\(s\), /);
    const a = await cea(['retention', 'plan', '--config', file, '--now', now, '--json'], {});
    const b = await cea(['retention', 'plan', '--config', file, '--now', now, '--json'], { CEA_LANG: 'en' });
    // The shared disk's free space moves between two runs; everything else must be identical.
    const steady = (text: string) => JSON.stringify(JSON.parse(text), (k, v: unknown) => (/Bytes$/.test(k) && typeof v === 'number' ? 0 : v));
    expect(steady(a.stdout)).toBe(steady(b.stdout));
    expect(a.stdout).not.toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('score and discover', () => {
  test('score: Chinese headers and summary; fault codes stay codes', async () => {
    const img = join(REPO_ROOT, 'test', 'fixtures', 'clarity', 'arcade__ok.jpg');
    const zh = await cea(['score', img, '--lang', 'zh-CN'], {});
    expect(zh.code).toBe(0);
    expect(zh.stdout.split('\n')[0]).toMatch(/^文件\s+尺寸\s+故障\s+清晰度\s+亮度\s+动态范围\s+噪声\s+耗时\(毫秒\)$/);
    expect(zh.stdout).toContain('正常');
    expect(zh.stdout).toMatch(/共 1 张图像，0 张有故障\n$/);
  });

  test('discover with nothing answering: the Chinese sentence, exit 1', async () => {
    const r = await cea(['discover', '--target', '127.0.0.1:9', '--port', '9', '--timeout', '0.5', '--lang', 'zh-CN'], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^0\.5 秒内 .* 上没有 ONVIF 设备应答。\n$/);
  });
});
