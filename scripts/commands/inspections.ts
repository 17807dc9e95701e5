// `cea inspections [--config F] [--json] [--limit N]`: the inspection history — every
// diagnose run (CLI, verb, console) with its result and where its report went — the record
// of safety inspections (Liaoning Art. 14 (ii)) and acceptance tests (Datong Art. 14).
// The table is in the CLI's language, times in the site's zone; --json is the same in every language.
import { listInspections, type Inspection } from '../../agent/diagnose/inspections.js';
import { diagnoseCliTexts } from '../../agent/i18n/diagnose.js';
import { formatDateTime, translator } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage } from '../cli/lang.js';
import { displayWidth } from '../cli/table.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command } from '../cli/command.js';
import { loadCommandConfig, openDatabaseReadOnly } from './dossier.js';

// Padded in terminal columns: a Chinese header is twice as wide as its characters.
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i] ?? ''))));
  const pad = (c: string, w: number) => c + ' '.repeat(Math.max(0, w - displayWidth(c)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd()).join('\n');
}

export const inspectionsCommand: Command = {
  name: 'inspections',
  summary: 'the inspection history: every diagnose run with its result and report directory',
  usage: 'inspections [--config FILE] [--json] [--limit N] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, json: { type: 'boolean' }, limit: { type: 'string' }, lang: { type: 'string' } }, false);
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      const p = { value: values.limit ?? '' };
      throw new UsageError(translator(diagnoseCliTexts, 'en')('badLimit', p), translator(diagnoseCliTexts, 'zh-CN')('badLimit', p));
    }
    const config = loadCommandConfig('inspections', values.config, io);
    if (!config) return EXIT_USAGE;
    const lang = commandLanguage(io, values.lang, config);
    const say = translator(diagnoseCliTexts, lang);
    const opened = openDatabaseReadOnly(config.database, new Date());
    let list: Inspection[] = [];
    let problem = opened.problem;
    let unreadable: string | null = null;
    if (opened.db) {
      try {
        list = listInspections(opened.db, { limit });
      } catch (err) {
        unreadable = (err as Error).message;
        problem = translator(diagnoseCliTexts, 'en')('historyUnreadable', { message: unreadable });
      } finally {
        opened.db.close();
      }
    }
    if (values.json === true) {
      printJson(io, problem !== null ? { inspections: list, problem } : { inspections: list });
      return problem !== null ? EXIT_FINDINGS : EXIT_OK;
    }
    if (problem !== null) {
      io.stderr.write(`cea inspections: ${unreadable !== null ? say('historyUnreadable', { message: unreadable }) : problem}\n`);
      return EXIT_FINDINGS;
    }
    if (list.length === 0) {
      io.stdout.write(`${say('noInspection')}\n`);
      return EXIT_OK;
    }
    const tz = config.site.timezone;
    const rows = [
      [say('colTime', { tz }), say('colSource'), say('colRequester'), say('colCamera'), say('colResult'), say('colCounts'), say('colReport')],
      ...list.map((i) => [
        formatDateTime(Date.parse(i.at), tz, { seconds: true }),
        say(`source_${i.source}`),
        i.requester,
        i.camera ?? say('allCameras'),
        say(`status_${i.result}`),
        `${i.pass}/${i.warn}/${i.fail}`,
        i.reportDir ?? '-',
      ]),
    ];
    io.stdout.write(`${table(rows)}\n`);
    return EXIT_OK;
  },
};
