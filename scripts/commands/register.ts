import { existsSync } from 'node:fs';
import { accessRegisterSource, verifyAccessRegister } from '../../agent/access/register.js';
import type { ChainCheckpoint, ChainVerdict } from '../../agent/access/chain.js';
import type { AgentConfig } from '../../agent/config/index.js';
import { isCalendarDate, startOfSiteDay, addDays } from '../../agent/filing/dates.js';
import type { Dossier } from '../../agent/filing/policy.js';
import { changeReportSource } from '../../agent/register/change-reports.js';
import { registerCsv } from '../../agent/register/csv.js';
import { REGISTER_COLUMNS, collectRegister, dossierRow, type RegisterPeriod, type RegisterSource } from '../../agent/register/rows.js';
import type { Database } from '../../drivers/store/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command, type CommandIo } from '../cli/command.js';
import { commandNow, gatherDossier, loadCommandConfig, openDatabaseReadOnly } from './dossier.js';

/**
 * A bound of the period: a date means a whole day of the site calendar (--from its
 * start, --to through its end); a date-time is taken as written.
 */
function periodBound(option: 'from' | 'to', text: string | undefined, timeZone: string): Date | null {
  if (text === undefined) return null;
  if (isCalendarDate(text)) return startOfSiteDay(option === 'to' ? addDays(text, 1) : text, timeZone);
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(t)) {
    throw new UsageError(`--${option}: "${text}" is neither a date YYYY-MM-DD nor an ISO date-time`);
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
function verifyRegister(config: AgentConfig, json: boolean, checkpoint: ChainCheckpoint | undefined, now: Date, io: CommandIo): number {
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
  if (json) printJson(io, verdict);
  else if (verdict.ok) io.stdout.write(`access register: ${verdict.rows} row(s), chain intact${verdict.note ? ` (${verdict.note})` : ''}\n`);
  else io.stdout.write(`access register TAMPERED: ${verdict.message ?? verdict.problem ?? 'unknown problem'}${verdict.firstBadSeq !== undefined ? ` (first bad row ${verdict.firstBadSeq} of ${verdict.rows})` : ''}\n`);
  return verdict.ok ? EXIT_OK : EXIT_FINDINGS;
}

/** `cea register export`: change reports and the access register plus the dossier's state, as JSON or CSV; `cea register verify`: the access register's chain. */
export const registerCommand: Command = {
  name: 'register',
  summary: 'export the register: change reports, accesses and the filing dossier state (JSON or CSV); verify the access register',
  usage:
    'register export [--config FILE] [--from DATE|ISO] [--to DATE|ISO] [--format csv|json] [--json] [--now ISO]\n' +
    '       register verify [--config FILE] [--checkpoint SEQ:SHA256] [--json]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      now: { type: 'string' },
      checkpoint: { type: 'string' },
    });
    if (positionals.length !== 1 || (positionals[0] !== 'export' && positionals[0] !== 'verify')) {
      throw new UsageError(positionals.length === 0 ? 'missing sub-command (export, verify)' : `unknown sub-command "${positionals.join(' ')}" (expected export or verify)`);
    }
    if (positionals[0] === 'verify') {
      for (const o of ['from', 'to', 'format'] as const) if (values[o] !== undefined) throw new UsageError(`--${o} is not an option of register verify`);
      const checkpoint = parseCheckpoint(values.checkpoint);
      const verifyNow = commandNow(values.now);
      const verifyConfig = loadCommandConfig('register', values.config, io);
      if (!verifyConfig) return EXIT_USAGE;
      return verifyRegister(verifyConfig, values.json ?? false, checkpoint, verifyNow, io);
    }
    if (values.checkpoint !== undefined) throw new UsageError('--checkpoint is an option of register verify');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new UsageError(`--format must be csv or json, not "${format}"`);
    if (values.json && format === 'csv') throw new UsageError('--json and --format csv contradict each other');
    const now = commandNow(values.now);
    const config: AgentConfig | null = loadCommandConfig('register', values.config, io);
    if (!config) return EXIT_USAGE;

    const period: RegisterPeriod = {
      from: periodBound('from', values.from, config.site.timezone),
      to: periodBound('to', values.to, config.site.timezone),
    };
    if (period.from && period.to && period.from >= period.to) throw new UsageError('--from must be before --to');

    const { db, problem } = openDatabaseReadOnly(config.database, now);
    let rows;
    try {
      const dossier = await gatherDossier(config, db, problem, now);
      rows = collectRegister(registerSources(db, dossier), period);
    } finally {
      db?.close();
    }
    if (problem) io.stderr.write(`cea register: ${problem}; no change reports or accesses to export\n`);

    if (format === 'csv') io.stdout.write(registerCsv(rows));
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
