import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { REGISTER_COLUMNS } from '../../agent/register/rows.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { main } from '../../scripts/cea.js';
import { captureIo } from '../helpers/capture-io.js';
import { makeTempDir } from '../helpers/tmp.js';

// `cea register export --format csv`: the header row is for people (the reader's language,
// kinds and states in words); `--headers keys` is the stable machine header (the JSON
// export's keys and raw codes) whatever the language; JSON never changes with the language.

const NOW = '2024-06-05T02:00:00Z';
let tmp: { dir: string; remove: () => void };
let file: string;

beforeEach(() => {
  tmp = makeTempDir('cea-i18n-register-');
  file = join(tmp.dir, 'agent.yaml');
  writeFileSync(
    file,
    `site: { id: site-7, name: 示例广场 }
profile: liaoning-2008
mqtt: { url: "mqtt://127.0.0.1:1883" }
security: { requireSignedCommands: false }
database: ${join(tmp.dir, 'agent.db')}
cameras:
  - id: gate
    onvif: { url: "http://192.0.2.10/onvif/device_service" }
    location: { kind: street, description: "北门" }
`,
  );
  const { db } = openStore(join(tmp.dir, 'agent.db'), { migrations, now: () => new Date(NOW) });
  db.prepare(
    `INSERT INTO change_reports (id, number, site, detected_at, created_at, changes, cameras, working_days, deadline, calendar_known, state, reported_at, acknowledged_at, receipt_no)
     VALUES ('r-1', 1, 'site-7', '2024-05-25T03:00:00.000Z', '2024-05-25T03:05:00.000Z', ?, '["gate"]', 3, '2024-05-29', 1, 'acknowledged', '2024-05-25T03:05:01.000Z', '2024-05-26T08:00:00.000Z', 'BG-2024-001')`,
  ).run(JSON.stringify([{ scope: 'camera:gate', path: 'identity.firmware', before: '1.0', after: '2.0' }]));
  db.close();
});
afterEach(() => tmp.remove());

async function cea(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const cap = captureIo(tmp.dir, env);
  const code = await main(argv, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

const header = (csv: string) => csv.slice(1, csv.indexOf('\r\n'));
const secondLine = (csv: string) => csv.split('\r\n')[1] ?? '';

describe('register export headers', () => {
  test('CSV default: Chinese header (the profile language) with kinds and states in words', async () => {
    const r = await cea(['register', 'export', '--config', file, '--format', 'csv', '--now', NOW], {});
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('\uFEFF')).toBe(true);
    expect(header(r.stdout)).toBe('类别,编号,序号,时间,摄像机,摘要,期限,状态,报告时间,确认时间,回执编号,详细数据（JSON）');
    // Times in the site's zone (Asia/Shanghai, UTC+8) for people.
    expect(secondLine(r.stdout)).toMatch(/^变更报告,r-1,1,2024-05-25 11:00:00,gate,.*,2024-05-29,已确认,2024-05-25 11:05:01,2024-05-26 16:00:00,BG-2024-001,/);
    expect(r.stdout).toContain('\r\n备案,dossier-site-7,,');
    expect(r.stdout).toContain('"状态：未到备案期：未配置竣工验收日期或投入使用日期\n备案材料不全');
  });

  test('CSV in English with --lang en or CEA_LANG=en', async () => {
    const flag = await cea(['register', 'export', '--config', file, '--format', 'csv', '--lang', 'en', '--now', NOW], {});
    const env = await cea(['register', 'export', '--config', file, '--format', 'csv', '--now', NOW], { CEA_LANG: 'en' });
    expect(flag.stdout).toBe(env.stdout);
    expect(header(flag.stdout)).toBe('Kind,ID,No.,Time,Cameras,Summary,Deadline,State,Reported at,Acknowledged at,Receipt no.,Detail (JSON)');
    expect(secondLine(flag.stdout)).toMatch(/^change report,r-1,1,.*,acknowledged,/);
  });

  test('--headers keys: the stable machine header and raw codes, identical in every language', async () => {
    const zh = await cea(['register', 'export', '--config', file, '--format', 'csv', '--headers', 'keys', '--now', NOW], {});
    const en = await cea(['register', 'export', '--config', file, '--format', 'csv', '--headers', 'keys', '--now', NOW, '--lang', 'en'], {});
    expect(zh.stdout).toBe(en.stdout);
    expect(header(zh.stdout)).toBe(REGISTER_COLUMNS.join(','));
    expect(secondLine(zh.stdout)).toMatch(/^change_report,r-1,1,2024-05-25T03:00:00.000Z,.*,acknowledged,2024-05-25T03:05:01.000Z,/);
  });

  test('JSON never changes with the language; --headers is refused outside CSV', async () => {
    const zh = await cea(['register', 'export', '--config', file, '--now', NOW], {});
    const en = await cea(['register', 'export', '--config', file, '--now', NOW], { CEA_LANG: 'en' });
    expect(zh.code).toBe(0);
    expect(zh.stdout).toBe(en.stdout);
    expect((JSON.parse(zh.stdout) as { columns: string[] }).columns).toEqual([...REGISTER_COLUMNS]);
    const bad = await cea(['register', 'export', '--config', file, '--headers', 'keys'], {});
    expect(bad.code).toBe(2);
    const worse = await cea(['register', 'export', '--config', file, '--format', 'csv', '--headers', 'names'], {});
    expect(worse.code).toBe(2);
    // The config is Chinese (the profile's default), so the usage error is too.
    expect(worse.stderr).toContain('cea register：--headers 只能是 labels（按语言的列名）或 keys（固定英文键名）');
    expect((await cea(['register', 'export', '--config', file, '--format', 'csv', '--headers', 'names', '--lang', 'en'], {})).stderr).toContain(
      '--headers must be labels or keys',
    );
  });

  test('register verify speaks the language too', async () => {
    const zh = await cea(['register', 'verify', '--config', file], {});
    expect(zh.code).toBe(0);
    expect(zh.stdout).toBe('调取查阅登记：0 条，哈希链完整\n');
    const en = await cea(['register', 'verify', '--config', file, '--lang', 'en'], {});
    expect(en.stdout).toBe('access register: 0 row(s), chain intact\n');
  });
});
