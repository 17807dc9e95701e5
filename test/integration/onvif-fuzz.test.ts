// Fuzzing the ONVIF client's answer handling: real answers (captured from the simulator,
// plus vendor-style variants) mutated with a seeded PRNG — byte flips, truncation, deleted
// and duplicated elements, wrong or missing namespaces, huge text, deep nesting, odd
// numbers, entities and DTDs, wrong HTTP statuses — fed to the parsers directly, then a
// smaller batch over a real local HTTP server that also misbehaves at the HTTP level.
// Every outcome must be a value or an OnvifError: no other exception, no unhandled
// rejection, bounded memory. Reproduce a failure with ONVIF_FUZZ_SEED=<printed seed>;
// dig deeper with ONVIF_FUZZ_CASES=200000.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifClient, OnvifError, ONVIF_ERROR_CODES } from '../../drivers/onvif/index.js';
import { request } from '../../drivers/onvif/http-request.js';
import {
  DEVICE_RESPONSES,
  parseCapabilities,
  parseDeviceInformation,
  parseHostname,
  parseNetworkInterfaces,
  parseScopes,
  parseServices,
  parseSystemDateAndTime,
} from '../../drivers/onvif/parse-device.js';
import { IMAGING_RESPONSES, parseImagingSettings } from '../../drivers/onvif/parse-imaging.js';
import { MEDIA_RESPONSES, parseMediaUri, parseProfiles } from '../../drivers/onvif/parse-media.js';
import { buildEnvelope, decodeSoapResponse, soapContentType, type ExpectedResponse } from '../../drivers/onvif/soap.js';
import { usernameTokenHeader } from '../../drivers/onvif/wsse.js';
import type { XmlElement } from '../../drivers/xml/parse.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';
import { seededRng, type Rng } from '../../scripts/lib/seeded-random.js';

