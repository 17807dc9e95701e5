// Reading and validating a working-day calendar file. The bundled file
// (config/calendar/cn-workdays.json) is the fallback; a configured file replaces it.
// The loader never throws on a bad file: it returns the errors (positioned
// file:line:col, like config errors) and the calendar to use, and the caller decides.
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readReferencedFile } from '../config/files.js';
import { formatConfigIssue, type IssueSink } from '../config/issues.js';
import type { ConfigIssue } from '../config/types.js';
import { decodeUtf8, parseYamlMapping } from '../config/yaml-source.js';
import { reportZodIssues } from '../config/zod-issues.js';
import { packageRoot } from '../package-root.js';
import {
  DataCalendar,
  dayNumber,
  dayOfWeek,
  isDate,
  weekdaysOnlyCalendar,
  yearOf,
  type CalendarYear,
  type WorkingDayCalendar,
} from './calendar.js';

export const CALENDAR_FORMAT = 1;

/** A holiday block longer than this is a typo, not a holiday (the longest ever was 9 days). */
const MAX_BLOCK_DAYS = 31;

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const text = () => z.string().trim().min(1, { message: 'must not be empty' });
const date = () => z.string().refine(isDate, { message: 'must be a real date written YYYY-MM-DD' });

const holidaySchema = z.strictObject({
  name: text().describe('Official name as in the notice, e.g. 春节.'),
  nameEn: text().optional(),
  from: date(),
  to: date(),
  text: z.string().optional().describe("The notice's own sentence for this holiday."),
});

const yearSchema = z.strictObject({
  year: z.number().int().min(1949).max(2200),
  source: z.strictObject({
    title: text().describe('Title of the notice, e.g. 国务院办公厅关于2026年部分节假日安排的通知.'),
    document: text().optional().describe('Document number, e.g. 国办发明电〔2025〕7号.'),
    published: date().optional(),
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
      .optional(),
  }),
  notes: z.array(z.string()).default([]),
  holidays: z.array(holidaySchema),
  workdays: z.array(z.strictObject({ date: date(), for: text().describe('The holiday this make-up working day is for.') })).default([]),
});

export const calendarFileSchema = z.strictObject({
  format: z.literal(CALENDAR_FORMAT),
  region: text().optional(),
  description: z.string().optional(),
  years: z.array(yearSchema),
});

export type CalendarFileRead =
  | { ok: true; file: string; years: CalendarYear[]; warnings: ConfigIssue[] }
  | { ok: false; file: string; errors: ConfigIssue[]; warnings: ConfigIssue[] };

const at11 = (file: string, message: string): ConfigIssue => ({ file, line: 1, column: 1, path: '', message });

/** Reads and validates one calendar file (JSON; parsed by the YAML parser, a superset, for line:col positions). */
export function readCalendarFile(file: string): CalendarFileRead {
  const read = readReferencedFile(file);
  if (!read.ok) return { ok: false, file, errors: [at11(file, read.reason)], warnings: [] };
  const decoded = decodeUtf8(read.data, file);
  if (!decoded.ok) return { ok: false, file, errors: [decoded.error], warnings: [] };
  if (decoded.text.trim() === '') return { ok: false, file, errors: [at11(file, 'the file is empty: expected {"format": 1, "years": [...]}')], warnings: [] };
  const source = parseYamlMapping(decoded.text, file);
  if (!source.ok) {
    // parseYamlMapping words its top-level complaints for the agent config; say what a calendar is instead.
    const errors = source.errors.map((e) =>
      e.message.includes('site:') ? { ...e, message: 'the top level must be an object: {"format": 1, "years": [...]}' } : e,
    );
    return { ok: false, file, errors, warnings: source.warnings };
  }
  const { sink } = source;
  const parsed = calendarFileSchema.safeParse(source.value);
  if (!parsed.success) {
    reportZodIssues(calendarFileSchema, parsed.error.issues, source.value, sink);
    return { ok: false, file, errors: sink.errors, warnings: sink.warnings };
  }
  checkSemantics(parsed.data.years, sink);
  if (sink.errors.length > 0) return { ok: false, file, errors: sink.errors, warnings: sink.warnings };
  const years: CalendarYear[] = parsed.data.years.map((y) => ({
    year: y.year,
    source: {
      title: y.source.title,
      ...(y.source.document !== undefined ? { document: y.source.document } : {}),
      ...(y.source.published !== undefined ? { published: y.source.published } : {}),
      ...(y.source.url !== undefined ? { url: y.source.url } : {}),
    },
    notes: y.notes,
    holidays: y.holidays.map((h) => ({
      name: h.name,
      from: h.from,
      to: h.to,
      ...(h.nameEn !== undefined ? { nameEn: h.nameEn } : {}),
      ...(h.text !== undefined ? { text: h.text } : {}),
    })),
    workdays: y.workdays.map((w) => ({ date: w.date, for: w.for })),
  }));
  return { ok: true, file, years, warnings: sink.warnings };
}

type FileYears = z.output<typeof calendarFileSchema>['years'];

