// The pure parts of the acceptance / inspection report: the single-snapshot judgement
// against a learned baseline, the regulations by jurisdiction, and the renderers'
// escaping (camera names and check details come from the config and from the cameras).
import { describe, expect, it } from 'vitest';
import type { ClarityMetrics, FrameAnalysis, FrameSignature } from '../../agent/clarity/metrics.js';
import { createTracker, step, type ClarityTracker } from '../../agent/clarity/policy.js';
import type { AgentConfig } from '../../agent/config/index.js';
import { judgeSnapshot } from '../../agent/diagnose/clarity.js';
import { renderHtml } from '../../agent/diagnose/report-html.js';
import { renderMarkdown } from '../../agent/diagnose/report-md.js';
import { buildDocument, regulationsFor } from '../../agent/diagnose/report.js';
import { translator } from '../../agent/i18n/index.js';
import { reportTexts } from '../../agent/i18n/report.js';

const GOOD: ClarityMetrics = {
  brightness: 120, darkLevel: 15, median: 110, highlight: 240, clipped: 0.005, contrast: 55, range: 240, whitePoint: 250,
  sharpness: 0.55, edges: 0.08, noise: 0.4, noiseFineness: 0.4, saturation: 0.12, tint: 0.01, coolness: 0.03,
  uniformity: 0.15, occlusion: 0, stripe: 0.2, stripePeriod: 4,
};

function signature(seed: number): FrameSignature {
  const thumb: number[] = [];
  for (let y = 0; y < 12; y++) for (let x = 0; x < 16; x++) thumb.push(60 + 10 * x + (y > 6 ? 50 : 0) + ((x * 7 + y * 3) % 5) * 8 + ((seed * 31 + x * 7 + y) % 3) * 0.3);
  return { cols: 16, rows: 12, thumb, hash: `00ff00ff00ff00f${seed % 10}`, digest: seed.toString(16).padStart(8, '0') };
}
const analysis = (m: Partial<ClarityMetrics>, seed = 1): FrameAnalysis => ({ metrics: { ...GOOD, ...m }, signature: signature(seed) });

/** A tracker that learned a naturally soft scene (sharpness 0.27) as this camera's normal. */
function softCamera(): ClarityTracker {
  let t = createTracker();
  for (let i = 0; i < 5; i++) t = step(t, { analysis: analysis({ sharpness: 0.27 }, i + 2) }, i * 10_000, { baselineSamples: 5 }).state;
  expect(t.modes.day.baseline).not.toBeNull();
  return t;
}

describe('judgeSnapshot', () => {
  it('without a learned baseline: the default thresholds (a soft picture is blur)', () => {
    expect(judgeSnapshot(analysis({ sharpness: 0.27 }), null)).toEqual({ faults: ['blur'], verdict: 'degraded', mode: 'day', judgedAgainst: 'defaults' });
    expect(judgeSnapshot(analysis({}), null)).toEqual({ faults: [], verdict: 'ok', mode: 'day', judgedAgainst: 'defaults' });
  });

  it('with one: the camera\'s own normal is not a fault, a clear drop still is, and the stored tracker is untouched', () => {
    const t = softCamera();
    const before = JSON.stringify(t);
    expect(judgeSnapshot(analysis({ sharpness: 0.27 }, 40), t)).toMatchObject({ faults: [], verdict: 'ok', judgedAgainst: 'baseline' });
    expect(judgeSnapshot(analysis({ sharpness: 0.12 }, 41), t)).toMatchObject({ faults: ['blur'], judgedAgainst: 'baseline' });
    expect(JSON.stringify(t)).toBe(before);
  });

  it('a monochrome (IR) picture is judged against the night baseline, which this camera has not learned', () => {
    const j = judgeSnapshot(analysis({ saturation: 0, sharpness: 0.27 }, 50), softCamera());
    expect(j).toMatchObject({ mode: 'night', judgedAgainst: 'defaults', faults: ['blur'] });
  });

  it('a picture that does not decode is a fault', () => {
    expect(judgeSnapshot(null, null)).toMatchObject({ faults: ['decode_error'], verdict: 'fault' });
  });

  it('never reports frozen from one snapshot, even after a run of same pictures in the tracker', () => {
    let t = createTracker();
    for (let i = 0; i < 12; i++) t = step(t, { analysis: analysis({}, 7) }, i * 10_000).state;
    expect(t.sameRun).toBeGreaterThan(5);
    expect(judgeSnapshot(analysis({}, 7), t).faults).not.toContain('frozen');
  });
});

