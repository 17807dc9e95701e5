import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  DataCalendar,
  calendarDaysAfter,
  dayOfWeek,
  defaultCalendarFile,
  loadCalendar,
  localDate,
  previousWorkingDay,
  readCalendarFile,
  startOfLocalDay,
  workingDayDeadline,
  workingDaysBetween,
  type CalendarYear,
  type WorkingDayCalendar,
} from '../../agent/calendar/index.js';
import { loadConfigFile } from '../../agent/config/index.js';
import { makeTempDir } from '../helpers/tmp.js';

// Dates read from the State Council notices themselves (国办发明电〔2023〕7号,
// 〔2024〕12号, 〔2025〕7号; full texts cross-checked in two or more republications,
// see config/calendar/README.md). Written out here, independently of the data file,
// so that a wrong edit of cn-workdays.json fails this test.
const NOTICES: Record<number, { statutoryDays: number; off: [string, string][]; work: string[] }> = {
  2024: {
    statutoryDays: 11,
    off: [
      ['2024-01-01', '2024-01-01'], // 元旦：1月1日放假，与周末连休
      ['2024-02-10', '2024-02-17'], // 春节：2月10日至17日放假调休，共8天
      ['2024-04-04', '2024-04-06'], // 清明节：4月4日至6日
      ['2024-05-01', '2024-05-05'], // 劳动节：5月1日至5日
      ['2024-06-10', '2024-06-10'], // 端午节：6月10日放假，与周末连休
      ['2024-09-15', '2024-09-17'], // 中秋节：9月15日至17日
      ['2024-10-01', '2024-10-07'], // 国庆节：10月1日至7日
    ],
    work: ['2024-02-04', '2024-02-18', '2024-04-07', '2024-04-28', '2024-05-11', '2024-09-14', '2024-09-29', '2024-10-12'],
  },
  2025: {
    statutoryDays: 13,
    off: [
      ['2025-01-01', '2025-01-01'], // 元旦：1月1日（周三）放假1天，不调休
      ['2025-01-28', '2025-02-04'], // 春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二），共8天
      ['2025-04-04', '2025-04-06'], // 清明节：4月4日（周五）至6日（周日）
      ['2025-05-01', '2025-05-05'], // 劳动节：5月1日（周四）至5日（周一），共5天
      ['2025-05-31', '2025-06-02'], // 端午节：5月31日（周六）至6月2日（周一）
      ['2025-10-01', '2025-10-08'], // 国庆节、中秋节：10月1日（周三）至8日（周三），共8天
    ],
    // 1月26日（周日）、2月8日（周六）；4月27日（周日）；9月28日（周日）、10月11日（周六）上班
    work: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'],
  },
  2026: {
    statutoryDays: 13,
    off: [
      ['2026-01-01', '2026-01-03'], // 元旦：1月1日（周四）至3日（周六）
      ['2026-02-15', '2026-02-23'], // 春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一），共9天
      ['2026-04-04', '2026-04-06'], // 清明节：4月4日（周六）至6日（周一）
      ['2026-05-01', '2026-05-05'], // 劳动节：5月1日（周五）至5日（周二）
      ['2026-06-19', '2026-06-21'], // 端午节：6月19日（周五）至21日（周日）
      ['2026-09-25', '2026-09-27'], // 中秋节：9月25日（周五）至27日（周日）
      ['2026-10-01', '2026-10-07'], // 国庆节：10月1日（周四）至7日（周三）
    ],
    // 1月4日（周日）；2月14日（周六）、2月28日（周六）；5月9日（周六）；9月20日（周日）、10月10日（周六）上班
    work: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
  },
};

function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = calendarDaysAfter(d, 1)) out.push(d);
  return out;
}

const isWeekendDay = (d: string) => dayOfWeek(d) === 0 || dayOfWeek(d) === 6;

const bundled = loadCalendar();
const cal = bundled.calendar;
const bundledData = (() => {
  const r = readCalendarFile(defaultCalendarFile());
  if (!r.ok) throw new Error(`bundled calendar invalid: ${JSON.stringify(r.errors)}`);
  return r.years;
})();

