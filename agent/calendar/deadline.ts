// Deadlines counted in working days (Liaoning Art. 12: report a change within three
// working days). The day of the change does not count; the deadline is the Nth working
// day after it, as a local date of the site's time zone. Pure: the instant is given.
import {
  calendarDaysAfter,
  checkTimeZone,
  describeDay,
  isDate,
  localDate,
  yearOf,
  type WorkingDayCalendar,
} from './calendar.js';

/** A day passed over while counting, and why it does not count. */
export interface SkippedDay {
  date: string;
  reason: 'weekend' | 'holiday';
  /** Official name of the holiday (reason 'holiday', when the calendar knows it). */
  name?: string;
  nameEn?: string;
}

/** A Saturday/Sunday that counted because the notice makes it a working day. */
export interface CountedMakeUpDay {
  date: string;
  /** The holiday it makes up for. */
  for?: string;
}

export interface Deadline {
  /** The instant of the change, ISO 8601 UTC. */
  from: string;
  workingDays: number;
  /** The last day to report, YYYY-MM-DD in `timeZone`. */
  deadline: string;
  /** False when a counted or skipped day lies in a year the calendar has no data for (then weekdays only). */
  calendarKnown: boolean;
  timeZone: string;
  /** Local date of the change; it does not count. */
  changeDate: string;
  skipped: SkippedDay[];
  makeUpDays: CountedMakeUpDay[];
  /** Years the count ran through without data. */
  unknownYears: number[];
  /** Human-readable; non-empty exactly when calendarKnown is false. */
  warnings: string[];
}

interface Count {
  date: string;
  skipped: SkippedDay[];
  makeUpDays: CountedMakeUpDay[];
  unknownYears: number[];
}

/** Whatever the calendar, a count must end: N working days never need more than this many days. */
const scanLimit = (n: number) => 400 + n * 7;

/** The Nth working day after `date` (the date itself does not count), with what was skipped on the way. */
export function nthWorkingDayAfter(cal: WorkingDayCalendar, date: string, n: number): Count {
  if (!isDate(date)) throw new RangeError(`"${date}" is not a date (expected YYYY-MM-DD)`);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`the number of working days must be a positive integer, got ${n}`);
  const skipped: SkippedDay[] = [];
  const makeUpDays: CountedMakeUpDay[] = [];
  const unknown = new Set<number>();
  let day = date;
  let counted = 0;
  for (let i = 0; counted < n; i++) {
    if (i >= scanLimit(n)) throw new Error(`no ${n} working days found within ${scanLimit(n)} days after ${date}: the calendar marks almost nothing as working`);
    day = calendarDaysAfter(day, 1);
    const info = describeDay(cal, day);
    if (!info.known) unknown.add(yearOf(day));
    if (info.working) {
      counted++;
      if (info.kind === 'makeup_workday') makeUpDays.push({ date: day, ...(info.name !== undefined ? { for: info.name } : {}) });
    } else {
      const reason = info.kind === 'holiday' ? 'holiday' : 'weekend';
      skipped.push({
        date: day,
        reason,
        ...(info.name !== undefined ? { name: info.name } : {}),
        ...(info.nameEn !== undefined ? { nameEn: info.nameEn } : {}),
      });
    }
  }
  return { date: day, skipped, makeUpDays, unknownYears: [...unknown].sort((a, b) => a - b) };
}

/** The deadline for something that happened at `from`, `workingDays` working days later, in the site's zone. */
export function workingDayDeadline(cal: WorkingDayCalendar, from: Date, workingDays: number, timeZone: string): Deadline {
  checkTimeZone(timeZone);
  const changeDate = localDate(from, timeZone);
  const count = nthWorkingDayAfter(cal, changeDate, workingDays);
  const warnings = count.unknownYears.length > 0 ? [unknownYearsWarning(cal, count.unknownYears)] : [];
  return {
    from: from.toISOString(),
    workingDays,
    deadline: count.date,
    calendarKnown: count.unknownYears.length === 0,
    timeZone,
    changeDate,
    skipped: count.skipped,
    makeUpDays: count.makeUpDays,
    unknownYears: count.unknownYears,
    warnings,
  };
}

/** The warning for years without data, naming what the calendar does cover and how to fix it. */
export function unknownYearsWarning(cal: WorkingDayCalendar, years: readonly number[]): string {
  const covers = cal.years.length === 0 ? 'no year' : cal.years.join(', ');
  const list = years.join(', ');
  return (
    `the working-day calendar has no data for ${list} (it covers ${covers}): days in ${list} were counted Monday–Friday only, ` +
    `so a public holiday or make-up working day there is not taken into account; add the State Council holiday notice for ${list} ` +
    '(see config/calendar/README.md)'
  );
}

/**
 * Working days after `fromDate` up to and including `toDate` (0 when toDate is not
 * after fromDate). workingDaysBetween(cal, today, deadline) is the working days left.
 */
export function workingDaysBetween(cal: WorkingDayCalendar, fromDate: string, toDate: string): number {
  if (!isDate(fromDate)) throw new RangeError(`"${fromDate}" is not a date (expected YYYY-MM-DD)`);
  if (!isDate(toDate)) throw new RangeError(`"${toDate}" is not a date (expected YYYY-MM-DD)`);
  let n = 0;
  for (let day = calendarDaysAfter(fromDate, 1); day <= toDate; day = calendarDaysAfter(day, 1)) {
    if (cal.isWorkingDay(day).working) n++;
  }
  return n;
}

/** The last working day before `date` (e.g. the day for a reminder before a deadline). */
export function previousWorkingDay(cal: WorkingDayCalendar, date: string): string {
  if (!isDate(date)) throw new RangeError(`"${date}" is not a date (expected YYYY-MM-DD)`);
  let day = date;
  for (let i = 0; i < scanLimit(1); i++) {
    day = calendarDaysAfter(day, -1);
    if (cal.isWorkingDay(day).working) return day;
  }
  throw new Error(`no working day found within ${scanLimit(1)} days before ${date}`);
}