describe('the report document and its renderers', () => {
  const config = {
    site: { id: 'x/../y', name: 'Plaza <b>&', timezone: 'Asia/Shanghai' },
    profile: { id: 'datong', name: 'Datong' },
  } as unknown as AgentConfig;
  const run = {
    startedMs: Date.UTC(2026, 10, 27, 16, 30, 5),
    finishedMs: Date.UTC(2026, 10, 27, 16, 30, 9),
    thumbnails: new Map([['cam|1', Buffer.from([0xff, 0xd8])]]),
    report: {
      checks: [
        { name: 'camera cam|1: snapshot', status: 'fail' as const, detail: 'fault <img src=x onerror=alert(1)> | pipe', advice: 'clean\nthe lens' },
        { name: 'config', status: 'pass' as const, detail: 'ok' },
      ],
      cameras: [
        {
          id: 'cam|1', name: '<script>alert(1)</script>', location: { kind: 'street', description: 'Gate "north"' }, prohibited: false, status: 'fail' as const,
          identity: null, stream: null, rtsp: null, clockOffsetMs: null, snapshot: null,
          clarity: { verdict: 'fault' as const, faults: ['scene_change'], judgedAgainst: 'baseline' as const, mode: 'day' as const, metrics: null },
        },
      ],
    },
  };

  it('cites the site\'s jurisdiction: Datong Art. 14 for datong, Liaoning Art. 14 (ii) for liaoning, both otherwise', () => {
    const t = translator(reportTexts, 'zh-CN');
    expect(regulationsFor('datong', t).map((r) => r.article)).toEqual(['datong-14']);
    expect(regulationsFor('liaoning-2008', t).map((r) => r.article)).toEqual(['liaoning-14-ii']);
    expect(regulationsFor('elsewhere', t).map((r) => r.article)).toEqual(['datong-14', 'liaoning-14-ii']);
    expect(regulationsFor('datong', t)[0]!.citation).toBe('《大同市公共安全视频图像信息系统管理办法》第十四条');
  });

  it('the time is the site\'s (UTC+8 the next day), thumbnails are named safely, counts and the worst status', () => {
    const doc = buildDocument({ run, config, lang: 'en', requester: 'cli:x', hostname: 'box', agentVersion: '1.0.0', command: 'cea diagnose --report' });
    expect(doc.localTime).toBe('2026-11-28 00:30:05');
    expect(doc.cameras[0]!.thumbnail).toBe('thumbnails/cam_1.jpg');
    expect(doc).toMatchObject({ result: 'fail', counts: { total: 2, pass: 1, warn: 0, fail: 1 }, regulations: [{ article: 'datong-14' }] });
  });

  it('HTML escapes everything that comes from the config or a camera; Markdown makes it inert and keeps table cells on one line', () => {
    const doc = buildDocument({ run, config, lang: 'zh-CN', requester: 'cli:x', hostname: 'box', agentVersion: '1.0.0', command: 'cea diagnose --report' });
    const t = translator(reportTexts, 'zh-CN');
    const html = renderHtml(doc, t, 'cea diagnose --report');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Plaza &lt;b&gt;&amp;');
    expect(html).toContain('场景变化 (scene_change)');
    expect(html).toContain('按该摄像机已学习的基线判定（日间）');
    const md = renderMarkdown(doc, t, 'cea diagnose --report');
    expect(md).toContain('| camera cam\\|1: snapshot | 失败 | fault \\<img src=x onerror=alert(1)> \\| pipe | clean the lens |');
    expect(md).not.toMatch(/[^\\]<img/); // no raw HTML for a Markdown renderer to pass through
    expect(md).toContain('![cam|1](thumbnails/cam_1.jpg)');
  });
});
