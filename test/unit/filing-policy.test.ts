import { describe, expect, test } from 'vitest';
import type { CameraConfig, FilingConfig, JurisdictionProfile } from '../../agent/config/types.js';
import { addDays, daysBetween, siteDate, startOfSiteDay } from '../../agent/filing/dates.js';
import {
  buildDossier,
  describeFilingStatus,
  filingDeadline,
  type CameraInventory,
  type DocumentFacts,
  type DossierInput,
  type InventoryFacts,
} from '../../agent/filing/policy.js';
import { renderDossierMarkdown } from '../../agent/filing/render.js';
import type { InventoryRecord } from '../../agent/inventory/policy.js';

// The filing dossier policy: Datong Art. 15 (30 days from acceptance, 60 for systems
// built before the measures) and Liaoning Art. 12 (30 days from use). No I/O here.

const profile = (id: string, days: number, daysExistingSystem: number): JurisdictionProfile => ({
  id,
  name: `${id} measures`,
  retention: { floorDays: id === 'datong' ? 30 : 15, vitalHoldDays: 365 },
  changeReport: { workingDays: 3 },
  filing: { days, daysExistingSystem },
  sources: ['test'],
  assumptions: [],
  language: 'zh-CN',
  file: `/profiles/${id}.yaml`,
});
const DATONG = profile('datong', 30, 60);
const LIAONING = profile('liaoning-2008', 30, 30);

const filing = (over: Partial<FilingConfig> = {}): FilingConfig => ({
  acceptedOn: null,
  inUseSince: null,
  existingSystem: false,
  authority: 'Example District PSB',
  operator: '示例物业管理有限公司',
  contact: 'Zhang San, 024-5555-0100',
  documents: [],
  filed: null,
  ...over,
});

describe('filing deadline', () => {
  test('Datong: 30 calendar days from acceptance, 60 for a system built before the measures', () => {
    const d = filingDeadline(filing({ acceptedOn: '2024-05-20' }), DATONG.filing, '2024-05-25');
    expect(d).toMatchObject({ days: 30, countsFrom: 'acceptance', from: '2024-05-20', deadline: '2024-06-19', status: 'due', daysLeft: 25 });
    const existing = filingDeadline(filing({ acceptedOn: '2024-05-20', existingSystem: true }), DATONG.filing, '2024-05-25');
    expect(existing).toMatchObject({ days: 60, deadline: '2024-07-19', status: 'due', daysLeft: 55 });
  });

  test('Liaoning: 30 days, also for an existing system; counted from first use when no acceptance date is given', () => {
    const d = filingDeadline(filing({ inUseSince: '2024-12-15', existingSystem: true }), LIAONING.filing, '2025-01-10');
    expect(d).toMatchObject({ days: 30, countsFrom: 'in_use', from: '2024-12-15', deadline: '2025-01-14', daysLeft: 4 });
  });

  test('acceptance wins over first use (it is earlier, so the deadline is never later than either article)', () => {
    const d = filingDeadline(filing({ acceptedOn: '2024-05-20', inUseSince: '2024-06-01' }), LIAONING.filing, '2024-06-01');
    expect(d).toMatchObject({ countsFrom: 'acceptance', deadline: '2024-06-19' });
  });

  test('status by date: not_due before the start, due up to and on the deadline, overdue the day after, filed once filed', () => {
    const f = filing({ acceptedOn: '2024-05-20' });
    const at = (today: string) => filingDeadline(f, DATONG.filing, today);
    expect(at('2024-05-19')).toMatchObject({ status: 'not_due', daysLeft: 31 });
    expect(at('2024-05-20')).toMatchObject({ status: 'due', daysLeft: 30 });
    expect(at('2024-06-19')).toMatchObject({ status: 'due', daysLeft: 0 });
    expect(at('2024-06-20')).toMatchObject({ status: 'overdue', daysLeft: -1 });
    expect(describeFilingStatus(at('2024-06-19'))).toBe('due today');
    expect(describeFilingStatus(at('2024-06-18'))).toBe('due in 1 day');
    expect(describeFilingStatus(at('2024-06-22'))).toBe('overdue by 3 days');

    const inTime = filingDeadline({ ...f, filed: { date: '2024-06-18', receiptNo: 'GA-42' } }, DATONG.filing, '2024-07-30');
    expect(inTime).toMatchObject({ status: 'filed', daysLeft: null, filed: { date: '2024-06-18', receiptNo: 'GA-42', inTime: true } });
    expect(describeFilingStatus(inTime)).toBe('filed on 2024-06-18, receipt GA-42');
    const late = filingDeadline({ ...f, filed: { date: '2024-06-21', receiptNo: null } }, DATONG.filing, '2024-07-30');
    expect(late.filed?.inTime).toBe(false);
    expect(describeFilingStatus(late)).toBe('filed on 2024-06-21 (after the deadline 2024-06-19)');
  });

  test('without an acceptance or in-use date the filing is not due and has no deadline', () => {
    const d = filingDeadline(filing(), DATONG.filing, '2024-05-19');
    expect(d).toMatchObject({ countsFrom: null, from: null, deadline: null, status: 'not_due', daysLeft: null });
    expect(describeFilingStatus(d)).toMatch(/no acceptance or in-use date/);
  });

  test('calendar helpers: the site day, not the UTC day; month and leap-year ends', () => {
    expect(siteDate(new Date('2024-06-19T16:30:00Z'), 'Asia/Shanghai')).toBe('2024-06-20');
    expect(siteDate(new Date('2024-06-19T15:59:59Z'), 'Asia/Shanghai')).toBe('2024-06-19');
    expect(addDays('2024-02-15', 30)).toBe('2024-03-16');
    expect(addDays('2023-02-15', 30)).toBe('2023-03-17');
    expect(daysBetween('2024-12-31', '2025-01-02')).toBe(2);
    expect(startOfSiteDay('2024-06-01', 'Asia/Shanghai').toISOString()).toBe('2024-05-31T16:00:00.000Z');
    expect(startOfSiteDay('2024-03-10', 'America/New_York').toISOString()).toBe('2024-03-10T05:00:00.000Z');
  });
});