const SEED = Number(process.env.ONVIF_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DIRECT_CASES = Number(process.env.ONVIF_FUZZ_CASES ?? 10_000);
const HTTP_CASES = 200;
const CAP = 2 * 1024 * 1024;
const MAX_MUTANT = CAP + 256 * 1024;

// A real GC to measure what stays allocated (RSS alone mostly shows V8 growing its heap lazily).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function retainedHeap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}


// ---------- the corpus ----------

type Parser = (el: XmlElement) => unknown;
interface Target {
  expect: ExpectedResponse;
  parse: Parser;
}

const TARGETS: Record<string, Target> = {
  GetSystemDateAndTime: { expect: DEVICE_RESPONSES.GetSystemDateAndTime, parse: (el) => parseSystemDateAndTime(el, Date.now()) },
  GetDeviceInformation: { expect: DEVICE_RESPONSES.GetDeviceInformation, parse: parseDeviceInformation },
  GetCapabilities: { expect: DEVICE_RESPONSES.GetCapabilities, parse: parseCapabilities },
  GetServices: { expect: DEVICE_RESPONSES.GetServices, parse: parseServices },
  GetScopes: { expect: DEVICE_RESPONSES.GetScopes, parse: parseScopes },
  GetHostname: { expect: DEVICE_RESPONSES.GetHostname, parse: parseHostname },
  GetNetworkInterfaces: { expect: DEVICE_RESPONSES.GetNetworkInterfaces, parse: parseNetworkInterfaces },
  GetProfiles: { expect: MEDIA_RESPONSES.GetProfiles, parse: parseProfiles },
  GetStreamUri: { expect: MEDIA_RESPONSES.GetStreamUri, parse: parseMediaUri },
  GetSnapshotUri: { expect: MEDIA_RESPONSES.GetSnapshotUri, parse: parseMediaUri },
  GetImagingSettings: { expect: IMAGING_RESPONSES.GetImagingSettings, parse: parseImagingSettings },
};

interface Sample {
  action: string;
  status: number;
  body: string;
}

const WSDL = {
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  timg: 'http://www.onvif.org/ver20/imaging/wsdl',
};

const REQUESTS: { action: string; service: 'device' | 'media' | 'imaging'; ns: string; body: string; auth: boolean }[] = [
  { action: 'GetSystemDateAndTime', service: 'device', ns: WSDL.tds, body: '<tds:GetSystemDateAndTime/>', auth: false },
  { action: 'GetDeviceInformation', service: 'device', ns: WSDL.tds, body: '<tds:GetDeviceInformation/>', auth: true },
  { action: 'GetCapabilities', service: 'device', ns: WSDL.tds, body: '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>', auth: true },
  { action: 'GetServices', service: 'device', ns: WSDL.tds, body: '<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>', auth: true },
  { action: 'GetScopes', service: 'device', ns: WSDL.tds, body: '<tds:GetScopes/>', auth: true },
  { action: 'GetHostname', service: 'device', ns: WSDL.tds, body: '<tds:GetHostname/>', auth: true },
  { action: 'GetNetworkInterfaces', service: 'device', ns: WSDL.tds, body: '<tds:GetNetworkInterfaces/>', auth: true },
  { action: 'GetProfiles', service: 'media', ns: WSDL.trt, body: '<trt:GetProfiles/>', auth: true },
  {
    action: 'GetStreamUri',
    service: 'media',
    ns: WSDL.trt,
    body: '<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>Profile_1</trt:ProfileToken></trt:GetStreamUri>',
    auth: true,
  },
  { action: 'GetSnapshotUri', service: 'media', ns: WSDL.trt, body: '<trt:GetSnapshotUri><trt:ProfileToken>Profile_1</trt:ProfileToken></trt:GetSnapshotUri>', auth: true },
  {
    action: 'GetImagingSettings',
    service: 'imaging',
    ns: WSDL.timg,
    body: '<timg:GetImagingSettings><timg:VideoSourceToken>VideoSource_1</timg:VideoSourceToken></timg:GetImagingSettings>',
    auth: true,
  },
  // Faults: a bad profile token, and a refused login.
  { action: 'GetStreamUri', service: 'media', ns: WSDL.trt, body: '<trt:GetStreamUri><trt:ProfileToken>nope</trt:ProfileToken></trt:GetStreamUri>', auth: true },
  { action: 'GetProfiles', service: 'media', ns: WSDL.trt, body: '<trt:GetProfiles/>', auth: false },
];

/** Vendor-style answers the simulator does not produce: other prefixes, default namespaces, SOAP 1.1. */
const VENDOR_SAMPLES: Sample[] = [
  {
    action: 'GetDeviceInformation',
    status: 200,
    body:
      `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">` +
      `<SOAP-ENV:Header/><SOAP-ENV:Body><tds:GetDeviceInformationResponse><tds:Manufacturer>HIKVISION</tds:Manufacturer>` +
      `<tds:Model>DS-2CD2143G2-I</tds:Model><tds:FirmwareVersion>V5.7.3 build 220112</tds:FirmwareVersion>` +
      `<tds:SerialNumber>DS-2CD2143G2-I20220101AAWRJ12345678</tds:SerialNumber><tds:HardwareId>88</tds:HardwareId>` +
      `</tds:GetDeviceInformationResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
  },
  {
    action: 'GetSystemDateAndTime',
    status: 200,
    body:
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTimeResponse xmlns="http://www.onvif.org/ver10/device/wsdl">` +
      `<SystemDateAndTime><DateTimeType xmlns="http://www.onvif.org/ver10/schema">NTP</DateTimeType>` +
      `<TimeZone xmlns="http://www.onvif.org/ver10/schema"><TZ>CST-8:00:00</TZ></TimeZone>` +
      `<LocalDateTime xmlns="http://www.onvif.org/ver10/schema"><Time><Hour>20</Hour><Minute>5</Minute><Second>9</Second></Time>` +
      `<Date><Year>2024</Year><Month>2</Month><Day>29</Day></Date></LocalDateTime></SystemDateAndTime>` +
      `</GetSystemDateAndTimeResponse></s:Body></s:Envelope>`,
  },
  {
    action: 'GetProfiles',
    status: 500,
    body:
      `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>` +
      `<faultcode>SOAP-ENV:Client</faultcode><faultstring>Sender not Authorized</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
  },
  {
    action: 'GetCapabilities',
    status: 200,
    body:
      `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ns2="http://www.onvif.org/ver10/schema" xmlns:ns3="http://www.onvif.org/ver10/device/wsdl">` +
      `<env:Body><ns3:GetCapabilitiesResponse><ns3:Capabilities><ns2:Media><ns2:XAddr>http://192.168.1.64/onvif/Media http://[fe80::1]/onvif/Media</ns2:XAddr></ns2:Media>` +
      `<ns2:Imaging><ns2:XAddr>http://192.168.1.64/onvif/Imaging</ns2:XAddr></ns2:Imaging></ns3:Capabilities></ns3:GetCapabilitiesResponse></env:Body></env:Envelope>`,
  },
];

async function captureCorpus(fleet: Fleet): Promise<Sample[]> {
  const cam = fleet.camera('fuzz-cam');
  const base = cam.baseUrl;
  const paths = { device: '/onvif/device_service', media: '/onvif/media_service', imaging: '/onvif/imaging_service' };
  const out: Sample[] = [];
  for (const r of REQUESTS) {
    const security = r.auth ? usernameTokenHeader(cam.username, cam.password, Date.now()) : '';
    const res = await request({
      url: new URL(base + paths[r.service]),
      method: 'POST',
      headers: { 'Content-Type': soapContentType(`${r.ns}/${r.action}`) },
      body: Buffer.from(buildEnvelope(r.body, security)),
      timeoutMs: 5_000,
      maxBytes: CAP,
    });
    out.push({ action: r.action, status: res.status, body: res.body.toString('utf8') });
  }
  return [...out, ...VENDOR_SAMPLES];
}

// ---------- mutations ----------

const NAMESPACES = [
  'http://www.w3.org/2003/05/soap-envelope',
  'http://schemas.xmlsoap.org/soap/envelope/',
  'http://www.onvif.org/ver10/schema',
  'http://www.onvif.org/ver10/device/wsdl',
  'http://www.onvif.org/ver10/media/wsdl',
  'http://www.onvif.org/ver20/media/wsdl',
  'http://www.onvif.org/ver20/imaging/wsdl',
  'http://example.com/wrong',
  '',
];
const ODD_VALUES = ['', ' ', '-1', '0', '1e400', '-1e400', 'NaN', 'Infinity', '99999999999999999999', '0x10', ' 5 ', '5.50', '2.5e3', '&amp;', '\u0000', '\uFFFF', '😀', 'true', 'FALSE', '1'];
const INJECTIONS = [
  '&bogus;',
  '&#0;',
  '&#x110000;',
  '&#xD800;',
  '&amp;&lt;&gt;&quot;&apos;',
  '&#65;&#x42;',
  '<!DOCTYPE x [<!ENTITY a "bbbbbbbbbb"><!ENTITY b "&a;&a;&a;&a;">]>',
  '<![CDATA[<not>xml</not>]]>',
  '<!-- comment -->',
  '<?pi data?>',
  '<',
  '>',
  '&',
  ']]>',
  '<x:y/>',
  '<a b="1" b="2"/>',
  '<a xmlns:p=""/>',
  '</tt:Name>',
  '\u0000',
  '\uFEFF',
];

function elementSpans(s: string): [number, number][] {
  const spans: [number, number][] = [];
  const re = /<([A-Za-z_][\w.-]*(?::[\w.-]+)?)[\s>/]/g;
  for (let m = re.exec(s); m && spans.length < 400; m = re.exec(s)) {
    const name = m[1]!;
    const selfClose = s.indexOf('/>', m.index);
    const gt = s.indexOf('>', m.index);
    if (selfClose !== -1 && selfClose + 1 === gt) {
      spans.push([m.index, gt + 1]);
      continue;
    }
    const end = s.indexOf(`</${name}>`, m.index);
    if (end !== -1) spans.push([m.index, end + name.length + 3]);
  }
  return spans;
}

const MUTATIONS: Record<string, (s: string, r: Rng) => string> = {
  flipBytes: (s, r) => {
    const b = Buffer.from(s, 'utf8');
    const n = 1 + r.int(10);
    for (let i = 0; i < n && b.length > 0; i++) b[r.int(b.length)] = r.int(256);
    return b.toString('latin1');
  },
  truncate: (s, r) => s.slice(0, r.int(s.length)),
  deleteElement: (s, r) => {
    const spans = elementSpans(s);
    if (spans.length === 0) return s;
    const [a, b] = r.pick(spans);
    return s.slice(0, a) + s.slice(b);
  },
  duplicateElement: (s, r) => {
    const spans = elementSpans(s);
    if (spans.length === 0) return s;
    const [a, b] = r.pick(spans);
    const copies = 1 + r.int(r.chance(0.1) ? 500 : 3);
    return s.slice(0, b) + s.slice(a, b).repeat(copies) + s.slice(b);
  },
  wrongNamespace: (s, r) => {
    const decls = [...s.matchAll(/xmlns(?::[\w.-]+)?="([^"]*)"/g)];
    if (decls.length === 0) return s;
    const d = r.pick(decls);
    const at = d.index! + d[0].indexOf('"') + 1;
    return s.slice(0, at) + r.pick(NAMESPACES) + s.slice(at + d[1]!.length);
  },
  dropNamespace: (s, r) => {
    const decls = [...s.matchAll(/\sxmlns(?::[\w.-]+)?="[^"]*"/g)];
    if (decls.length === 0) return s;
    const d = r.pick(decls);
    return s.slice(0, d.index!) + s.slice(d.index! + d[0].length);
  },
  renamePrefix: (s, r) => {
    const prefixes = [...new Set([...s.matchAll(/<([A-Za-z][\w-]*):/g)].map((m) => m[1]!))];
    if (prefixes.length === 0) return s;
    const p = r.pick(prefixes);
    return s.replace(new RegExp(`<(/?)${p}:`, 'g'), `<$1${r.pick(['q', 'tt', 'tds', 'env', 'x'])}:`);
  },
  hugeText: (s, r) => {
    const at = s.indexOf('>', r.int(s.length));
    if (at === -1) return s;
    const size = r.pick([10_000, 500_000, 1_900_000, 2_200_000]);
    return s.slice(0, at + 1) + r.pick(['A', '9', ' ', '&amp;']).repeat(Math.ceil(size / 5)) + s.slice(at + 1);
  },
  deepNesting: (s, r) => {
    const spans = elementSpans(s);
    if (spans.length === 0) return s;
    const [, b] = r.pick(spans);
    const depth = r.pick([10, 60, 70, 1000, 100_000]);
    const tag = r.pick(['a', 'tt:Name', 'x:y']);
    return s.slice(0, b) + `<${tag}>`.repeat(depth) + 'deep' + `</${tag}>`.repeat(depth) + s.slice(b);
  },
  oddValue: (s, r) => {
    const texts = [...s.matchAll(/>([^<]+)</g)];
    if (texts.length === 0) return s;
    const t = r.pick(texts);
    const at = t.index! + 1;
    return s.slice(0, at) + r.pick(ODD_VALUES) + s.slice(at + t[1]!.length);
  },
  oddAttribute: (s, r) => {
    const attrs = [...s.matchAll(/\s(token|fixed|x|width)="([^"]*)"/g)];
    if (attrs.length === 0) return s;
    const a = r.pick(attrs);
    return s.slice(0, a.index!) + r.pick([' token=""', '', ' token="&bogus;"', ` token="${'t'.repeat(5000)}"`, " token='x'", ' token=x']) + s.slice(a.index! + a[0].length);
  },
  inject: (s, r) => {
    const at = r.int(s.length + 1);
    return s.slice(0, at) + r.pick(INJECTIONS) + s.slice(at);
  },
  prependDoctype: (s) => `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>${s.replace(/^<\?xml[^>]*\?>/, '')}`,
  randomJunk: (_s, r) => {
    const n = r.int(2000);
    let out = '';
    for (let i = 0; i < n; i++) out += String.fromCharCode(r.chance(0.2) ? r.pick([60, 62, 47, 38, 34, 61, 58]) : 32 + r.int(95));
    return out;
  },
  empty: () => '',
  textInstead: (_s, r) => r.pick(['OK', '<html><body>401 Unauthorized</body></html>', '{"error":"bad"}', 'HTTP/1.1 200 OK', '<?xml version="1.0"?>']),
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

function mutate(sample: Sample, r: Rng, samples: Sample[]): { body: string; status: number; action: string; applied: string[] } {
  let body = sample.body;
  const applied: string[] = [];
  // Sometimes the answer of another operation (wrong response element).
  let action = sample.action;
  if (r.chance(0.05)) action = r.pick(Object.keys(TARGETS));
  const rounds = r.chance(0.1) ? 0 : 1 + r.int(3);
  for (let i = 0; i < rounds; i++) {
    let name = r.pick(MUTATION_NAMES);
    // Keep the expensive ones rare so 10 000 cases stay fast.
    if ((name === 'hugeText' || name === 'deepNesting') && !r.chance(0.15)) name = 'flipBytes';
    body = MUTATIONS[name]!(body, r);
    // Mutations compound (a 100 000-deep nest duplicated 500 times…): past the cap the size
    // no longer matters to the client, only to this test's own memory.
    if (body.length > MAX_MUTANT) body = body.slice(0, MAX_MUTANT);
    applied.push(name);
  }
  const status = r.chance(0.8) ? sample.status : r.pick([200, 400, 401, 403, 404, 500, 503]);
  void samples;
  return { body, status, action, applied };
}

/** A parser's value: plain data only, no NaN/Infinity, no undefined, bounded depth. */
function assertPlainData(v: unknown, where: string, depth = 0): void {
  if (depth > 6) throw new Error(`value nested too deep at ${where}`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`non-finite number at ${where}`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => assertPlainData(x, `${where}[${i}]`, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v)) assertPlainData(x, `${where}.${k}`, depth + 1);
    return;
  }
  throw new Error(`unexpected ${typeof v} at ${where}`);
}

function checkOutcome(run: () => unknown, describeCase: () => string): 'value' | string {
  try {
    const value = run();
    try {
      assertPlainData(value, 'value');
    } catch (err) {
      throw new Error(`bad value: ${(err as Error).message}\n${describeCase()}`);
    }
    return 'value';
  } catch (err) {
    if (err instanceof OnvifError && ONVIF_ERROR_CODES.includes(err.code)) return err.code;
    throw new Error(`not an OnvifError: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}\n${describeCase()}`);
  }
}

// ---------- tests ----------

let fleet: Fleet;
let corpus: Sample[];
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(async () => {
  console.log(`onvif fuzz seed: ${SEED} (ONVIF_FUZZ_SEED=${SEED} to reproduce)`);
  process.on('unhandledRejection', onUnhandled);
  fleet = await startFleet([{ id: 'fuzz-cam' }], { discovery: false });
  corpus = await captureCorpus(fleet);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await fleet?.stop();
});

describe('ONVIF answer fuzzing', () => {
  it('the captured corpus parses cleanly before mutation', () => {
    for (const s of corpus) {
      const t = TARGETS[s.action]!;
      const outcome = checkOutcome(
        () => t.parse(decodeSoapResponse({ status: s.status, body: s.body }, t.expect, CAP)),
        () => s.body,
      );
      // Samples with a non-2xx status are the fault cases (bad token, refused login).
      if (s.status === 200) expect(outcome, s.action).toBe('value');
      else expect(['fault', 'unauthorized'], `${s.action} ${s.status}`).toContain(outcome);
    }
  });

  it(`${DIRECT_CASES} mutated answers → a value or an OnvifError (seed ${SEED})`, () => {
    const r = seededRng(SEED);
    const counts: Record<string, number> = {};
    const heap0 = retainedHeap();
    const rss0 = process.memoryUsage().rss;
    let peak = 0;
    for (let i = 0; i < DIRECT_CASES; i++) {
      const sample = r.pick(corpus);
      const m = mutate(sample, r, corpus);
      const t = TARGETS[m.action]!;
      const asBuffer = r.chance(0.5);
      const outcome = checkOutcome(
        () => t.parse(decodeSoapResponse({ status: m.status, body: asBuffer ? Buffer.from(m.body, 'latin1') : m.body }, t.expect, CAP)),
        () => `seed ${SEED} case ${i}: ${m.action} status ${m.status} mutations ${m.applied.join(',')}\n${m.body.slice(0, 2000)}`,
      );
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      if (i % 500 === 0) peak = Math.max(peak, process.memoryUsage().rss - rss0);
    }
    const retained = retainedHeap() - heap0;
    const mib = (n: number) => (n / 1048576).toFixed(1);
    console.log(`onvif fuzz (direct) outcomes: ${JSON.stringify(counts)}; peak RSS growth ${mib(peak)} MiB, heap retained ${mib(retained)} MiB`);
    expect(counts.value).toBeGreaterThan(DIRECT_CASES * 0.05); // the corpus still yields values after light mutation
    expect(counts.protocol).toBeGreaterThan(0);
    // Nothing accumulates, and no single case balloons (answers are capped at 2 MiB).
    expect(retained).toBeLessThan(32 * 1024 * 1024);
    expect(peak).toBeLessThan(512 * 1024 * 1024);
  });

  it(`${HTTP_CASES} mutated answers over real HTTP → a value or an OnvifError (seed ${SEED})`, async () => {
    const r = seededRng(SEED ^ 0x5bd1e995);
    const byAction = new Map<string, Sample[]>();
    for (const s of corpus) byAction.set(s.action, [...(byAction.get(s.action) ?? []), s]);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reqBody = Buffer.concat(chunks).toString('utf8');
        const action = /<s:Body><\w+:(\w+)/.exec(reqBody)?.[1] ?? 'Snapshot';
        const behaviour = r.int(100);
        if (behaviour < 3) return; // never answers: the client's deadline must end it
        if (behaviour < 6) return void req.socket.destroy();
        let status = 200;
        let body: Buffer;
        let contentType = 'application/soap+xml; charset=utf-8';
        if (action === 'Snapshot') {
          contentType = r.pick(['image/jpeg', 'text/html', '']);
          body = r.chance(0.7) ? jpeg : Buffer.from(MUTATIONS.randomJunk!('', r));
          if (r.chance(0.2)) status = r.pick([401, 404, 500]);
        } else {
          const sample = r.pick(byAction.get(action) ?? corpus);
          const m = r.chance(0.6) ? mutate(sample, r, corpus) : { body: sample.body, status: sample.status };
          status = m.status;
          body = Buffer.from(m.body, 'latin1');
        }
        const headers: Record<string, string | string[]> = {};
        if (contentType) headers['Content-Type'] = contentType;
        if (status === 401 && r.chance(0.7)) {
          headers['WWW-Authenticate'] = r.pick([
            ['Digest realm="x", qop="auth", nonce="n1", algorithm=MD5'],
            ['Digest realm="x", nonce="n2", stale=true', 'Basic realm="x"'],
            ['Basic realm="x"'],
            ['Digest'],
            ['Digest realm=, nonce'],
            ['Negotiate abc==, Digest realm="y" nonce="z" algorithm=SHA-999'],
            [`Digest ${'x'.repeat(5000)}`],
          ]);
        }
        const lie = r.int(10);
        if (lie === 0) headers['Content-Length'] = String(body.length + 100); // promises more than it sends
        else if (lie === 1) headers['Content-Length'] = String(Math.max(0, body.length - 10)); // less than it has
        else if (lie === 2) headers['Content-Length'] = String(500 * 1024 * 1024);
        else if (lie < 6) headers['Content-Length'] = String(body.length);
        // else: chunked
        try {
          res.writeHead(status, headers);
        } catch {
          res.writeHead(status);
        }
        if (lie === 0 || lie === 2) {
          res.write(body);
          setTimeout(() => req.socket.destroy(), 5);
          return;
        }
        if (lie === 1) {
          res.end(body.subarray(0, Math.max(0, body.length - 10)));
          return;
        }
        if (r.chance(0.05)) {
          res.write(body.subarray(0, body.length >> 1));
          setTimeout(() => req.socket.destroy(), 5);
          return;
        }
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const counts: Record<string, number> = {};
    const heap0 = retainedHeap();
    try {
      for (let i = 0; i < HTTP_CASES; i++) {
        const client = new OnvifClient({
          url: `${base}/onvif/device_service`,
          username: 'admin',
          password: 'pw',
          timeoutMs: 300,
          maxResponseBytes: CAP,
        });
        const call = r.pick([
          () => client.connect(),
          () => client.getSystemDateAndTime(),
          () => client.getDeviceInformation(),
          () => client.getProfiles(),
          () => client.getStreamUri('Profile_1'),
          () => client.getSnapshotUri('Profile_1'),
          () => client.getImagingSettings('VideoSource_1'),
          () => client.getNetworkInterfaces(),
          () => client.fetchSnapshot(`${base}/snapshot.jpg`, { maxBytes: 1000 }),
          () => client.interrogate(),
        ]);
        let outcome: string;
        try {
          await call();
          outcome = 'value';
        } catch (err) {
          if (!(err instanceof OnvifError) || !ONVIF_ERROR_CODES.includes(err.code)) {
            throw new Error(`seed ${SEED} http case ${i}: not an OnvifError: ${err instanceof Error ? err.stack : String(err)}`);
          }
          outcome = err.code;
        }
        counts[outcome] = (counts[outcome] ?? 0) + 1;
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(`onvif fuzz (http) outcomes: ${JSON.stringify(counts)}`);
    expect(unhandled).toEqual([]);
    expect(retainedHeap() - heap0).toBeLessThan(32 * 1024 * 1024);
    expect(Object.keys(counts).length).toBeGreaterThan(2);
  });
});
