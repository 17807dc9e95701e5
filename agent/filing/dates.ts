// Calendar dates (YYYY-MM-DD) as the site lives them: the law counts filing periods in
// days of the site's calendar, not in UTC. Pure; time comes in as arguments.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The site-calendar date of an instant, e.g. 2024-06-01T17:00:00Z → 2024-06-02 in Asia/Shanghai. */
export function siteDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

function utcDay(date: string): number {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`not a date YYYY-MM-DD: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

const DAY_MS = 86_400_000;

export function addDays(date: string, days: number): string {
  return new Date(utcDay(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((utcDay(to) - utcDay(from)) / DAY_MS);
}

/** Minutes the zone is ahead of UTC at an instant (Asia/Shanghai: 480). */
function zoneOffsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The instant a site-calendar day begins (two passes, so a DST change near midnight lands right). */
export function startOfSiteDay(date: string, timeZone: string): Date {
  const midnightUtc = utcDay(date);
  let guess = midnightUtc - zoneOffsetMinutes(midnightUtc, timeZone) * 60_000;
  guess = midnightUtc - zoneOffsetMinutes(guess, timeZone) * 60_000;
  return new Date(guess);
}

export function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  return addDays(text, 0) === text;
}
