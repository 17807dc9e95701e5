// `cea deadline DATETIME`: the Nth working day after the day of DATETIME in the site's
// time zone (Liaoning Art. 12: a change is reported within three working days).
import {
  calendarDaysAfter,
  checkTimeZone,
  isDate,
  loadCalendar,
  startOfLocalDay,
  workingDayDeadline,
  type Deadline,
  type SkippedDay,
} from '../../agent/calendar/index.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { translator, type Language } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command } from '../cli/command.js';

const DEFAULT_WORKING_DAYS = 3;
/** More than a quarter of working days is not a reporting window; a bigger N is a typo. */
const MAX_WORKING_DAYS = 60;
const DEFAULT_TIMEZONE = 'Asia/Shanghai';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * The instant of DATETIME: ISO 8601 with an offset or Z, or a date alone (then the
 * start of that date in the time zone). A local time without offset is refused: on a
 * box whose clock zone may differ from the site's, it would be a guess.
 */
export function parseChangeTime(text: string, timeZone: string): Date {
  if (DATE_ONLY.test(text)) {
    if (!isDate(text)) throw usageError('err.notDate', { value: text });
    return startOfLocalDay(text, timeZone);
  }
  const m = DATE_TIME.exec(text);
  if (!m) {
    const needsOffset = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text);
    throw usageError('err.notDateTime', { value: text, needsOffset });
  }
  const [, date = '', hh = '', mm = '', ss = '00', frac = '', zone = ''] = m;
  if (!isDate(date) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) throw usageError('err.invalidDateTime', { value: text });
  let offset = zone.toUpperCase();
  if (offset !== 'Z') {
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) throw usageError('err.badOffset', { value: text });
    offset = `${offset[0]}${digits.slice(0, 2)}:${String(om).padStart(2, '0')}`;
  }
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const instant = new Date(`${date}T${hh}:${mm}:${ss}.${ms}${offset}`);
  if (Number.isNaN(instant.getTime())) throw usageError('err.invalidDateTime', { value: text });
  return instant;
}

function workingDaysArg(v: string | undefined): number {
  if (v === undefined) return DEFAULT_WORKING_DAYS;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > MAX_WORKING_DAYS) {
    throw usageError('err.workingDays', { max: MAX_WORKING_DAYS, value: v });
  }
  return n;
}

function timeZoneArg(v: string | undefined): string {
  const tz = v ?? DEFAULT_TIMEZONE;
  try {
    checkTimeZone(tz);
  } catch {
    throw usageError('err.timezone', { value: tz });
  }
  return tz;
}

export const deadlineCommand: Command = {
  name: 'deadline',
  summary: 'the Nth working day after a change (default 3: Liaoning Art. 12 change reports)',
  usage: 'deadline DATETIME [--working-days N] [--timezone TZ] [--calendar FILE] [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      'working-days': { type: 'string' },
      timezone: { type: 'string' },
      calendar: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'err.missingDatetime' : 'err.oneDatetime');
    // No config here: --lang, CEA_LANG, else English.
    const lang = commandLanguage(io, values.lang);
    const t = translator(cliCatalog, lang);
    const workingDays = workingDaysArg(values['working-days']);
    const timeZone = timeZoneArg(values.timezone);
    const from = parseChangeTime(positionals[0] ?? '', timeZone);

    const loaded = loadCalendar({ file: values.calendar ?? null, cwd: io.cwd });
    if (values.calendar !== undefined && loaded.errors.length > 0) {
      // The user named this file: answering from another calendar would hide that it is broken.
      for (const e of loaded.errors) io.stderr.write(`cea deadline: ${e}\n`);
      if (values.json) printJson(io, { errors: loaded.errors });
      return EXIT_USAGE;
    }
    const result = workingDayDeadline(loaded.calendar, from, workingDays, timeZone);
    // A broken bundled file still gets an answer (weekdays only, calendarKnown false), with why.
    const warnings = [...loaded.errors, ...loaded.warnings, ...result.warnings];
    for (const w of warnings) io.stderr.write(`cea deadline: ${t('warning')}${w}\n`);

    if (values.json) {
      printJson(io, {
        from: result.from,
        workingDays: result.workingDays,
        deadline: result.deadline,
        calendarKnown: result.calendarKnown,
        timezone: result.timeZone,
        changeDate: result.changeDate,
        skipped: result.skipped,
        makeUpDays: result.makeUpDays,
        calendar: { source: loaded.source, years: loaded.calendar.years },
        warnings,
      });
    } else {
      io.stdout.write(`${humanLine(result, lang)}\n`);
    }
    return EXIT_OK;
  },
};

/** One line: the deadline, what it counts from, and the days passed over (runs of days grouped). */
export function humanLine(d: Deadline, lang: Language = 'en'): string {
  const t = translator(cliCatalog, lang);
  const parts = [t('deadline.line', { deadline: d.deadline, n: d.workingDays, changeDate: d.changeDate, zone: d.timeZone })];
  parts.push(d.skipped.length === 0 ? t('deadline.skippedNothing') : t('deadline.skipped', { list: groupSkipped(d.skipped, lang).join(t('deadline.listSep')) }));
  if (d.makeUpDays.length > 0) {
    parts.push(t('deadline.makeUp', { dates: d.makeUpDays.map((m) => m.date).join(t('deadline.listSep')), count: d.makeUpDays.length }));
  }
  if (!d.calendarKnown) parts.push(t('deadline.unknownYears', { years: d.unknownYears.join(t('deadline.listSep')) }));
  return parts.join(t('deadline.sep'));
}

/** The official Chinese holiday name; English adds the English one after it. */
function label(s: SkippedDay, lang: Language): string {
  const t = translator(cliCatalog, lang);
  if (s.reason === 'weekend') return t('deadline.weekend');
  const names = lang === 'en' ? [s.name, s.nameEn] : [s.name];
  return names.filter((x) => x !== undefined).join(' ') || t('deadline.holiday');
}

function groupSkipped(days: readonly SkippedDay[], lang: Language): string[] {
  const t = translator(cliCatalog, lang);
  const runs: { first: string; last: string; label: string }[] = [];
  let prev: SkippedDay | undefined;
  for (const s of days) {
    const run = runs[runs.length - 1];
    const l = label(s, lang);
    if (run && prev && run.label === l && calendarDaysAfter(prev.date, 1) === s.date) run.last = s.date;
    else runs.push({ first: s.date, last: s.date, label: l });
    prev = s;
  }
  const paren = (x: string) => (lang === 'zh-CN' ? `（${x}）` : ` (${x})`);
  return runs.map((r) => `${r.first === r.last ? r.first : t('deadline.range', { first: r.first, last: r.last })}${paren(r.label)}`);
}