const camera = (id: string, over: Partial<CameraConfig> = {}): CameraConfig => ({
  id,
  name: `Camera ${id}`,
  onvif: { url: `http://192.0.2.1/${id}` },
  location: { kind: 'street', description: `${id} gate, facing the road` },
  purpose: 'public order',
  record: true,
  prohibited: false,
  ...over,
});

const record = (firmware: string, serial: string): InventoryRecord => ({
  identity: { manufacturer: 'Hikvision', model: 'DS-2CD2143G2-I', firmware, serial, hardwareId: '88' },
  hostname: null,
  network: [],
  scopes: [],
  profiles: [
    {
      token: 'main',
      name: 'mainStream',
      videoSourceToken: 'vs1',
      encoder: { encoding: 'H264', width: 2688, height: 1520, fps: 25, bitrate: 4096, gop: 50, quality: null, profile: 'Main' },
      streamUri: 'rtsp://192.0.2.1/main',
      snapshotUri: null,
    },
    { token: 'sub', name: 'subStream', videoSourceToken: 'vs1', encoder: null, streamUri: null, snapshotUri: null },
  ],
  imaging: {},
});

const present = (path: string, sha: string): DocumentFacts => ({ path, state: 'present', bytes: 1234, sha256: sha, modifiedAt: '2024-05-20T02:00:00.000Z', problem: null });
const missing = (path: string): DocumentFacts => ({ path, state: 'missing', bytes: null, sha256: null, modifiedAt: null, problem: 'does not exist' });

function input(over: { filing?: FilingConfig; cameras?: CameraConfig[]; inventory?: Partial<InventoryFacts>; documents?: DocumentFacts[]; now?: string } = {}): DossierInput {
  const config: DossierInput['config'] = {
    site: { id: 'site-7', name: '示例广场', timezone: 'Asia/Shanghai' },
    profile: DATONG,
    retention: { floorDays: 30, ceilingDays: 45 },
    cameras: over.cameras ?? [camera('gate'), camera('yard')],
    filing: over.filing ?? filing({ acceptedOn: '2024-05-20' }),
  };
  const cameras = new Map<string, CameraInventory>([
    ['gate', { record: record('5.50', '00012345678901234567'), recordTakenAt: '2024-05-21T01:00:00.000Z', lastSeen: '2024-06-01T01:00:00.000Z' }],
    ['yard', { record: record('V5.7.3 build 220112', 'DS-2CD2143G2-I20220101AAWRG12345678'), recordTakenAt: '2024-05-21T01:00:00.000Z', lastSeen: '2024-06-01T01:00:05.000Z' }],
  ]);
  const inventory: InventoryFacts = { source: 'database', cameras, unconfiguredDevices: [], problem: null, ...over.inventory };
  return {
    config,
    inventory,
    documents: new Map((over.documents ?? []).map((d) => [d.path, d])),
    now: new Date(over.now ?? '2024-06-01T02:00:00Z'),
  };
}