describe('the bundled calendar', () => {
  test('loads without errors or warnings and covers 2024–2026 with their notices', () => {
    expect(bundled.errors).toEqual([]);
    expect(bundled.warnings).toEqual([]);
    expect(bundled.source).toBe(defaultCalendarFile());
    expect(cal.years).toEqual([2024, 2025, 2026]);
    expect(cal.sources.map((s) => [s.year, s.document, s.published])).toEqual([
      [2024, '国办发明电〔2023〕7号', '2023-10-25'],
      [2025, '国办发明电〔2024〕12号', '2024-11-12'],
      [2026, '国办发明电〔2025〕7号', '2025-11-04'],
    ]);
    for (const s of cal.sources) {
      expect(s.title).toBe(`国务院办公厅关于${s.year}年部分节假日安排的通知`);
      expect(s.url).toMatch(/^https:\/\/www\.gov\.cn\//);
    }
  });

  test.each([2024, 2025, 2026])('%i: every day of the year matches the notice as written in this test', (year) => {
    const notice = NOTICES[year]!;
    const off = new Set(notice.off.flatMap(([a, b]) => daysOf(a, b)));
    const work = new Set(notice.work);
    const wrong: string[] = [];
    for (const d of daysOf(`${year}-01-01`, `${year}-12-31`)) {
      const expected = work.has(d) || (!off.has(d) && !isWeekendDay(d));
      const got = cal.isWorkingDay(d);
      if (got.working !== expected || !got.known) wrong.push(`${d}: expected ${expected ? 'working' : 'off'}, got ${JSON.stringify(got)}`);
    }
    expect(wrong).toEqual([]);
    // Every make-up day of a notice is a weekend day; every block starts/ends where the notice says.
    expect(notice.work.filter((d) => !isWeekendDay(d))).toEqual([]);
  });

  test.each([2024, 2025, 2026])(
    '%i: weekdays off minus make-up days equal the statutory days (11; 13 after the 2024 revision added 除夕 and 2 May)',
    (year) => {
      const days = daysOf(`${year}-01-01`, `${year}-12-31`);
      const weekdaysOff = days.filter((d) => !isWeekendDay(d) && !cal.isWorkingDay(d).working).length;
      const weekendsWorked = days.filter((d) => isWeekendDay(d) && cal.isWorkingDay(d).working).length;
      expect(weekdaysOff - weekendsWorked).toBe(NOTICES[year]!.statutoryDays);
    },
  );

  test('from the data: every holiday block is off under its name, every make-up day is a working weekend day', () => {
    for (const y of bundledData) {
      for (const h of y.holidays) {
        for (const d of daysOf(h.from, h.to)) {
          expect(cal.describe?.(d), d).toMatchObject({ working: false, known: true, kind: 'holiday', name: h.name });
        }
      }
      for (const w of y.workdays) {
        expect(isWeekendDay(w.date), w.date).toBe(true);
        expect(cal.describe?.(w.date), w.date).toMatchObject({ working: true, known: true, kind: 'makeup_workday', name: w.for });
      }
    }
  });

  test("from the data: the dates and weekdays in each notice sentence agree with the blocks and the calendar", () => {
    const WEEKDAY = '日一二三四五六';
    for (const y of bundledData) {
      const mentioned = new Set<string>();
      for (const h of y.holidays) {
        expect(h.text, `${y.year} ${h.name}`).toBeTruthy();
        let month = 0;
        for (const m of (h.text ?? '').matchAll(/(?:(\d{1,2})月)?(\d{1,2})日(?:（([^）]*)）)?/g)) {
          if (m[1] !== undefined) month = Number(m[1]);
          const date = `${y.year}-${String(month).padStart(2, '0')}-${String(Number(m[2])).padStart(2, '0')}`;
          mentioned.add(date);
          const wd = /(?:周|星期)([日一二三四五六])/.exec(m[3] ?? '');
          if (wd) expect(dayOfWeek(date), `${date} in "${h.text}"`).toBe(WEEKDAY.indexOf(wd[1]!));
        }
        expect(mentioned.has(h.from) && mentioned.has(h.to), `${h.from}..${h.to} in "${h.text}"`).toBe(true);
      }
      for (const w of y.workdays) expect(mentioned.has(w.date), `${w.date} in the ${y.year} notice`).toBe(true);
    }
  });

  test('an ordinary weekend and weekday; 2024 New Year’s Eve stays a working day (the notice only encourages time off)', () => {
    expect(cal.describe?.('2026-03-07')).toEqual({ date: '2026-03-07', working: false, known: true, kind: 'weekend' });
    expect(cal.describe?.('2026-03-09')).toEqual({ date: '2026-03-09', working: true, known: true, kind: 'weekday' });
    expect(cal.isWorkingDay('2024-02-09')).toEqual({ working: true, known: true });
  });
});

describe('dates', () => {
  test('localDate: a late-evening UTC instant is the next day in Shanghai', () => {
    const t = new Date('2026-02-13T17:30:00Z');
    expect(localDate(t, 'Asia/Shanghai')).toBe('2026-02-14');
    expect(localDate(t, 'UTC')).toBe('2026-02-13');
    expect(localDate(new Date('2026-02-13T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-02-13');
    expect(localDate(new Date('2026-02-13T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-02-14');
    expect(localDate(new Date('2026-03-08T07:59:00Z'), 'America/Los_Angeles')).toBe('2026-03-07');
    expect(() => localDate(new Date('x'), 'Asia/Shanghai')).toThrow(RangeError);
    expect(() => localDate(new Date(), 'Mars/Base')).toThrow(RangeError);
  });

  test('startOfLocalDay is local midnight, also on a DST change day', () => {
    expect(startOfLocalDay('2026-02-14', 'Asia/Shanghai').toISOString()).toBe('2026-02-13T16:00:00.000Z');
    expect(startOfLocalDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    // Santiago skips 00:00–01:00 when DST starts: the day begins at 01:00 local.
    const start = startOfLocalDay('2026-09-06', 'America/Santiago');
    expect(localDate(start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(new Date(start.getTime() - 1), 'America/Santiago')).toBe('2026-09-05');
  });

  test('calendarDaysAfter counts calendar days (filing periods of 30 / 60 days)', () => {
    expect(calendarDaysAfter('2026-01-31', 30)).toBe('2026-03-02');
    expect(calendarDaysAfter('2024-02-28', 1)).toBe('2024-02-29');
    expect(calendarDaysAfter('2026-11-27', 60)).toBe('2027-01-26');
    expect(calendarDaysAfter('2026-02-15', 0)).toBe('2026-02-15');
    expect(calendarDaysAfter('2026-03-01', -1)).toBe('2026-02-28');
    expect(() => calendarDaysAfter('2026-02-30', 1)).toThrow(RangeError);
    expect(() => calendarDaysAfter('2026-2-3', 1)).toThrow(RangeError);
    expect(() => calendarDaysAfter('2026-02-03', 1.5)).toThrow(RangeError);
  });
});

describe('workingDayDeadline (3 working days, Asia/Shanghai)', () => {
  const deadline = (iso: string, n = 3, tz = 'Asia/Shanghai') => workingDayDeadline(cal, new Date(iso), n, tz);

  test('17:30Z on 13 Feb 2026 is 14 Feb in Shanghai; the Spring Festival is skipped', () => {
    const d = deadline('2026-02-13T17:30:00Z');
    expect(d).toMatchObject({ from: '2026-02-13T17:30:00.000Z', workingDays: 3, changeDate: '2026-02-14', deadline: '2026-02-26', calendarKnown: true, warnings: [] });
    expect(d.skipped.map((s) => s.date)).toEqual(daysOf('2026-02-15', '2026-02-23'));
    expect(new Set(d.skipped.map((s) => `${s.reason} ${s.name ?? ''}`))).toEqual(new Set(['holiday 春节']));
    expect(d.makeUpDays).toEqual([]);
  });

  test('the same instant in UTC is 13 Feb, and the make-up Saturday 14 Feb counts', () => {
    const d = deadline('2026-02-13T17:30:00Z', 3, 'UTC');
    expect(d).toMatchObject({ changeDate: '2026-02-13', deadline: '2026-02-25', calendarKnown: true, timeZone: 'UTC' });
    expect(d.makeUpDays).toEqual([{ date: '2026-02-14', for: '春节' }]);
  });

  test('make-up Saturdays and Sundays count as working days', () => {
    expect(deadline('2026-02-12T10:00:00+08:00').deadline).toBe('2026-02-24'); // Fri 13, Sat 14 (make-up), Tue 24
    expect(deadline('2026-02-26T10:00:00+08:00').deadline).toBe('2026-03-02'); // Fri 27, Sat 28 (make-up), Mon 2
    expect(deadline('2026-05-07T10:00:00+08:00').deadline).toBe('2026-05-11'); // Fri 8, Sat 9 (make-up), Mon 11
  });

  test('across the 2025 Spring Festival (1/28–2/4 off, Sunday 1/26 worked)', () => {
    const d = deadline('2025-01-24T09:00:00+08:00');
    expect(d.deadline).toBe('2025-02-05'); // Sun 26 (make-up), Mon 27, then Wed 5 Feb
    expect(d.makeUpDays.map((m) => m.date)).toEqual(['2025-01-26']);
    expect(d.skipped.filter((s) => s.reason === 'holiday').map((s) => s.date)).toEqual(daysOf('2025-01-28', '2025-02-04'));
    expect(d.skipped.filter((s) => s.reason === 'weekend').map((s) => s.date)).toEqual(['2025-01-25']);
  });

  test('across National Day: 2025 (10/1–10/8 off, Saturday 10/11 worked) and 2026 (10/1–10/7 off, Saturday 10/10 worked)', () => {
    expect(deadline('2025-09-30T16:00:00+08:00').deadline).toBe('2025-10-11');
    expect(deadline('2025-09-26T16:00:00+08:00').deadline).toBe('2025-09-30'); // Sun 28 (make-up), Mon 29, Tue 30
    expect(deadline('2026-09-30T16:00:00+08:00').deadline).toBe('2026-10-10');
    expect(deadline('2026-09-18T16:00:00+08:00').deadline).toBe('2026-09-22'); // Sun 20 (make-up), Mon 21, Tue 22
  });

  test('a change on a holiday or a make-up day: that day never counts', () => {
    expect(deadline('2026-02-17T12:00:00+08:00').deadline).toBe('2026-02-26');
    expect(deadline('2026-02-28T12:00:00+08:00').deadline).toBe('2026-03-04');
  });

  test('a change on 31 December counts into the next year', () => {
    const known = deadline('2025-12-31T15:00:00Z'); // 23:00 in Shanghai
    expect(known).toMatchObject({ changeDate: '2025-12-31', deadline: '2026-01-06', calendarKnown: true });
    expect(known.makeUpDays.map((m) => m.date)).toEqual(['2026-01-04']);
    expect(deadline('2025-12-31T16:30:00Z')).toMatchObject({ changeDate: '2026-01-01', deadline: '2026-01-06' });

    const unknown = deadline('2026-12-31T10:00:00+08:00');
    expect(unknown).toMatchObject({ deadline: '2027-01-05', calendarKnown: false, unknownYears: [2027] });
    expect(unknown.warnings).toHaveLength(1);
    expect(unknown.warnings[0]).toMatch(/no data for 2027/);
  });

  test('an unknown year: weekdays only, calendarKnown false, a warning', () => {
    const d = deadline('2031-05-01T10:00:00+08:00');
    expect(d).toMatchObject({ deadline: '2031-05-06', calendarKnown: false, unknownYears: [2031] });
    expect(d.skipped).toEqual([
      { date: '2031-05-03', reason: 'weekend' },
      { date: '2031-05-04', reason: 'weekend' },
    ]);
    expect(d.warnings[0]).toMatch(/2031.*Monday–Friday only/);
  });

  test('other counts, and bad arguments', () => {
    expect(deadline('2026-02-13T17:30:00Z', 1).deadline).toBe('2026-02-24');
    expect(deadline('2025-09-26T10:00:00+08:00', 10).deadline).toBe('2025-10-16');
    expect(() => deadline('2026-02-13T17:30:00Z', 0)).toThrow(RangeError);
    expect(() => deadline('2026-02-13T17:30:00Z', 2.5)).toThrow(RangeError);
    expect(() => deadline('2026-02-13T17:30:00Z', 3, 'Mars/Base')).toThrow(RangeError);
    expect(() => deadline('not a date')).toThrow(RangeError);
  });

  test('works with any WorkingDayCalendar, also one without describe()', () => {
    const plain: WorkingDayCalendar = { years: [], sources: [], isWorkingDay: (d) => cal.isWorkingDay(d) };
    const d = workingDayDeadline(plain, new Date('2026-02-13T17:30:00Z'), 3, 'Asia/Shanghai');
    expect(d.deadline).toBe('2026-02-26');
    // Without describe() a day off on a weekend reads as weekend, on a weekday as holiday (no name).
    expect(d.skipped.slice(0, 2)).toEqual([
      { date: '2026-02-15', reason: 'weekend' },
      { date: '2026-02-16', reason: 'holiday' },
    ]);
  });
});

describe('workingDaysBetween and previousWorkingDay', () => {
  test('working days after the first date up to and including the second', () => {
    expect(workingDaysBetween(cal, '2026-02-13', '2026-02-26')).toBe(4); // 14 (make-up), 24, 25, 26
    expect(workingDaysBetween(cal, '2026-02-14', '2026-02-23')).toBe(0);
    expect(workingDaysBetween(cal, '2026-02-26', '2026-02-26')).toBe(0);
    expect(workingDaysBetween(cal, '2026-02-26', '2026-02-13')).toBe(0);
    expect(workingDaysBetween(cal, '2025-12-31', '2026-01-06')).toBe(3);
    expect(() => workingDaysBetween(cal, '2026-02-30', '2026-03-01')).toThrow(RangeError);
  });

  test('the working day before a deadline (for a reminder)', () => {
    expect(previousWorkingDay(cal, '2026-02-24')).toBe('2026-02-14');
    expect(previousWorkingDay(cal, '2026-03-02')).toBe('2026-02-28');
    expect(previousWorkingDay(cal, '2026-03-03')).toBe('2026-03-02');
  });
});

describe('loading a calendar file', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('cea-calendar-');
  });
  afterEach(() => tmp.remove());

  const write = (name: string, content: string) => {
    const file = join(tmp.dir, name);
    writeFileSync(file, content);
    return file;
  };

  // A fictional year for the tests only: no real notice is implied.
  const fictional = (over: Partial<CalendarYear> = {}) => ({
    year: 2031,
    source: { title: 'test data, not a notice' },
    holidays: [{ name: 'Test holiday', from: '2031-05-01', to: '2031-05-05' }],
    workdays: [{ date: '2031-05-10', for: 'Test holiday' }],
    ...over,
  });

  test('an invalid file: positioned errors naming the file, and the bundled calendar still works', () => {
    const text = `{
  "format": 1,
  "years": [
    {
      "year": 2031,
      "source": { "title": "test" },
      "holidays": [
        { "name": "A", "from": "2031-02-30", "to": "2031-03-01" },
        { "name": "B", "from": "2031-06-05", "to": "2031-06-01" }
      ],
      "workdays": [ { "date": "2031-06-10", "for": "B" } ],
      "holidys": []
    }
  ]
}
`;
    const file = write('bad.json', text);
    const r = loadCalendar({ file });
    expect(r.source).toBe(defaultCalendarFile());
    expect(r.calendar.years).toEqual([2024, 2025, 2026]);
    expect(r.errors.length).toBeGreaterThan(0);
    for (const e of r.errors) expect(e.startsWith(`${file}:`)).toBe(true);
    expect(r.errors).toEqual(
      expect.arrayContaining([
        `${file}:8:32 years[0].holidays[0].from: must be a real date written YYYY-MM-DD`,
        `${file}:12:7 years[0].holidys: unknown key "holidys" (did you mean "holidays"?)`,
      ]),
    );
    expect(r.warnings.some((w) => w.includes('not used') && w.includes(defaultCalendarFile()))).toBe(true);
    expect(workingDayDeadline(r.calendar, new Date('2026-02-13T17:30:00Z'), 3, 'Asia/Shanghai').deadline).toBe('2026-02-26');
  });

  test('semantic errors: make-up day on a weekday, reversed block, overlap, duplicate year, a year without holidays', () => {
    const file = write(
      'semantic.json',
      JSON.stringify(
        {
          format: 1,
          years: [
            fictional({
              holidays: [
                { name: 'Test holiday', from: '2031-05-01', to: '2031-05-05' },
                { name: 'Overlap', from: '2031-05-05', to: '2031-05-06' },
                { name: 'Reversed', from: '2031-09-10', to: '2031-09-01' },
              ],
              workdays: [
                { date: '2031-05-13', for: 'Test holiday' },
                { date: '2031-05-03', for: 'Test holiday' },
              ],
            }),
            fictional(),
            { year: 2032, source: { title: 'not published yet' }, holidays: [], workdays: [] },
          ],
        },
        null,
        2,
      ),
    );
    const r = readCalendarFile(file);
    expect(r.ok).toBe(false);
    const messages = r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'years[0].holidays[1]: 2031-05-05 is already in the holiday Test holiday (2031)',
        'years[0].holidays[2].to: 2031-09-01 is before from (2031-09-10)',
        'years[0].workdays[0].date: 2031-05-13 is a Tuesday: a make-up working day (调休上班) is always a Saturday or Sunday',
        'years[0].workdays[1].date: 2031-05-03 is already in the holiday Test holiday (2031)',
        'years[1].year: duplicate year 2031 (also years[0])',
        'years[2].holidays: year 2032 has no holidays; leave a year out until its State Council notice is published',
      ]),
    );
  });

  test('a missing file, a directory, and text that is not JSON', () => {
    for (const [file, why] of [
      [join(tmp.dir, 'nope.json'), /does not exist/],
      [tmp.dir, /is a directory/],
      [write('broken.json', '{ "format": 1, "years": [ '), /./],
      [write('list.json', '[1, 2]'), /top level must be an object/],
      [write('empty.json', '  \n'), /empty/],
    ] as const) {
      const r = loadCalendar({ file });
      expect(r.errors[0], file).toMatch(why);
      expect(r.errors[0]?.startsWith(file)).toBe(true);
      expect(r.calendar.years).toEqual([2024, 2025, 2026]);
    }
  });

  test('a valid replacement replaces the bundled calendar; years it lacks are unknown and warned about', () => {
    const file = write('cal.json', JSON.stringify({ format: 1, years: [fictional()] }));
    const r = loadCalendar({ file: 'cal.json', cwd: tmp.dir });
    expect(r.errors).toEqual([]);
    expect(r.source).toBe(file);
    expect(r.calendar.years).toEqual([2031]);
    expect(r.warnings).toEqual([expect.stringMatching(/no data for 2024, 2025, 2026/)]);
    expect(r.calendar.isWorkingDay('2031-05-02')).toEqual({ working: false, known: true });
    expect(r.calendar.isWorkingDay('2031-05-10')).toEqual({ working: true, known: true });
    expect(r.calendar.isWorkingDay('2026-02-16')).toEqual({ working: true, known: false });
    const d = workingDayDeadline(r.calendar, new Date('2031-04-30T10:00:00+08:00'), 5, 'Asia/Shanghai');
    expect(d).toMatchObject({ deadline: '2031-05-10', calendarKnown: true }); // 6–9 May, then Saturday 10 (make-up)
  });

  test('no usable file at all: weekdays only, every date unknown, the errors say why', () => {
    const r = loadCalendar({ bundledFile: join(tmp.dir, 'missing.json') });
    expect(r.source).toBe('<weekdays only>');
    expect(r.errors).toEqual([expect.stringMatching(/missing\.json.*does not exist/)]);
    expect(r.calendar.isWorkingDay('2026-02-16')).toEqual({ working: true, known: false });
    expect(workingDayDeadline(r.calendar, new Date('2026-02-13T17:30:00Z'), 3, 'Asia/Shanghai')).toMatchObject({
      deadline: '2026-02-18',
      calendarKnown: false,
    });
  });

  test('config calendar.file: relative to the config file; a bad file is a warning and the config still loads', () => {
    const config = (calendar: string) =>
      write(
        'agent.yaml',
        `site: { id: s1 }\nprofile: liaoning-2008\nmqtt: { url: "mqtt://127.0.0.1:1883" }\nsecurity: { requireSignedCommands: false }\n${calendar}`,
      );
    const plain = loadConfigFile(config(''), { env: {}, cwd: tmp.dir });
    expect(plain.ok && plain.config.calendar).toEqual({ file: null });

    const good = write('cal.json', JSON.stringify({ format: 1, years: [fictional()] }));
    const withGood = loadConfigFile(config('calendar:\n  file: cal.json\n'), { env: {}, cwd: '/' });
    expect(withGood.ok && withGood.config.calendar).toEqual({ file: good });
    // The replacement lacks the bundled years: said once, under calendar.file.
    expect(withGood.warnings.map((w) => `${w.line} ${w.path}`)).toEqual(['6 calendar.file']);

    write('bad.json', '{"format": 2, "years": []}');
    const withBad = loadConfigFile(config('calendar: { file: bad.json }\n'), { env: {}, cwd: tmp.dir });
    expect(withBad.ok).toBe(true);
    const messages = withBad.warnings.filter((w) => w.path === 'calendar.file').map((w) => w.message);
    expect(messages[0]).toMatch(new RegExp(`^${join(tmp.dir, 'bad.json')}:1:12 format: `));
    expect(messages.some((m) => /not used.*bundled calendar/.test(m))).toBe(true);
  });

  test('DataCalendar from data: a block reaching into the next year is known there', () => {
    const c = new DataCalendar([
      { year: 2031, source: { title: 't' }, holidays: [{ name: 'New Year', from: '2031-12-31', to: '2032-01-02' }], workdays: [] },
    ]);
    expect(c.isWorkingDay('2032-01-02')).toEqual({ working: false, known: true });
    expect(c.isWorkingDay('2032-01-05')).toEqual({ working: true, known: false });
  });
});
