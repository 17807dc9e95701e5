import type { AgentConfig } from '../../agent/config/index.js';
import { isCalendarDate, startOfSiteDay, addDays } from '../../agent/filing/dates.js';
import type { Dossier } from '../../agent/filing/policy.js';
import { changeReportSource } from '../../agent/register/change-reports.js';
import { registerCsv } from '../../agent/register/csv.js';
import { REGISTER_COLUMNS, collectRegister, dossierRow, type RegisterPeriod, type RegisterSource } from '../../agent/register/rows.js';
import type { Database } from '../../drivers/store/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command } from '../cli/command.js';
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
 * whatever the period. The access register adds its source here.
 */
function registerSources(db: Database | null, dossier: Dossier): RegisterSource[] {
  return [changeReportSource(db), { kind: 'dossier', rows: () => [dossierRow(dossier)] }];
}

function periodText(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

/** `cea register export`: change reports (and later the access register) plus the dossier's state, as JSON or CSV. */
export const registerCommand: Command = {
  name: 'register',
  summary: 'export the register: change reports and the filing dossier state (JSON or CSV)',
  usage: 'register export [--config FILE] [--from DATE|ISO] [--to DATE|ISO] [--format csv|json] [--json] [--now ISO]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      now: { type: 'string' },
    });
    if (positionals.length !== 1 || positionals[0] !== 'export') {
      throw new UsageError(positionals.length === 0 ? 'missing sub-command (export)' : `unknown sub-command "${positionals.join(' ')}" (expected export)`);
    }
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
    if (problem) io.stderr.write(`cea register: ${problem}; no change reports to export\n`);

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
