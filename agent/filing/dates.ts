// Calendar dates (YYYY-MM-DD) as the site lives them: the law counts filing periods in
// days of the site's calendar, not in UTC. The date arithmetic is the calendar's.
import { calendarDaysAfter, dayNumber, isDate, localDate, startOfLocalDay } from '../calendar/index.js';

export { calendarDaysAfter as addDays, isDate as isCalendarDate, localDate as siteDate, startOfLocalDay as startOfSiteDay };

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const a = dayNumber(from);
  const b = dayNumber(to);
  if (a === null || b === null) throw new RangeError(`not a date YYYY-MM-DD: ${a === null ? from : to}`);
  return b - a;
}
