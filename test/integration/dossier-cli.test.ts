import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { InventoryRecord } from '../../agent/inventory/policy.js';
import { InventoryStore } from '../../agent/inventory/store.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { main } from '../../scripts/cea.js';
import { dossierCommand } from '../../scripts/commands/dossier.js';
import { registerCommand } from '../../scripts/commands/register.js';
import { captureIo } from '../helpers/capture-io.js';
import { spawnCea } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// `cea dossier` and `cea register export` against a real SQLite file made by the store
// driver's own migrations, and real document files (one of them missing).

const NOW = '2024-06-05T02:00:00Z';

let tmp: { dir: string; remove: () => void };
let dir: string;
let dbFile: string;
let configFile: string;

beforeEach(() => {
  tmp = makeTempDir('cea-dossier-');
  dir = tmp.dir;
  dbFile = join(dir, 'state', 'agent.db');
  configFile = join(dir, 'agent.yaml');
});
afterEach(() => tmp.remove());

const DESIGN = Buffer.from('%PDF-1.4 design scheme, rev. 2\n');
const CONTRACT = Buffer.from('%PDF-1.4 contract 合同\n'.repeat(5000));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function writeSite(opts: { database?: string } = {}): void {
  mkdirSync(join(dir, 'filing'), { recursive: true });
  writeFileSync(join(dir, 'filing', 'design.pdf'), DESIGN);
  writeFileSync(join(dir, 'filing', 'contract.pdf'), CONTRACT);
  writeFileSync(
    configFile,
    `site: { id: site-7, name: 示例广场 }
profile: datong
mqtt: { url: "mqtt://127.0.0.1:1883" }
security: { requireSignedCommands: false }
database: ${opts.database ?? dbFile}
cameras:
  - id: gate
    name: 北门
    onvif: { url: "http://192.0.2.10/onvif/device_service" }
    location: { kind: street, description: "北门，朝向马路" }
    purpose: public order
  - id: yard
    onvif: { url: "http://192.0.2.11/onvif/device_service" }
    location: { kind: parking, description: "Yard, facing the gate" }
filing:
  acceptedOn: 2024-05-20
  inUseSince: 2024-05-22
  authority: 示例区公安分局
  operator: 示例物业管理有限公司
  contact: "张三, 024-5555-0100"
  documents:
    - { kind: design_scheme, path: filing/design.pdf, title: 设计方案 }
    - { kind: contract, path: filing/contract.pdf }
    - { kind: acceptance_report, path: filing/acceptance.pdf, title: 验收报告 }
`,
  );
}

const record = (firmware: string, serial: string): InventoryRecord => ({
  identity: { manufacturer: 'Dahua', model: 'IPC-HFW2431S', firmware, serial, hardwareId: '1.00' },
  hostname: null,
  network: [],
  scopes: [],
  profiles: [
    {
      token: 'MediaProfile000',
      name: 'MainStream',
      videoSourceToken: 'vs0',
      encoder: { encoding: 'H265', width: 2560, height: 1440, fps: 20, bitrate: 3072, gop: 40, quality: null, profile: null },
      streamUri: 'rtsp://192.0.2.10/main',
      snapshotUri: null,
    },
  ],
  imaging: {},
});

