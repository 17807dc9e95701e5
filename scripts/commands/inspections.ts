// `cea inspections [--config F] [--json] [--limit N]`: the inspection history — every
// diagnose run (CLI, verb, console) with its result and where its report went — the record
// of safety inspections (Liaoning Art. 14 (ii)) and acceptance tests (Datong Art. 14).
import { listInspections, type Inspection } from '../../agent/diagnose/inspections.js';
import { formatDateTime } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command } from '../cli/command.js';
import { loadCommandConfig, openDatabaseReadOnly } from './dossier.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export const inspectionsCommand: Command = {
  name: 'inspections',
  summary: 'the inspection history: every diagnose run with its result and report directory',
  usage: 'inspections [--config FILE] [--json] [--limit N]',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, json: { type: 'boolean' }, limit: { type: 'string' } }, false);
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: "${values.limit}" is not a positive whole number`);
    const config = loadCommandConfig('inspections', values.config, io);
    if (!config) return EXIT_USAGE;
    const opened = openDatabaseReadOnly(config.database, new Date());
    let list: Inspection[] = [];
    let problem = opened.problem;
    if (opened.db) {
      try {
        list = listInspections(opened.db, { limit });
      } catch (err) {
        problem = `the inspection history cannot be read: ${(err as Error).message} (start the agent once so it updates the database)`;
      } finally {
        opened.db.close();
      }
    }
    if (values.json === true) {
      printJson(io, problem !== null ? { inspections: list, problem } : { inspections: list });
      return problem !== null ? EXIT_FINDINGS : EXIT_OK;
    }
    if (problem !== null) {
      io.stderr.write(`cea inspections: ${problem}\n`);
      return EXIT_FINDINGS;
    }
    if (list.length === 0) {
      io.stdout.write('no inspection recorded yet (run `cea diagnose`)\n');
      return EXIT_OK;
    }
    const tz = config.site.timezone;
    const rows = [
      [`time (${tz})`, 'source', 'requester', 'camera', 'result', 'pass/warn/fail', 'report'],
      ...list.map((i) => [
        formatDateTime(Date.parse(i.at), tz, { seconds: true }),
        i.source,
        i.requester,
        i.camera ?? 'all',
        i.result,
        `${i.pass}/${i.warn}/${i.fail}`,
        i.reportDir ?? '-',
      ]),
    ];
    io.stdout.write(`${table(rows)}\n`);
    return EXIT_OK;
  },
};