/** What the schema cannot see: the dates must make sense together. */
function checkSemantics(years: FileYears, sink: IssueSink): void {
  const seenYears = new Map<number, number>();
  // Every holiday day and make-up day of the whole file, to catch overlaps across notices.
  const taken = new Map<string, string>();
  years.forEach((y, yi) => {
    const first = seenYears.get(y.year);
    if (first !== undefined) sink.error(['years', yi, 'year'], `duplicate year ${y.year} (also years[${first}])`);
    else seenYears.set(y.year, yi);
    // A notice may reach into the neighbouring years (a New Year block from 31 December).
    const near = (d: string) => Math.abs(yearOf(d) - y.year) <= 1;
    if (y.holidays.length === 0) {
      // An empty year would read as "known, no holidays": add a year only from its published notice.
      sink.error(['years', yi, 'holidays'], `year ${y.year} has no holidays; leave a year out until its State Council notice is published`);
    }
    y.holidays.forEach((h, hi) => {
      const path = ['years', yi, 'holidays', hi];
      const from = dayNumber(h.from) ?? 0;
      const to = dayNumber(h.to) ?? 0;
      if (!near(h.from)) sink.error([...path, 'from'], `${h.from} is not in or next to ${y.year}, the year of this notice`);
      if (!near(h.to)) sink.error([...path, 'to'], `${h.to} is not in or next to ${y.year}, the year of this notice`);
      if (to < from) {
        sink.error([...path, 'to'], `${h.to} is before from (${h.from})`);
        return;
      }
      if (to - from + 1 > MAX_BLOCK_DAYS) {
        sink.error([...path, 'to'], `a holiday of ${to - from + 1} days (${h.from} to ${h.to}) is longer than ${MAX_BLOCK_DAYS}: a typo?`);
        return;
      }
      for (let n = from; n <= to; n++) {
        const d = new Date(n * 86_400_000).toISOString().slice(0, 10);
        const other = taken.get(d);
        if (other !== undefined) {
          sink.error(path, `${d} is already ${other}`);
          break;
        }
        taken.set(d, `in the holiday ${h.name} (${y.year})`);
      }
    });
    const names = new Set(y.holidays.map((h) => h.name));
    y.workdays.forEach((w, wi) => {
      const path = ['years', yi, 'workdays', wi];
      if (!near(w.date)) sink.error([...path, 'date'], `${w.date} is not in or next to ${y.year}, the year of this notice`);
      const dow = dayOfWeek(w.date);
      if (dow !== 0 && dow !== 6) {
        sink.error([...path, 'date'], `${w.date} is a ${WEEKDAY_NAMES[dow] ?? ''}: a make-up working day (调休上班) is always a Saturday or Sunday`);
      }
      const other = taken.get(w.date);
      if (other !== undefined) sink.error([...path, 'date'], `${w.date} is already ${other}`);
      else taken.set(w.date, `a make-up working day (${y.year})`);
      if (!names.has(w.for)) sink.warn([...path, 'for'], `"${w.for}" is not the name of a holiday of ${y.year} (${[...names].join(', ')})`);
    });
  });
}

export function defaultCalendarFile(): string {
  return join(packageRoot(), 'config', 'calendar', 'cn-workdays.json');
}

export interface LoadCalendarOptions {
  /** A replacement calendar file (the config's calendar.file); null/undefined: the bundled one. */
  file?: string | null;
  /** Default: <package root>/config/calendar/cn-workdays.json. */
  bundledFile?: string;
  /** Base of a relative `file`. Default: the process working directory. */
  cwd?: string;
}

export interface LoadedCalendar {
  calendar: WorkingDayCalendar;
  /** The file the calendar came from, or '<weekdays only>' when no file could be used. */
  source: string;
  /** Problems with the configured (or bundled) file, as "file:line:col path: message"; the calendar returned is still usable. */
  errors: string[];
  warnings: string[];
}

export const WEEKDAYS_ONLY_SOURCE = '<weekdays only>';

/**
 * The calendar to use: the configured file when it is valid, else the bundled file,
 * else weekdays only (every date unknown). Never throws for a bad file.
 */
export function loadCalendar(opts: LoadCalendarOptions = {}): LoadedCalendar {
  const bundledFile = opts.bundledFile ?? defaultCalendarFile();
  const errors: string[] = [];
  const warnings: string[] = [];
  const bundled = readCalendarFile(bundledFile);

  if (opts.file !== undefined && opts.file !== null) {
    const file = resolve(opts.cwd ?? process.cwd(), opts.file);
    const configured = readCalendarFile(file);
    warnings.push(...configured.warnings.map(formatConfigIssue));
    if (configured.ok) {
      if (bundled.ok) {
        // The configured file replaces the bundled one: years it leaves out fall back to weekdays only.
        const have = new Set(configured.years.map((y) => y.year));
        const lost = bundled.years.map((y) => y.year).filter((y) => !have.has(y));
        if (lost.length > 0) {
          warnings.push(`${file}: has no data for ${lost.join(', ')}, which the bundled calendar has; it replaces the bundled calendar, so those years count Monday–Friday only`);
        }
      }
      return { calendar: new DataCalendar(configured.years), source: file, errors, warnings };
    }
    errors.push(...configured.errors.map(formatConfigIssue));
    warnings.push(`${file}: not used because of the errors above; using ${bundled.ok ? `the bundled calendar ${bundledFile}` : 'Monday–Friday only'}`);
  }

  if (bundled.ok) {
    warnings.push(...bundled.warnings.map(formatConfigIssue));
    return { calendar: new DataCalendar(bundled.years), source: bundledFile, errors, warnings };
  }
  errors.push(...bundled.errors.map(formatConfigIssue));
  return { calendar: weekdaysOnlyCalendar(), source: WEEKDAYS_ONLY_SOURCE, errors, warnings };
}