const ALL_DOCS = filing({
  acceptedOn: '2024-05-20',
  documents: [
    { kind: 'design_scheme', path: '/docs/design.pdf', title: '设计方案' },
    { kind: 'contract', path: '/docs/contract.pdf', title: null },
    { kind: 'acceptance_report', path: '/docs/acceptance.pdf', title: null },
  ],
});
const ALL_PRESENT = [present('/docs/design.pdf', 'a'.repeat(64)), present('/docs/contract.pdf', 'b'.repeat(64)), present('/docs/acceptance.pdf', 'c'.repeat(64))];

describe('the dossier model', () => {
  test('equipment rows carry the identity exactly as the cameras reported it, and every encoder', () => {
    const d = buildDossier(input());
    expect(d.equipment.map((e) => [e.id, e.firmware, e.serial])).toEqual([
      ['gate', '5.50', '00012345678901234567'],
      ['yard', 'V5.7.3 build 220112', 'DS-2CD2143G2-I20220101AAWRG12345678'],
    ]);
    expect(d.equipment[0]).toMatchObject({
      name: 'Camera gate',
      location: { kind: 'street', description: 'gate gate, facing the road' },
      purpose: 'public order',
      manufacturer: 'Hikvision',
      model: 'DS-2CD2143G2-I',
      interrogated: true,
      inventoryAt: '2024-05-21T01:00:00.000Z',
      lastSeen: '2024-06-01T01:00:00.000Z',
    });
    expect(d.equipment[0]?.profiles).toEqual([
      { token: 'main', name: 'mainStream', encoding: 'H264', width: 2688, height: 1520, fps: 25, bitrate: 4096, gop: 50 },
      { token: 'sub', name: 'subStream', encoding: null, width: null, height: null, fps: null, bitrate: null, gop: null },
    ]);
    expect(d.retention).toEqual({ floorDays: 30, ceilingDays: 45, profileFloorDays: 30, vitalHoldDays: 365 });
    expect(d.filing).toMatchObject({ deadline: '2024-06-19', status: 'due', daysLeft: 18, operator: '示例物业管理有限公司' });
    expect(d.today).toBe('2024-06-01');
  });

  test('complete when the three required documents are present and every camera was interrogated', () => {
    const d = buildDossier(input({ filing: ALL_DOCS, documents: ALL_PRESENT }));
    expect(d.missing).toEqual([]);
    expect(d.complete).toBe(true);
    expect(d.documents.map((x) => [x.kind, x.title, x.state, x.sha256])).toEqual([
      ['design_scheme', '设计方案', 'present', 'a'.repeat(64)],
      ['contract', 'contract.pdf', 'present', 'b'.repeat(64)],
      ['acceptance_report', 'acceptance.pdf', 'present', 'c'.repeat(64)],
    ]);
  });

  test('missing documents are listed: a required kind not listed, a listed file not there; never a hash for them', () => {
    const f = filing({
      acceptedOn: '2024-05-20',
      documents: [
        { kind: 'design_scheme', path: '/docs/design.pdf', title: null },
        { kind: 'acceptance_report', path: '/docs/acceptance.pdf', title: null },
        { kind: 'other', path: '/docs/photos.zip', title: null },
      ],
    });
    const d = buildDossier(input({ filing: f, documents: [present('/docs/design.pdf', 'a'.repeat(64)), missing('/docs/acceptance.pdf')] }));
    expect(d.complete).toBe(false);
    expect(d.missing).toEqual([
      { what: 'document', ref: 'contract', detail: 'no contract document is listed in filing.documents' },
      { what: 'document', ref: 'acceptance_report', detail: '/docs/acceptance.pdf: does not exist' },
      // A listed file the dossier was not given facts for counts as missing too.
      { what: 'document', ref: 'other', detail: '/docs/photos.zip: not examined' },
    ]);
    expect(d.documents[1]).toMatchObject({ state: 'missing', sha256: null, bytes: null });
  });

  test('a camera never interrogated, no organisation named, no database: listed, with config-only equipment', () => {
    const d = buildDossier(
      input({
        filing: { ...ALL_DOCS, operator: null },
        documents: ALL_PRESENT,
        inventory: { source: 'config_only', cameras: new Map(), problem: 'no database yet at /var/lib/cea/agent.db' },
      }),
    );
    expect(d.missing.map((m) => [m.what, m.ref])).toEqual([
      ['inventory', 'gate'],
      ['inventory', 'yard'],
      ['config', 'filing.operator'],
    ]);
    expect(d.equipment[0]).toMatchObject({ interrogated: false, manufacturer: null, model: null, firmware: null, serial: null, profiles: [], lastSeen: null });
    expect(d.inventorySource).toBe('config_only');
    expect(d.notes[0]).toMatch(/^Equipment from the config alone \(no database yet at/);
  });

  test('overdue and filed as the clock moves; the site day decides', () => {
    expect(buildDossier(input({ now: '2024-06-19T15:59:59Z' })).filing.status).toBe('due');
    expect(buildDossier(input({ now: '2024-06-19T16:00:00Z' })).filing.status).toBe('overdue');
    const filed = buildDossier(input({ filing: { ...ALL_DOCS, filed: { date: '2024-06-10', receiptNo: 'GA-7' } }, now: '2024-09-01T00:00:00Z' }));
    expect(filed.filing).toMatchObject({ status: 'filed', filed: { inTime: true } });
  });

  test('prohibited cameras and unconfigured devices are noted', () => {
    const d = buildDossier(
      input({
        cameras: [camera('gate'), camera('yard', { location: { kind: 'toilet', description: 'staff toilet' }, prohibited: true })],
        inventory: { unconfiguredDevices: [{ urn: 'urn:uuid:1', xaddrs: ['http://192.0.2.9/onvif/device_service'], firstSeen: 'a', lastSeen: 'b' }] },
      }),
    );
    expect(d.notes.some((n) => n.includes('yard') && n.includes('prohibited place'))).toBe(true);
    expect(d.notes.some((n) => n.startsWith('1 device(s) answered WS-Discovery'))).toBe(true);
  });
});

describe('the Markdown', () => {
  test('cover, equipment and encoder tables, documents with hashes, MISSING marked, cells escaped', () => {
    const f = { ...ALL_DOCS, documents: [...ALL_DOCS.documents.slice(0, 2), { kind: 'acceptance_report' as const, path: '/docs/acceptance.pdf', title: '验收 | 报告' }] };
    const md = renderDossierMarkdown(
      buildDossier(input({ filing: f, documents: [...ALL_PRESENT.slice(0, 2), missing('/docs/acceptance.pdf')], cameras: [camera('gate', { purpose: 'line1\nline2' }), camera('yard')] })),
    );
    expect(md).toMatch(/^# Filing dossier: 示例广场 \(site-7\)\n/);
    expect(md).toContain('| Deadline | 2024-06-19 |');
    expect(md).toContain('| Status | **due in 18 days** |');
    expect(md).toContain('| Camera | Name | Location | Purpose | Manufacturer | Model | Firmware | Serial | Last seen |');
    // Times print in the site's zone (Asia/Shanghai): 01:00 UTC is 09:00 there.
    expect(md).toContain('| gate | Camera gate | street: gate gate, facing the road | line1<br>line2 | Hikvision | DS-2CD2143G2-I | 5.50 | 00012345678901234567 | 2024-06-01 09:00 |');
    expect(md).toContain('| gate | mainStream (main) | H264 | 2688×1520 | 25 | 4096 | 50 |');
    expect(md).toContain(`| design_scheme | 设计方案 | /docs/design.pdf | 1.2 KiB (1234 bytes) | \`${'a'.repeat(64)}\` | 2024-05-20 10:00 |`);
    expect(md).toContain('| acceptance_report | 验收 \\| 报告 | /docs/acceptance.pdf | **MISSING**: does not exist | — | — |');
    expect(md).toContain('## Dossier INCOMPLETE: 1 item(s) missing');
    // Every row of every table has as many cells as its header: no value broke a table.
    const cells = (l: string) => l.match(/(?<!\\)\|/g)?.length ?? 0;
    let header = 0;
    for (const l of md.split('\n')) {
      if (!l.startsWith('|')) header = 0;
      else if (header === 0) header = cells(l);
      else expect(cells(l), l).toBe(header);
    }
  });
});
