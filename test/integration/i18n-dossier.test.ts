import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InventoryStore } from '../../agent/inventory/store.js';
import type { InventoryRecord } from '../../agent/inventory/policy.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { main } from '../../scripts/cea.js';
import { captureIo } from '../helpers/capture-io.js';
import { chromiumForSuite, pdfPageSizes } from '../helpers/chromium.js';
import { spawnCea } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// The filing dossier in Simplified Chinese (the default of both shipped profiles) and
// English: the articles it serves, dates in the site's zone, the JSON untouched by the
// language, and an HTML page that really lays out on A4 in a real Chromium.

const NOW = '2024-06-05T02:00:00Z';
let tmp: { dir: string; remove: () => void };
let dir: string;

beforeEach(() => {
  tmp = makeTempDir('cea-i18n-dossier-');
  dir = tmp.dir;
});
afterEach(() => tmp.remove());

function writeSite(profile: 'datong' | 'liaoning-2008', extra = ''): string {
  mkdirSync(join(dir, 'filing'), { recursive: true });
  writeFileSync(join(dir, 'filing', 'design.pdf'), '%PDF-1.4 design\n');
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    `site: { id: site-7, name: 示例广场 }
profile: ${profile}
mqtt: { url: "mqtt://127.0.0.1:1883" }
security: { requireSignedCommands: false }
database: ${join(dir, 'agent.db')}
cameras:
  - id: gate
    name: 北门
    onvif: { url: "http://192.0.2.10/onvif/device_service" }
    location: { kind: street, description: "北门，朝向马路" }
filing:
  acceptedOn: 2024-05-20
  authority: 示例区公安分局
  operator: 示例物业管理有限公司
  documents:
    - { kind: design_scheme, path: filing/design.pdf, title: 设计方案 }
    - { kind: contract, path: filing/contract.pdf }
${extra}`,
  );
  return file;
}

const record: InventoryRecord = {
  identity: { manufacturer: 'Hikvision', model: 'DS-2CD2T47G2-L', firmware: 'V5.7.3 build 220112', serial: 'DS-2CD2T47G2-L20220112AACHJ12345678', hardwareId: '88' },
  hostname: null,
  network: [],
  scopes: [],
  profiles: [
    {
      token: 'Profile_1',
      name: 'mainStream',
      videoSourceToken: 'vs0',
      encoder: { encoding: 'H265', width: 2688, height: 1520, fps: 25, bitrate: 4096, gop: 50, quality: null, profile: null },
      streamUri: 'rtsp://192.0.2.10/main',
      snapshotUri: null,
    },
  ],
  imaging: {},
};

function seed(): void {
  const { db } = openStore(join(dir, 'agent.db'), { migrations, now: () => new Date(NOW) });
  const inv = new InventoryStore(db);
  const id = inv.addSnapshot('gate', '2024-05-21T01:00:00.000Z', 'h', record);
  inv.saveCameraState({
    cameraId: 'gate',
    urn: 'urn:uuid:gate',
    presence: { online: true, consecutiveFailures: 0, authFailed: false },
    since: '2024-05-20T01:00:00.000Z',
    // 2024-06-04 23:30 UTC = 2024-06-05 07:30 in Asia/Shanghai: the site's date differs from UTC's.
    lastSeen: '2024-06-04T23:30:00.000Z',
    lastErrorCode: null,
    lastError: null,
    timeOffsetMs: 0,
    snapshotId: id,
  });
  db.close();
}

