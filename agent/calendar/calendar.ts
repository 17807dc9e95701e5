// The working-day calendar: which dates are working days at the site, per the State
// Council General Office's annual holiday notice (Liaoning Art. 12 counts the change
// report window in working days). Pure: dates are plain 'YYYY-MM-DD' strings, days
// are counted on the proleptic Gregorian calendar in UTC arithmetic, no clock.

/** Where a year's data comes from: the notice, as the State Council published it. */
export interface CalendarSource {
  year: number;
  title: string;
  /** Document number, e.g. 国办发明电〔2024〕12号. */
  document?: string;
  /** Publication date, YYYY-MM-DD. */
  published?: string;
  url?: string;
}

export interface WorkingDayCalendar {
  /** Years with data, ascending. */
  readonly years: number[];
  /** `known` is false for a date in a year the data does not cover (then: Monday–Friday only). */
  isWorkingDay(date: string): { working: boolean; known: boolean };
  readonly sources: CalendarSource[];
  /** Why a day is (not) a working day; optional so that a test double needs only isWorkingDay. */
  describe?(date: string): DayInfo;
}

/**
 * - `weekday`: an ordinary Monday–Friday (working);
 * - `weekend`: an ordinary Saturday/Sunday (not working);
 * - `holiday`: inside a public-holiday block of the notice (not working);
 * - `makeup_workday`: a Saturday/Sunday the notice makes a working day (调休上班).
 */
export type DayKind = 'weekday' | 'weekend' | 'holiday' | 'makeup_workday';

export interface DayInfo {
  date: string;
  working: boolean;
  known: boolean;
  kind: DayKind;
  /** The holiday (official name), or for a make-up working day the holiday it makes up for. */
  name?: string;
  /** English name of the holiday, when the data has one. */
  nameEn?: string;
}

/** One public-holiday block of a notice, both ends included, as the notice states it. */
export interface HolidayBlock {
  name: string;
  nameEn?: string;
  from: string;
  to: string;
  /** The notice's own sentence, kept so the dates can be checked against it. */
  text?: string;
}

/** A weekend day the notice makes a working day. */
export interface MakeUpWorkday {
  date: string;
  /** The holiday it makes up for (official name). */
  for: string;
}

/** One year of data: one notice. */
export interface CalendarYear {
  year: number;
  source: Omit<CalendarSource, 'year'>;
  holidays: HolidayBlock[];
  workdays: MakeUpWorkday[];
  notes?: string[];
}

// ---------------------------------------------------------------------------------
// Dates

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a valid 'YYYY-MM-DD', or null when the text is not a real date (2025-02-30). */
export function dayNumber(date: string): number | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  // Date.UTC rolls over (Feb 30 → Mar 2); a round trip tells a real date from one that rolled.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return t / DAY_MS;
}

export function isDate(date: string): boolean {
  return dayNumber(date) !== null;
}

function requireDay(date: string): number {
  const n = dayNumber(date);
  if (n === null) throw new RangeError(`"${date}" is not a date (expected YYYY-MM-DD)`);
  return n;
}

function fromDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  return new Date(requireDay(date) * DAY_MS).getUTCDay();
}

export function isWeekend(date: string): boolean {
  const d = dayOfWeek(date);
  return d === 0 || d === 6;
}

export function yearOf(date: string): number {
  requireDay(date);
  return Number(date.slice(0, 4));
}

/**
 * The date `days` calendar days after `date` (negative: before). Filing periods
 * (30 days, 60 for existing systems) are calendar days, not working days.
 */
export function calendarDaysAfter(date: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError(`days must be an integer, got ${days}`);
  return fromDayNumber(requireDay(date) + days);
}

/** Throws RangeError for a name Intl does not know as a time zone. */
export function checkTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

// Building an Intl formatter is slow and the agent dates every change: keep one per zone.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let f = dateFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, f);
  }
  return f;
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone: 2026-02-13T17:30Z is 2026-02-14 in Asia/Shanghai. */
export function localDate(instant: Date, timeZone: string): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError('invalid instant');
  const parts = dateFormat(timeZone).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year').padStart(4, '0')}-${get('month')}-${get('day')}`;
}