function seedDatabase(opts: { yardInterrogated: boolean }): void {
  const { db } = openStore(dbFile, { migrations, now: () => new Date(NOW) });
  const inv = new InventoryStore(db);
  inv.addSnapshot('gate', '2024-05-20T01:00:00.000Z', 'h0', record('2.800.0000000.16.R', '00012345678901234567'));
  const latest = inv.addSnapshot('gate', '2024-05-21T01:00:00.000Z', 'h1', record('5.50', '00012345678901234567'));
  inv.saveCameraState({
    cameraId: 'gate',
    urn: 'urn:uuid:gate',
    presence: { online: true, consecutiveFailures: 0, authFailed: false },
    since: '2024-05-20T01:00:00.000Z',
    lastSeen: '2024-06-05T01:59:00.000Z',
    lastErrorCode: null,
    lastError: null,
    timeOffsetMs: 0,
    snapshotId: latest,
  });
  if (opts.yardInterrogated) inv.addSnapshot('yard', '2024-05-21T01:00:00.000Z', 'h2', record('V2.0', 'SN-YARD'));
  const report = db.prepare(
    `INSERT INTO change_reports (id, number, site, detected_at, created_at, changes, cameras, working_days, deadline, calendar_known, state, reported_at, acknowledged_at, receipt_no)
     VALUES (?, ?, 'site-7', ?, ?, ?, ?, 3, ?, 1, ?, ?, ?, ?)`,
  );
  report.run(
    'r-1',
    1,
    '2024-05-25T03:00:00.000Z',
    '2024-05-25T03:05:00.000Z',
    JSON.stringify([{ scope: 'camera:gate', path: 'identity.firmware', before: '2.800.0000000.16.R', after: '5.50' }]),
    JSON.stringify(['gate']),
    '2024-05-29',
    'acknowledged',
    '2024-05-25T03:05:01.000Z',
    '2024-05-26T08:00:00.000Z',
    'BG-2024-001',
  );
  report.run(
    'r-2',
    2,
    // 2024-06-02 01:00 in Asia/Shanghai
    '2024-06-01T17:00:00.000Z',
    '2024-06-01T17:05:00.000Z',
    JSON.stringify([{ scope: 'camera:gate', path: 'configured.locationDescription', before: '北门，朝向马路', after: '北门, "新" 位置\n朝东' }]),
    JSON.stringify(['gate']),
    '2024-06-05',
    'reported',
    '2024-06-01T17:05:01.000Z',
    null,
    null,
  );
  db.close();
}