async function cea(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const cap = captureIo(dir, env);
  const code = await main(argv, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

describe('dossier language', () => {
  test('default (no CEA_LANG, no --lang, config silent): Simplified Chinese naming Datong Art. 15, times in the site zone', async () => {
    const file = writeSite('datong');
    seed();
    const r = await cea(['dossier', '--config', file, '--now', NOW], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^# 公共安全视频图像信息系统备案材料：示例广场（site-7）\n/);
    expect(r.stdout).toContain('备案依据：《大同市公共安全视频图像信息系统管理办法》第十五条');
    expect(r.stdout).toContain('| 备案期限 | 自竣工验收之日（2024-05-20）起 30 日内 |');
    expect(r.stdout).toContain('| 状态 | **距截止日期尚余 14 日** |');
    expect(r.stdout).toContain('| 生成时间 | 2024-06-05 10:00（Asia/Shanghai） |');
    expect(r.stdout).toContain('| gate | 北门 | 道路：北门，朝向马路 | — | Hikvision | DS-2CD2T47G2-L | V5.7.3 build 220112 | DS-2CD2T47G2-L20220112AACHJ12345678 | 2024-06-05 07:30 |');
    expect(r.stdout).toContain(`| 合同 | contract.pdf | ${join(dir, 'filing', 'contract.pdf')} | **缺失**：文件不存在 | — | — |`);
    expect(r.stdout).toContain('## 备案材料不全：缺 2 项');
    expect(r.stdout).toContain('filing.documents 中未列出“验收文件”');
    expect(r.stdout).not.toMatch(/Filing dossier|MISSING|Equipment|does not exist/);
    expect(r.stderr).toContain('cea dossier：备案材料不全，缺 2 项：');
  });

  test('Liaoning names Art. 12 (filing) and Art. 14 (vii) (retention); --lang en switches to English with the same articles', async () => {
    const file = writeSite('liaoning-2008');
    const zh = await cea(['dossier', '--config', file, '--now', NOW], {});
    expect(zh.stdout).toContain('备案依据：《辽宁省公共安全视频图像信息系统管理办法》第十二条');
    expect(zh.stdout).toContain('| 法定最短存储期限（辽宁办法第十四条第（七）项） | 15 |');
    const en = await cea(['dossier', '--lang', 'en', '--config', file, '--now', NOW], {});
    expect(en.stdout).toMatch(/^# Filing dossier: 示例广场 \(site-7\)\n/);
    expect(en.stdout).toContain('Filed under Liaoning Province measures, Art. 12');
    expect(en.stdout).toContain('| Legal floor (Liaoning Art. 14 (vii)) | 15 |');
    expect(en.stdout).not.toMatch(/备案依据|存储期限/);
  });

  test('precedence: --lang over CEA_LANG over the config language; a bad --lang is a usage error', async () => {
    const file = writeSite('datong', 'language: en\n');
    expect((await cea(['dossier', '--config', file, '--now', NOW], {})).stdout).toMatch(/^# Filing dossier/);
    expect((await cea(['dossier', '--config', file, '--now', NOW], { CEA_LANG: 'zh_CN.UTF-8' })).stdout).toMatch(/^# 公共安全视频图像信息系统备案材料/);
    expect((await cea(['dossier', '--config', file, '--now', NOW, '--lang=zh-CN'], { CEA_LANG: 'en' })).stdout).toMatch(/^# 公共安全视频图像信息系统备案材料/);
    const bad = await cea(['dossier', '--config', file, '--lang', 'fr'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--lang must be zh-CN or en');
  });

  test('--json is the same document whatever the language', async () => {
    const file = writeSite('datong');
    seed();
    const zh = await cea(['dossier', '--config', file, '--json', '--now', NOW], {});
    const en = await cea(['dossier', '--config', file, '--json', '--now', NOW, '--lang', 'en'], {});
    expect(zh.code).toBe(1);
    expect(zh.stdout).toBe(en.stdout);
    const doc = JSON.parse(zh.stdout) as { generatedAt: string; equipment: { lastSeen: string }[]; missing: { detail: string }[] };
    // Instants stay ISO in the JSON; only the human texts use the site zone.
    expect(doc.equipment[0]?.lastSeen).toBe('2024-06-04T23:30:00.000Z');
    expect(doc.missing.map((m) => m.detail)).toContain('no acceptance_report document is listed in filing.documents');
  });

  test('through the built CLI with CEA_LANG removed from the environment: Chinese by default', async () => {
    const file = writeSite('liaoning-2008');
    // spawnCea merges this into process.env (which has CEA_LANG=en from vitest.config.ts); an undefined value is left out of the child's env.
    const p = spawnCea(['dossier', '--config', file, '--now', NOW], { env: { CEA_LANG: undefined } });
    const exit = await p.exited;
    expect(exit.code, p.stderr()).toBe(1);
    expect(p.stdout()).toMatch(/^# 公共安全视频图像信息系统备案材料/);
  });
});

describe('dossier on A4 paper', () => {
  const browser = chromiumForSuite();

  test('the HTML lays out within the A4 printable width (long serials and hashes wrap), headers repeat, and the PDF pages are A4', async () => {
    const file = writeSite('datong');
    seed();
    const out = join(dir, 'out');
    const r = await cea(['dossier', '--config', file, '--out', out, '--now', NOW], {});
    expect(r.code).toBe(1);
    const html = readFileSync(join(out, 'dossier-site-7-20240605.html'), 'utf8');
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('第十五条');
    expect(html).toContain('建设使用单位（盖章）：');

    const page = await browser().newPage();
    try {
      await page.emulateMedia({ media: 'print' });
      // A4 is 210 mm wide; the @page margins leave 175 mm = 661 CSS px for the content.
      await page.setViewportSize({ width: 661, height: 1000 });
      await page.setContent(html);
      // A string: the project's TypeScript has no DOM library.
      const layout = (await page.evaluate(`({
        scroll: document.documentElement.scrollWidth,
        widestTable: Math.max(...[...document.querySelectorAll('table')].map((t) => t.getBoundingClientRect().right)),
        theadGroups: [...document.querySelectorAll('thead')].map((h) => getComputedStyle(h).display),
      })`)) as { scroll: number; widestTable: number; theadGroups: string[] };
      expect(layout.scroll).toBeLessThanOrEqual(661);
      expect(layout.widestTable).toBeLessThanOrEqual(661);
      expect(layout.theadGroups.every((d) => d === 'table-header-group')).toBe(true);

      const boxes = pdfPageSizes(await page.pdf({ preferCSSPageSize: true }));
      expect(boxes.length).toBeGreaterThan(0);
      // A4 = 595.28 × 841.89 pt; Chromium rounds to whole CSS pixels.
      for (const [w, h] of boxes) {
        expect(Math.abs(w - 595.3)).toBeLessThan(2);
        expect(Math.abs(h - 841.9)).toBeLessThan(2);
      }
    } finally {
      await page.close();
    }
  }, 60_000);
});
