import { existsSync } from 'node:fs';
import { accessRegisterSource, verifyAccessRegister } from '../../agent/access/register.js';
import type { ChainCheckpoint, ChainVerdict } from '../../agent/access/chain.js';
import type { AgentConfig } from '../../agent/config/index.js';
import { isCalendarDate, startOfSiteDay, addDays } from '../../agent/filing/dates.js';
import type { Dossier } from '../../agent/filing/policy.js';
import { dossierSummaryText } from '../../agent/filing/render.js';
import { changeReportSource } from '../../agent/register/change-reports.js';
import { registerCsv, type CsvHeaders } from '../../agent/register/csv.js';
import { translator, type Language } from '../../agent/i18n/index.js';
import { registerCatalog } from '../../agent/i18n/register.js';
import { REGISTER_COLUMNS, collectRegister, dossierRow, type RegisterPeriod, type RegisterSource } from '../../agent/register/rows.js';
import type { Database } from '../../drivers/store/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command, type CommandIo } from '../cli/command.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { gatherDossier } from '../../agent/filing/gather.js';
import { commandNow, loadCommandConfig, openDatabaseReadOnly } from './dossier.js';

/**
 * A bound of the period: a date means a whole day of the site calendar (--from its
 * start, --to through its end); a date-time is taken as written.
 */
function periodBound(option: 'from' | 'to', text: string | undefined, timeZone: string): Date | null {
  if (text === undefined) return null;
  if (isCalendarDate(text)) return startOfSiteDay(option === 'to' ? addDays(text, 1) : text, timeZone);
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(t)) {
    throw usageError('err.bound', { option, value: text });
  }
  return new Date(t);
}

/**
 * Every source of register rows. The dossier row is the filing's state now, shown
 * whatever the period.
 */
function registerSources(db: Database | null, dossier: Dossier): RegisterSource[] {
  return [changeReportSource(db), accessRegisterSource(db), { kind: 'dossier', rows: () => [dossierRow(dossier)] }];
}

function periodText(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

/** --checkpoint SEQ:HASH, a row the platform already knows (the hash of an `access.granted` event). */
function parseCheckpoint(text: string | undefined): ChainCheckpoint | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text);
  if (!m) throw new UsageError(`--checkpoint: "${text}" is not SEQ:SHA256HEX`);
  return { seq: Number(m[1]), hash: m[2] as string };
}

/**
 * `cea register verify`: walks the access register's hash chain. Exit 0 intact, 1
 * tampered (or unreadable: an unreadable register cannot be vouched for).
 */
function verifyRegister(config: AgentConfig, json: boolean, checkpoint: ChainCheckpoint | undefined, now: Date, io: CommandIo, lang: Language): number {
  let verdict: ChainVerdict & { note?: string };
  if (!existsSync(config.database)) {
    verdict = { ok: true, rows: 0, note: `no database yet at ${config.database}` };
  } else {
    const { db, problem } = openDatabaseReadOnly(config.database, now);
    if (!db) verdict = { ok: false, rows: 0, message: problem ?? 'the database cannot be read' };
    else {
      try {
        verdict = verifyAccessRegister(db, checkpoint);
      } finally {
        db.close();
      }
    }
  }
  const t = translator(registerCatalog, lang);
  if (json) printJson(io, verdict);
  else if (verdict.ok) io.stdout.write(`${t('verify.intact', { rows: verdict.rows, note: verdict.note ?? null })}\n`);
  else {
    const message = verdict.message ?? verdict.problem ?? 'unknown problem';
    io.stdout.write(`${t('verify.tampered', { message, firstBad: verdict.firstBadSeq ?? null, rows: verdict.rows })}\n`);
  }
  return verdict.ok ? EXIT_OK : EXIT_FINDINGS;
}

/** `cea register export`: change reports and the access register plus the dossier's state, as JSON or CSV; `cea register verify`: the access register's chain. */
export const registerCommand: Command = {
  name: 'register',
  summary: 'export the register: change reports, accesses and the filing dossier state (JSON or CSV); verify the access register',
  usage:
    'register export [--config FILE] [--from DATE|ISO] [--to DATE|ISO] [--format csv|json] [--headers labels|keys] [--json] [--now ISO] [--lang zh-CN|en]\n' +
    '       register verify [--config FILE] [--checkpoint SEQ:SHA256] [--json] [--lang zh-CN|en]\n' +
    '       CSV headers: labels (default) in the language chosen; keys = the stable English keys of the JSON export, for scripts',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      now: { type: 'string' },
      checkpoint: { type: 'string' },
      headers: { type: 'string' },
    });
    if (positionals.length !== 1 || (positionals[0] !== 'export' && positionals[0] !== 'verify')) {
      throw positionals.length === 0
        ? usageError('err.missingSub', { expected: 'export, verify' })
        : usageError('err.unknownSub', { value: positionals.join(' '), expected: 'export, verify' });
    }
    if (positionals[0] === 'verify') {
      for (const o of ['from', 'to', 'format', 'headers'] as const) if (values[o] !== undefined) throw new UsageError(`--${o} is not an option of register verify`);
      const checkpoint = parseCheckpoint(values.checkpoint);
      const verifyNow = commandNow(values.now);
      const verifyConfig = loadCommandConfig('register', values.config, io, values.lang);
      if (!verifyConfig) return EXIT_USAGE;
      return verifyRegister(verifyConfig, values.json ?? false, checkpoint, verifyNow, io, commandLanguage(io, values.lang, verifyConfig));
    }
    if (values.checkpoint !== undefined) throw new UsageError('--checkpoint is an option of register verify');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'csv') throw usageError('err.format', { allowed: 'csv, json', value: format });
    if (values.json && format === 'csv') throw new UsageError('--json and --format csv contradict each other');
    const headers = values.headers ?? 'labels';
    if (headers !== 'labels' && headers !== 'keys') throw usageError('err.headers', { value: headers });
    if (values.headers !== undefined && format !== 'csv') throw new UsageError('--headers is an option of --format csv');
    const now = commandNow(values.now);
    const config: AgentConfig | null = loadCommandConfig('register', values.config, io, values.lang);
    if (!config) return EXIT_USAGE;

    const period: RegisterPeriod = {
      from: periodBound('from', values.from, config.site.timezone),
      to: periodBound('to', values.to, config.site.timezone),
    };
    if (period.from && period.to && period.from >= period.to) throw usageError('err.fromBeforeTo');

    const { db, problem } = openDatabaseReadOnly(config.database, now);
    let rows;
    let dossier: Dossier;
    try {
      dossier = await gatherDossier(config, db, problem, now);
      rows = collectRegister(registerSources(db, dossier), period);
    } finally {
      db?.close();
    }
    const lang = commandLanguage(io, values.lang, config);
    if (problem) io.stderr.write(`${translator(registerCatalog, lang)('export.noDatabase', { problem })}\n`);

    if (format === 'csv') {
      // For people, the filing's row says where it stands in their language; `keys` keeps the JSON's text.
      const shown = headers === 'labels' ? rows.map((r) => (r.kind === 'dossier' ? { ...r, summary: dossierSummaryText(dossier, lang) } : r)) : rows;
      io.stdout.write(registerCsv(shown, { headers: headers as CsvHeaders, lang, timeZone: config.site.timezone }));
    }
    else {
      printJson(io, {
        site: { id: config.site.id, name: config.site.name },
        generatedAt: now.toISOString(),
        from: periodText(period.from),
        to: periodText(period.to),
        columns: REGISTER_COLUMNS,
        rows,
      });
    }
    return EXIT_OK;
  },
};
