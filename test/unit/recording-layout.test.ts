import { describe, expect, it } from 'vitest';
import { parseSegmentPath, segmentPath } from '../../agent/recording/layout.js';

describe('recording layout', () => {
  it('names a segment by its start in the site zone and reads it back', () => {
    const start = Date.parse('2026-02-13T17:30:05Z'); // 14 Feb 01:30:05 in Shanghai
    expect(segmentPath('gate-north', start, 'Asia/Shanghai')).toBe('gate-north/2026-02-14/01-30-05.mp4');
    expect(parseSegmentPath('gate-north/2026-02-14/01-30-05.mp4', 'Asia/Shanghai')).toEqual({ cameraId: 'gate-north', startMs: start });
  });

  it('round-trips across a DST change in a zone that has one', () => {
    for (const iso of ['2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', '2026-10-25T00:59:59Z', '2026-10-25T01:00:00Z']) {
      const t = Date.parse(iso);
      const p = segmentPath('cam', t, 'Europe/Berlin');
      // The repeated hour in autumn is ambiguous by name alone; the parse lands on one of its two instants.
      const back = parseSegmentPath(p, 'Europe/Berlin')!.startMs;
      expect([t, t - 3_600_000, t + 3_600_000]).toContain(back);
      expect(segmentPath('cam', back, 'Europe/Berlin')).toBe(p);
    }
  });

  it('refuses what is not in the layout', () => {
    for (const p of ['gate/2026-02-30/01-00-00.mp4', 'Gate/2026-02-14/01-00-00.mp4', 'gate/2026-02-14/1-00-00.mp4', 'gate/2026-02-14/01-00-00.mkv', 'gate/x/2026-02-14/01-00-00.mp4', '../etc/2026-02-14/01-00-00.mp4']) {
      expect(parseSegmentPath(p, 'Asia/Shanghai')).toBeNull();
    }
  });
});
