import { describe, expect, test } from 'vitest';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { dossierCatalog } from '../../agent/i18n/dossier.js';
import { registerCatalog } from '../../agent/i18n/register.js';
import { registerCsv, registerHeaders } from '../../agent/register/csv.js';
import { REGISTER_COLUMNS, type RegisterRow } from '../../agent/register/rows.js';
import { UsageError } from '../../scripts/cli/command.js';
import { commandLanguage, liftLanguage } from '../../scripts/cli/lang.js';
import { displayWidth, renderTable } from '../../scripts/cli/table.js';
import { commands } from '../../scripts/commands/index.js';

// The pieces of the CLI's language choice and its catalogs, without processes.

const io = (env: NodeJS.ProcessEnv) => ({ stdout: process.stdout, stderr: process.stderr, env, cwd: '/' });

describe('--lang', () => {
  test('lifted from anywhere before --, in both spellings; the last one wins', () => {
    expect(liftLanguage(['--lang', 'en', 'dossier', '--json'])).toEqual({ argv: ['dossier', '--json'], lang: 'en' });
    expect(liftLanguage(['dossier', '--lang=zh', '--json', '--lang', 'zh_CN.UTF-8'])).toEqual({ argv: ['dossier', '--json'], lang: 'zh-CN' });
    expect(liftLanguage(['score', '--', '--lang', 'en'])).toEqual({ argv: ['score', '--', '--lang', 'en'], lang: undefined });
    // No value: left for the command's own parser to reject.
    expect(liftLanguage(['deadline', '--lang'])).toEqual({ argv: ['deadline', '--lang'], lang: undefined });
    expect(() => liftLanguage(['--lang', 'fr'])).toThrow(UsageError);
  });

  test('precedence: flag, then CEA_LANG, then the config, then English', () => {
    expect(commandLanguage(io({ CEA_LANG: 'zh-CN' }), 'en', { language: 'zh-CN' })).toBe('en');
    expect(commandLanguage(io({ CEA_LANG: 'en_US.UTF-8' }), undefined, { language: 'zh-CN' })).toBe('en');
    expect(commandLanguage(io({ CEA_LANG: 'klingon' }), undefined, { language: 'zh-CN' })).toBe('zh-CN');
    expect(commandLanguage(io({}), undefined, { language: 'zh-CN' })).toBe('zh-CN');
    expect(commandLanguage(io({}), undefined, null)).toBe('en');
    expect(() => commandLanguage(io({}), 'de')).toThrow(UsageError);
  });
});

describe('catalogs', () => {
  test('every text exists in both languages and the Chinese one is Chinese (no English left behind)', () => {
    // Codes, file names and units may stay Latin; these entries are Chinese words.
    const sample = { n: 2, count: 2, days: 3, from: '2024-05-20', file: 'a.yaml', site: 's', reason: 'r', name: 'x' };
    for (const [name, catalog] of Object.entries({ cliCatalog, dossierCatalog, registerCatalog })) {
      for (const [key, entry] of Object.entries(catalog)) {
        const zh = entry['zh-CN'] as string | ((p: unknown) => string);
        const en = entry.en as string | ((p: unknown) => string);
        expect(typeof zh, `${name}.${key}`).toBe(typeof en);
        const text = typeof zh === 'function' ? zh(sample) : zh;
        if (/[\u4e00-\u9fff]/.test(text)) continue;
        // No Chinese at all: then only parameters, codes and punctuation, never English words.
        const words = text.replace(/undefined|2024-05-20|a\.yaml|SHA-256|JSON|GOP|URN|\b\w+_\w+\b/g, '').match(/[A-Za-z]{3,}/g);
        expect(words, `${name}.${key}: "${text}"`).toBeNull();
      }
    }
  });

  test('every command in the top-level help has a Chinese summary', () => {
    for (const c of commands) {
      expect(`summary.${c.name}` in cliCatalog, c.name).toBe(true);
    }
  });

  test('a label for every register column, in both languages', () => {
    expect(registerHeaders('labels', 'zh-CN')).toHaveLength(REGISTER_COLUMNS.length);
    expect(registerHeaders('labels', 'en')).toHaveLength(REGISTER_COLUMNS.length);
    expect(registerHeaders('keys', 'zh-CN')).toEqual([...REGISTER_COLUMNS]);
    expect(new Set(registerHeaders('labels', 'zh-CN')).size).toBe(REGISTER_COLUMNS.length);
  });

  test('CSV labels translate kind and state (refusals keep their reason); keys keep the raw codes', () => {
    const row: RegisterRow = {
      kind: 'access',
      id: 'a-1',
      number: 7,
      time: '2024-06-01T00:00:00.000Z',
      cameras: ['gate'],
      summary: 'recordings.export refused:staff',
      deadline: null,
      state: 'refused:two_staff_required',
      reportedAt: null,
      acknowledgedAt: null,
      receiptNo: null,
      detail: {},
    };
    const zh = registerCsv([row], { lang: 'zh-CN' }).split('\r\n')[1];
    expect(zh).toMatch(/^调取查阅登记,a-1,7,.*,已拒绝：two_staff_required,/);
    const keys = registerCsv([row], { headers: 'keys', lang: 'zh-CN' }).split('\r\n')[1];
    expect(keys).toMatch(/^access,a-1,7,.*,refused:two_staff_required,/);
  });
});

describe('terminal tables', () => {
  test('Chinese cells count two columns each, so columns line up on screen', () => {
    expect(displayWidth('摄像机')).toBe(6);
    expect(displayWidth('gate（北门）')).toBe(4 + 2 * 4);
    const lines = renderTable(['编号', 'camera'], [['a', '北门'], ['长编号ab', 'x']]).split('\n');
    const secondColumnAt = lines.map((l) => {
      const cut = l.search(/(北门|camera|x|-+$)/);
      return displayWidth(l.slice(0, cut));
    });
    expect(new Set(secondColumnAt).size).toBe(1);
  });
});