/** UTC offset of a time zone at an instant, in milliseconds (east positive). */
function offsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The first instant of a local date in a time zone (local midnight; where a DST jump
 * skips midnight, the first instant that is on that date).
 */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const day = requireDay(date) * DAY_MS;
  // Offsets are at most ±14 h, so local midnight lies within a day of UTC midnight.
  let t = day - offsetMs(day + 12 * 3_600_000, timeZone);
  if (localDate(new Date(t), timeZone) !== date) t = day - offsetMs(day, timeZone);
  // Still not on the date: midnight does not exist there; step to the first hour that does.
  for (let i = 0; i < 3 && localDate(new Date(t), timeZone) !== date; i++) t += 3_600_000;
  return new Date(t);
}

// ---------------------------------------------------------------------------------
// The calendar built from data

interface DayEntry {
  kind: 'holiday' | 'makeup_workday';
  name: string;
  nameEn?: string;
}

/** A calendar over the years of the data; validated data only (load.ts checks files). */
export class DataCalendar implements WorkingDayCalendar {
  readonly years: number[];
  readonly sources: CalendarSource[];
  private readonly covered: Set<number>;
  private readonly days = new Map<string, DayEntry>();

  constructor(readonly data: readonly CalendarYear[]) {
    const sorted = [...data].sort((a, b) => a.year - b.year);
    this.years = sorted.map((y) => y.year);
    this.covered = new Set(this.years);
    this.sources = sorted.map((y) => ({ year: y.year, ...y.source }));
    const englishNames = new Map<string, string>();
    for (const y of sorted) {
      for (const h of y.holidays) {
        if (h.nameEn !== undefined) englishNames.set(h.name, h.nameEn);
        const last = requireDay(h.to);
        for (let n = requireDay(h.from); n <= last; n++) {
          this.days.set(fromDayNumber(n), { kind: 'holiday', name: h.name, ...(h.nameEn !== undefined ? { nameEn: h.nameEn } : {}) });
        }
      }
    }
    for (const y of sorted) {
      for (const w of y.workdays) {
        const nameEn = englishNames.get(w.for);
        this.days.set(w.date, { kind: 'makeup_workday', name: w.for, ...(nameEn !== undefined ? { nameEn } : {}) });
      }
    }
  }

  isWorkingDay(date: string): { working: boolean; known: boolean } {
    const { working, known } = this.describe(date);
    return { working, known };
  }

  describe(date: string): DayInfo {
    const weekend = isWeekend(date);
    const entry = this.days.get(date);
    // A date the data names is known even when its year is not covered (a notice may
    // reach into the next or previous year, e.g. a New Year block starting 31 Dec).
    const known = entry !== undefined || this.covered.has(yearOf(date));
    if (entry) {
      const named = { name: entry.name, ...(entry.nameEn !== undefined ? { nameEn: entry.nameEn } : {}) };
      return entry.kind === 'holiday'
        ? { date, working: false, known, kind: 'holiday', ...named }
        : { date, working: true, known, kind: 'makeup_workday', ...named };
    }
    return weekend ? { date, working: false, known, kind: 'weekend' } : { date, working: true, known, kind: 'weekday' };
  }
}

/** A calendar with no data: Monday–Friday, every date unknown (when no data file could be read). */
export function weekdaysOnlyCalendar(): WorkingDayCalendar {
  return new DataCalendar([]);
}

/** DayInfo for any calendar: its own describe() when it has one, else derived from isWorkingDay(). */
export function describeDay(cal: WorkingDayCalendar, date: string): DayInfo {
  if (cal.describe) return cal.describe(date);
  const { working, known } = cal.isWorkingDay(date);
  const weekend = isWeekend(date);
  const kind: DayKind = working ? (weekend ? 'makeup_workday' : 'weekday') : weekend ? 'weekend' : 'holiday';
  return { date, working, known, kind };
}