async function run(command: typeof dossierCommand, argv: string[]) {
  const cap = captureIo(dir);
  const code = await command.run(argv, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

interface DossierJson {
  dossierVersion: number;
  site: { id: string };
  filing: { deadline: string; status: string; daysLeft: number; countsFrom: string };
  equipment: { id: string; firmware: string | null; serial: string | null; profiles: { encoding: string }[]; lastSeen: string | null; interrogated: boolean }[];
  documents: { kind: string; title: string; state: string; sha256: string | null; bytes: number | null }[];
  complete: boolean;
  missing: { what: string; ref: string; detail: string }[];
  inventorySource: string;
  notes: string[];
}

/** RFC 4180, enough for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('cea dossier', () => {
  test('--json: one JSON document; identity from the latest interrogation; the missing document listed; exit 1', async () => {
    writeSite();
    seedDatabase({ yardInterrogated: true });
    const r = await run(dossierCommand, ['--config', configFile, '--json', '--now', NOW]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as DossierJson;
    expect(Object.keys(d)).toEqual([
      'dossierVersion',
      'generatedAt',
      'today',
      'site',
      'profile',
      'filing',
      'equipment',
      'unconfiguredDevices',
      'retention',
      'documents',
      'inventorySource',
      'inventoryProblem',
      'complete',
      'missing',
      'notes',
    ]);
    expect(d.filing).toMatchObject({ countsFrom: 'acceptance', deadline: '2024-06-19', status: 'due', daysLeft: 14 });
    expect(d.equipment.map((e) => [e.id, e.firmware, e.serial, e.lastSeen])).toEqual([
      ['gate', '5.50', '00012345678901234567', '2024-06-05T01:59:00.000Z'],
      ['yard', 'V2.0', 'SN-YARD', null],
    ]);
    expect(d.equipment[0]?.profiles[0]?.encoding).toBe('H265');
    expect(d.documents).toEqual([
      expect.objectContaining({ kind: 'design_scheme', title: '设计方案', state: 'present', sha256: sha256(DESIGN), bytes: DESIGN.length }),
      expect.objectContaining({ kind: 'contract', title: 'contract.pdf', state: 'present', sha256: sha256(CONTRACT), bytes: CONTRACT.length }),
      expect.objectContaining({ kind: 'acceptance_report', state: 'missing', sha256: null, bytes: null }),
    ]);
    expect(d.complete).toBe(false);
    expect(d.missing).toEqual([{ what: 'document', ref: 'acceptance_report', detail: `${join(dir, 'filing', 'acceptance.pdf')}: does not exist` }]);
    // The config warned about the missing file on stderr; stdout holds the JSON alone.
    expect(r.stderr).toMatch(/filing\.documents\[2\]\.path: .*acceptance\.pdf does not exist/);
  });

  test('Markdown: the equipment table and the missing document marked; complete (exit 0) once the file is there', async () => {
    writeSite();
    seedDatabase({ yardInterrogated: true });
    const r = await run(dossierCommand, ['--config', configFile, '--now', NOW]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^# Filing dossier: 示例广场 \(site-7\)/);
    expect(r.stdout).toContain('| Camera | Name | Location | Purpose | Manufacturer | Model | Firmware | Serial | Last seen |');
    // Last seen 01:59 UTC is 09:59 in the site's zone (Asia/Shanghai).
    expect(r.stdout).toContain('| gate | 北门 | street: 北门，朝向马路 | public order | Dahua | IPC-HFW2431S | 5.50 | 00012345678901234567 | 2024-06-05 09:59 |');
    expect(r.stdout).toContain('| gate | MainStream (MediaProfile000) | H265 | 2560×1440 | 20 | 3072 | 40 |');
    expect(r.stdout).toContain(`| acceptance_report | 验收报告 | ${join(dir, 'filing', 'acceptance.pdf')} | **MISSING**: does not exist | — | — |`);
    expect(r.stdout).toContain(sha256(CONTRACT));
    expect(r.stderr).toContain('cea dossier: incomplete, 1 item(s) missing');

    writeFileSync(join(dir, 'filing', 'acceptance.pdf'), 'acceptance report');
    const ok = await run(dossierCommand, ['--config', configFile, '--now', NOW]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('## Dossier complete');
    expect(ok.stdout).not.toContain('MISSING');
  });

  test('a camera never interrogated keeps the dossier incomplete', async () => {
    writeSite();
    writeFileSync(join(dir, 'filing', 'acceptance.pdf'), 'acceptance report');
    seedDatabase({ yardInterrogated: false });
    const r = await run(dossierCommand, ['--config', configFile, '--json', '--now', NOW]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as DossierJson;
    expect(d.missing.map((m) => [m.what, m.ref])).toEqual([['inventory', 'yard']]);
    expect(d.equipment[1]).toMatchObject({ id: 'yard', interrogated: false, firmware: null, serial: null });
  });

  test('without a database: equipment from the config alone, a note, and no database created', async () => {
    writeSite();
    const r = await run(dossierCommand, ['--config', configFile, '--json', '--now', NOW]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as DossierJson;
    expect(d.inventorySource).toBe('config_only');
    expect(d.equipment.every((e) => !e.interrogated && e.firmware === null && e.serial === null)).toBe(true);
    expect(d.notes[0]).toContain(`no database yet at ${dbFile}`);
    expect(existsSync(dbFile)).toBe(false);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  test('--out DIR writes dossier-<site>-<YYYYMMDD>.md, .html and .json and prints their paths', async () => {
    writeSite();
    seedDatabase({ yardInterrogated: true });
    const out = join(dir, 'out');
    const r = await run(dossierCommand, ['--config', configFile, '--out', out, '--now', NOW]);
    expect(r.code).toBe(1);
    const base = join(out, 'dossier-site-7-20240605');
    expect(r.stdout).toBe(`${base}.md\n${base}.html\n${base}.json\n`);
    expect(readdirSync(out).sort()).toEqual(['dossier-site-7-20240605.html', 'dossier-site-7-20240605.json', 'dossier-site-7-20240605.md']);
    expect(readFileSync(`${base}.html`, 'utf8')).toContain('@page { size: A4 portrait;');
    expect(readFileSync(`${base}.md`, 'utf8')).toContain('## Equipment (2 cameras)');
    expect((JSON.parse(readFileSync(`${base}.json`, 'utf8')) as DossierJson).site.id).toBe('site-7');
  });

  test('config and usage errors exit 2', async () => {
    writeSite();
    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('acceptedOn: 2024-05-20', 'acceptedOn: 2024-13-01'));
    const r = await run(dossierCommand, ['--config', configFile, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/agent\.yaml:\d+:\d+ filing\.acceptedOn: must be a date YYYY-MM-DD/);
    const cap = captureIo(dir);
    expect(await main(['dossier', '--config', configFile, '--now', 'yesterday'], cap.io)).toBe(2);
    expect(cap.stderr()).toMatch(/--now: "yesterday" is not an ISO date-time/);
    expect(await main(['register', 'import'], cap.io)).toBe(2);
    expect(await main(['register', 'export', '--config', configFile, '--format', 'xlsx'], cap.io)).toBe(2);
  });

  test('through the built CLI', async () => {
    writeSite();
    seedDatabase({ yardInterrogated: true });
    writeFileSync(join(dir, 'filing', 'acceptance.pdf'), 'acceptance report');
    const cea = spawnCea(['dossier', '--config', configFile, '--json', '--now', NOW]);
    const exit = await cea.exited;
    expect(exit.code, cea.stderr()).toBe(0);
    const d = JSON.parse(cea.stdout()) as DossierJson;
    expect(d.complete).toBe(true);
    expect(d.equipment[0]?.firmware).toBe('5.50');
  });
});

interface RegisterJson {
  from: string | null;
  to: string | null;
  columns: string[];
  rows: { kind: string; id: string; number: number | null; time: string; summary: string; state: string | null; receiptNo: string | null }[];
}

describe('cea register export', () => {
  test('JSON by default: the change reports of the period and the dossier row', async () => {
    writeSite();
    seedDatabase({ yardInterrogated: true });
    const all = await run(registerCommand, ['export', '--config', configFile, '--now', NOW]);
    expect(all.code).toBe(0);
    const doc = JSON.parse(all.stdout) as RegisterJson;
    expect(doc.columns).toEqual(['kind', 'id', 'number', 'time', 'cameras', 'summary', 'deadline', 'state', 'reportedAt', 'acknowledgedAt', 'receiptNo', 'detail']);
    expect(doc.rows.map((r) => [r.kind, r.id, r.state])).toEqual([
      ['change_report', 'r-1', 'acknowledged'],
      ['change_report', 'r-2', 'reported'],
      ['dossier', 'dossier-site-7', 'due'],
    ]);
    expect(doc.rows[0]).toMatchObject({ number: 1, receiptNo: 'BG-2024-001', summary: 'camera:gate identity.firmware: 2.800.0000000.16.R → 5.50' });
    expect(doc.rows[2]?.summary).toContain('dossier incomplete: 1 missing');

    // Dates are whole site-calendar days: r-2 was detected on 2024-06-02 in Asia/Shanghai (06-01 UTC).
    const june2 = JSON.parse((await run(registerCommand, ['export', '--config', configFile, '--from', '2024-06-02', '--now', NOW])).stdout) as RegisterJson;
    expect(june2.from).toBe('2024-06-01T16:00:00.000Z');
    expect(june2.rows.map((r) => r.id)).toEqual(['r-2', 'dossier-site-7']);
    const untilJune1 = JSON.parse((await run(registerCommand, ['export', '--config', configFile, '--to', '2024-06-01', '--now', NOW])).stdout) as RegisterJson;
    expect(untilJune1.rows.map((r) => r.id)).toEqual(['r-1', 'dossier-site-7']);
  });

  test('CSV: BOM, header row, CRLF, RFC 4180 quoting of commas, quotes and line breaks in Chinese text', async () => {
    writeSite();
    seedDatabase({ yardInterrogated: true });
    // --headers keys: the stable machine header (the default header is in the reader's language: i18n-register.test.ts).
    const r = await run(registerCommand, ['export', '--config', configFile, '--format', 'csv', '--headers', 'keys', '--now', NOW]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('\uFEFFkind,id,number,time,cameras,summary,deadline,state,reportedAt,acknowledgedAt,receiptNo,detail\r\n')).toBe(true);
    expect(r.stdout).toContain('"camera:gate configured.locationDescription: 北门，朝向马路 → 北门, ""新"" 位置\n朝东"');
    const rows = parseCsv(r.stdout.slice(1));
    expect(rows.length).toBe(4);
    const header = rows[0] ?? [];
    const r2 = Object.fromEntries(header.map((h, i) => [h, rows[2]?.[i]]));
    expect(r2).toMatchObject({ kind: 'change_report', id: 'r-2', number: '2', cameras: 'gate', state: 'reported', acknowledgedAt: '' });
    expect(r2.summary).toBe('camera:gate configured.locationDescription: 北门，朝向马路 → 北门, "新" 位置\n朝东');
    expect(JSON.parse(r2.detail ?? '')).toEqual({
      changes: [{ scope: 'camera:gate', path: 'configured.locationDescription', before: '北门，朝向马路', after: '北门, "新" 位置\n朝东' }],
    });
    expect(rows.every((row) => row.length === header.length)).toBe(true);
  });

  test('without a database: only the dossier row, and a note on stderr', async () => {
    writeSite();
    const r = await run(registerCommand, ['export', '--config', configFile, '--now', NOW]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as RegisterJson).rows.map((x) => x.kind)).toEqual(['dossier']);
    expect(r.stderr).toContain('no database yet');
  });
});
