import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../scripts/cea.js';
import { deadlineCommand } from '../../scripts/commands/deadline.js';
import { captureIo } from '../helpers/capture-io.js';
import { makeTempDir } from '../helpers/tmp.js';

// `cea deadline` as DESIGN.md fixes it: one JSON document with from, workingDays,
// deadline, calendarKnown; exit 0, or 2 for usage errors.
describe('cea deadline', () => {
  it('prints one JSON document: a late-evening UTC change is counted from the Shanghai date, past the Spring Festival', async () => {
    const cap = captureIo(process.cwd());
    expect(await deadlineCommand.run(['2026-02-13T17:30:00Z', '--json'], cap.io)).toBe(0);
    const doc = JSON.parse(cap.stdout()) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining(['from', 'workingDays', 'deadline', 'calendarKnown', 'timezone', 'skipped', 'warnings']),
    );
    expect(doc).toMatchObject({
      from: '2026-02-13T17:30:00.000Z',
      workingDays: 3,
      deadline: '2026-02-26',
      calendarKnown: true,
      timezone: 'Asia/Shanghai',
      changeDate: '2026-02-14',
      warnings: [],
    });
    expect((doc.skipped as { date: string; name?: string }[]).map((s) => `${s.date} ${s.name}`)).toContain('2026-02-16 春节');
    expect(cap.stderr()).toBe('');
  });

  it('human output is one line with the deadline and what was skipped', async () => {
    const cap = captureIo(process.cwd());
    expect(await deadlineCommand.run(['2025-09-30', '--working-days', '2'], cap.io)).toBe(0);
    expect(cap.stdout()).toBe(
      'deadline 2025-10-10: 2 working days after 2025-09-30 (Asia/Shanghai); skipped 2025-10-01 to 2025-10-08 (国庆节、中秋节 National Day and Mid-Autumn Festival)\n',
    );
  });

  it('a year without data still gets an answer: calendarKnown false, a warning on stderr, exit 0', async () => {
    const cap = captureIo(process.cwd());
    expect(await deadlineCommand.run(['2031-05-01T10:00:00+08:00', '--json'], cap.io)).toBe(0);
    expect(JSON.parse(cap.stdout())).toMatchObject({ deadline: '2031-05-06', calendarKnown: false });
    expect(cap.stderr()).toMatch(/warning: .*no data for 2031/);
  });

  it('bad usage exits 2: a bad date, N out of range, an unknown zone, a broken --calendar file', async () => {
    const run = async (...argv: string[]) => {
      const cap = captureIo(process.cwd());
      const code = await main(['deadline', ...argv], cap.io);
      return { code, stdout: cap.stdout(), stderr: cap.stderr() };
    };
    const bad = await run('2026-02-30T10:00:00Z', '--json');
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/not a valid date-time/);
    expect((await run('2026-02-13T17:30')).stderr).toMatch(/add the offset/);
    expect((await run('2026-02-13', '--working-days', '0')).code).toBe(2);
    expect((await run('2026-02-13', '--working-days', '61')).code).toBe(2);
    expect((await run('2026-02-13', '--timezone', 'Mars/Base')).code).toBe(2);

    const tmp = makeTempDir('cea-deadline-');
    try {
      const file = join(tmp.dir, 'cal.json');
      writeFileSync(file, '{"format": 1, "years": [{"year": 2027}]}');
      const broken = await run('2026-02-13', '--calendar', file, '--json');
      expect(broken.code).toBe(2);
      expect(broken.stderr).toContain(`${file}:1:`);
      expect(JSON.parse(broken.stdout)).toEqual({
        errors: [
          `${file}:1:25 years[0].source: missing required key "source"`,
          `${file}:1:25 years[0].holidays: missing required key "holidays"`,
        ],
      });
    } finally {
      tmp.remove();
    }
  });
});
