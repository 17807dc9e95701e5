// The small guards the attacker's-view suites led to, each against its whole list of
// attack strings (the suites show one of each against the running agent):
// a camera's stream URI must be rtsp(s)/http(s) before ffmpeg sees it; an MQTT 5 response
// topic may not be one of the agent's own (or another site's) psv/v1 topics; request
// nesting is measured without recursion, brackets inside strings not counted.
import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_DEPTH, parseEnvelope } from '../../agent/linkage/requests/envelope.js';
import { isReplyChannel } from '../../agent/linkage/requests/router.js';
import { withCredentials } from '../../drivers/ffmpeg/redact.js';
import { NS } from '../../drivers/onvif/soap.js';
import { parseMediaUri } from '../../drivers/onvif/parse-media.js';
import { parseXml } from '../../drivers/xml/parse.js';

// What ffmpeg would open from a camera's GetStreamUri without the check.
const LOCAL_READS = [
  'file:///etc/passwd',
  'file:/var/lib/cea/recordings/gate/2026-01-01/00-00-00.mp4',
  'async:file:/var/lib/cea/agent.db',
  'concat:/etc/passwd|/etc/shadow',
  'pipe:0',
  'data:video/mp4;base64,AAAA',
  'tcp://127.0.0.1:22',
  'udp://127.0.0.1:5000',
  'gopher://127.0.0.1:6379/_FLUSHALL',
  'hls+file:/tmp/x.m3u8',
  'crypto:file:/tmp/x',
];

function streamUriResponse(uri: string) {
  const esc = uri.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return parseXml(`<trt:GetStreamUriResponse xmlns:trt="${NS.trt}" xmlns:tt="${NS.tt}"><trt:MediaUri><tt:Uri>${esc}</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>`);
}

describe('stream URIs from a camera', () => {
  it.each(LOCAL_READS)('%s is refused where it is parsed and where it would reach ffmpeg', (uri) => {
    expect(() => parseMediaUri(streamUriResponse(uri))).toThrow(/scheme|not a URL/);
    expect(() => withCredentials(uri, 'admin', 'pw')).toThrow(/scheme/);
    expect(() => withCredentials(uri, undefined, undefined)).toThrow(/scheme/);
  });

  it('rtsp, rtsps, http and https pass, with credentials put in', () => {
    for (const uri of ['rtsp://192.0.2.5:554/Streaming/Channels/101', 'RTSPS://192.0.2.5/s', 'http://192.0.2.5/mjpeg', 'https://192.0.2.5/snap.jpg']) {
      expect(parseMediaUri(streamUriResponse(uri))).toBe(uri);
      expect(withCredentials(uri, 'admin', 'p@ss')).toContain('admin:p%40ss@');
    }
  });
});

describe('MQTT 5 response topics', () => {
  it("refuses the agent's own non-res topics and other sites' topics; allows its res/ and the platform's own", () => {
    for (const t of ['psv/v1/s1/state', 'psv/v1/s1/event', 'psv/v1/s1/birth', 'psv/v1/s1/health', 'psv/v1/s1/camera/gate/status', 'psv/v1/s1/req/ping', 'psv/v1/s2/res/ping', 'psv/v1/s1/resx', 'psv/v1/s1']) {
      expect(isReplyChannel('s1', t), t).toBe(false);
    }
    for (const t of ['psv/v1/s1/res/ping', 'psv/v1/s1/res/ping/node-7', 'platform/replies/node-7', 'psv/v2/x']) expect(isReplyChannel('s1', t), t).toBe(true);
  });
});

describe('request nesting', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(jsonDepth('{"id":"x","args":{"a":[1,[2]]}}')).toBe(4);
    expect(jsonDepth(`{"id":"${'['.repeat(1000)}","s":"\\"{{{"}`)).toBe(1);
    expect(jsonDepth('[]')).toBe(1);
    expect(jsonDepth('"x"')).toBe(0);
  });

  it(`refuses more than ${MAX_DEPTH} levels as bad JSON would be, before parsing`, () => {
    const deep = (n: number) => `{"id":"d","args":{"x":${'['.repeat(n)}${']'.repeat(n)}}}`;
    expect(parseEnvelope(Buffer.from(deep(MAX_DEPTH - 2)))).toMatchObject({ ok: true });
    expect(parseEnvelope(Buffer.from(deep(MAX_DEPTH - 1)))).toMatchObject({ ok: false, id: null, message: expect.stringMatching(/nested/) });
    expect(parseEnvelope(Buffer.from(deep(100_000)))).toMatchObject({ ok: false, message: expect.stringMatching(/nested/) });
  });
});
