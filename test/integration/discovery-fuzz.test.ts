// Fuzzing the WS-Discovery reader: 10 000 random and mutated ProbeMatches straight into
// the parser, then 1 000 of them over a real socket into a running probe. Nothing may
// throw, reject or leak. Seeded: set DISCOVERY_FUZZ_SEED to replay a failing run.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../drivers/discovery/index.js';
import { NS, parseDiscoveryMessage } from '../../drivers/discovery/messages.js';
import { seededRng, type Rng } from '../../scripts/lib/seeded-random.js';

const SEED = Number(process.env.DISCOVERY_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const LOOPBACK = '127.0.0.1';


const TEMPLATES = [
  (id: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}">` +
    `<s:Header><a:Action>${NS.wsd}/ProbeMatches</a:Action><a:MessageID>urn:uuid:5f1d2a3b-0000-4000-8000-000000000001</a:MessageID>` +
    `<a:RelatesTo>${id}</a:RelatesTo><a:To>${NS.wsa}/role/anonymous</a:To><d:AppSequence InstanceId="1" MessageNumber="2"/></s:Header>` +
    `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:0a0b0c0d-0000-4000-8000-00000000beef</a:Address></a:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/A%20B</d:Scopes>` +
    `<d:XAddrs>http://192.0.2.5/onvif/device_service http://[fe80::5]/onvif/device_service</d:XAddrs><d:MetadataVersion>3</d:MetadataVersion>` +
    `</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`,
  (id: string) =>
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap11}" xmlns:wsa="${NS.wsa}" xmlns:wsdd="${NS.wsd}"><SOAP-ENV:Header>` +
    `<wsa:RelatesTo>${id.replace('urn:', '')}</wsa:RelatesTo></SOAP-ENV:Header><SOAP-ENV:Body><wsdd:ProbeMatches><wsdd:ProbeMatch>` +
    `<wsa:EndpointReference><wsa:Address>uuid:AAAA0000-0000-4000-8000-00000000CAFE</wsa:Address><wsa:ReferenceProperties/></wsa:EndpointReference>` +
    `<wsdd:Scopes>onvif://www.onvif.org/Profile/Streaming</wsdd:Scopes><wsdd:XAddrs>http://192.0.2.6:8899/onvif/device_service</wsdd:XAddrs>` +
    `<wsdd:MetadataVersion>1</wsdd:MetadataVersion></wsdd:ProbeMatch></wsdd:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
  (id: string) =>
    `<Envelope xmlns="${NS.soap12}"><Header><RelatesTo xmlns="${NS.wsa}">${id}</RelatesTo></Header><Body><ProbeMatches xmlns="${NS.wsd}">` +
    `<ProbeMatch><EndpointReference xmlns="${NS.wsa}"><Address>urn:uuid:1</Address></EndpointReference><Types xmlns:x="${NS.dn}">x:NetworkVideoTransmitter</Types>` +
    `<XAddrs>http://192.0.2.7/a?b=1&amp;c=2</XAddrs></ProbeMatch><ProbeMatch><EndpointReference xmlns="${NS.wsa}"><Address>urn:uuid:2</Address></EndpointReference></ProbeMatch>` +
    `</ProbeMatches></Body></Envelope>`,
];

const NASTY = [
  '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
  '&a;',
  '&#0;',
  '&#x110000;',
  ']]>',
  '<![CDATA[',
  '<!--',
  '<?pi',
  '\u0000',
  '\uFFFF',
  '\uD800',
  '"',
  "'",
  '<',
  '>',
  '/>',
  'xmlns:a="x"',
  'xmlns=""',
  ':',
  '<a:b:c>',
  '&amp;',
  ' ',
  '\t\r\n',
];

function mutate(doc: string, rng: Rng): string | Buffer {
  const n = 1 + rng.int(3);
  let s = doc;
  for (let k = 0; k < n; k++) {
    const at = rng.int(s.length + 1);
    switch (rng.int(11)) {
      case 0: {
        // byte flips, on the UTF-8 bytes (may create invalid UTF-8)
        const b = Buffer.from(s);
        const flips = 1 + rng.int(8);
        for (let i = 0; i < flips && b.length > 0; i++) b[rng.int(b.length)] = rng.int(256);
        if (k === n - 1) return b;
        s = b.toString('latin1');
        break;
      }
      case 1: // truncation
        s = s.slice(0, at);
        break;
      case 2: {
        // duplicate an element (a start tag to its matching end, or any tag)
        const tags = [...s.matchAll(/<([A-Za-z][\w:-]*)[^>]*>[^<]*<\/\1>/g)];
        const t = tags.length ? rng.pick(tags) : null;
        if (t) s = s.slice(0, t.index! + t[0].length) + t[0] + s.slice(t.index! + t[0].length);
        break;
      }
      case 3: {
        // remove a tag
        const tags = [...s.matchAll(/<[^>]*>/g)];
        const t = tags.length ? rng.pick(tags) : null;
        if (t) s = s.slice(0, t.index!) + s.slice(t.index! + t[0].length);
        break;
      }
      case 4: {
        // huge attribute value in a start tag
        const tags = [...s.matchAll(/<[A-Za-z][\w:-]*/g)];
        const t = tags.length ? rng.pick(tags) : null;
        const size = rng.pick([100, 5_000, 30_000, 60_000, 70_000]);
        if (t) s = s.slice(0, t.index! + t[0].length) + ` huge="${'A'.repeat(size)}"` + s.slice(t.index! + t[0].length);
        break;
      }
      case 5: // insert something nasty
        s = s.slice(0, at) + rng.pick(NASTY) + s.slice(at);
        break;
      case 6: {
        // swap a namespace URI for another one
        const uris = Object.values(NS);
        s = s.replaceAll(rng.pick(uris), rng.pick([...uris, 'http://example.com/evil', '']));
        break;
      }
      case 7: {
        // deep nesting inside the body
        const depth = rng.pick([10, 40, 1000]);
        s = s.slice(0, at) + '<x>'.repeat(depth) + '</x>'.repeat(depth) + s.slice(at);
        break;
      }
      case 8: {
        // many elements
        s = s.replace('<d:Scopes>', '<d:Scopes>' + '<y/>'.repeat(rng.pick([10, 3000, 6000])));
        break;
      }
      case 9: // many list items
        s = s.replace(/(XAddrs>)/, `$1${'http://h/ '.repeat(rng.pick([10, 500, 5000]))}`);
        break;
      default: // delete a random span
        s = s.slice(0, at) + s.slice(Math.min(s.length, at + 1 + rng.int(40)));
    }
  }
  return s;
}

function randomDatagram(rng: Rng): Buffer {
  const len = rng.pick([0, 1, 10, 200, 1500, 9000]);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = rng.int(256);
  // Sometimes start like XML so the parser gets past the first byte.
  if (len > 10 && rng.int(2) === 0) b.write('<s:Envelope ');
  return b;
}

function makeCorpus(rng: Rng, n: number, id: string): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.int(20);
    if (r === 0) out.push(randomDatagram(rng));
    else if (r === 1) out.push(rng.pick(TEMPLATES)(id)); // unmutated: must parse
    else out.push(mutate(rng.pick(TEMPLATES)(id), rng));
  }
  return out;
}

beforeAll(() => {
  console.log(`[discovery-fuzz] seed ${SEED} (replay with DISCOVERY_FUZZ_SEED=${SEED})`);
});

describe(`WS-Discovery fuzz (seed ${SEED})`, () => {
  it('parses 10 000 random and mutated datagrams without throwing, with sane results and bounded memory', () => {
    const rng = seededRng(SEED);
    const id = 'urn:uuid:12345678-0000-4000-8000-000000000000';
    const heap0 = process.memoryUsage().heapUsed;
    const tally = { ok: 0, oversized: 0, malformed: 0 };
    for (let i = 0; i < 10_000; i++) {
      const dg = makeCorpus(rng, 1, id)[0]!;
      let o;
      try {
        o = parseDiscoveryMessage(dg);
      } catch (err) {
        throw new Error(`parser threw on case ${i} (seed ${SEED}): ${(err as Error).message}`);
      }
      if (!o.ok) {
        tally[o.reason] += 1;
        continue;
      }
      tally.ok += 1;
      const m = o.message;
      if (m.kind === 'probe_matches' || m.kind === 'hello') {
        for (const t of m.kind === 'hello' ? [m.target] : m.matches) {
          expect(t.urn.length).toBeGreaterThan(0);
          expect(t.urn).not.toMatch(/\s/);
          expect(new Set(t.xaddrs).size).toBe(t.xaddrs.length);
          // XML list items: split on XML whitespace only (a U+00A0 inside stays, as the spec says).
          expect(t.xaddrs.every((x) => x.length > 0 && !/[ \t\r\n]/.test(x))).toBe(true);
          expect(t.metadataVersion === null || Number.isSafeInteger(t.metadataVersion)).toBe(true);
        }
      }
    }
    const growth = process.memoryUsage().heapUsed - heap0;
    console.log(`[discovery-fuzz] parser: ${JSON.stringify(tally)}, heap growth ${(growth / 1e6).toFixed(1)} MB`);
    expect(tally.ok + tally.oversized + tally.malformed).toBe(10_000);
    expect(tally.ok).toBeGreaterThan(100); // the corpus is not all garbage
    expect(tally.malformed).toBeGreaterThan(1000);
    expect(growth).toBeLessThan(100e6);
  });

  describe('over a real socket', () => {
    let peer: Socket;
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled);
      peer = createSocket('udp4');
      peer.on('error', () => {});
      await new Promise<void>((r) => peer.bind(0, LOOPBACK, () => r()));
    });
    afterAll(async () => {
      process.off('unhandledRejection', onUnhandled);
      await new Promise<void>((r) => peer.close(() => r()));
    });

    it('a running probe takes 1 000 fuzzed datagrams and still finds the valid answer sent last', async () => {
      const rng = seededRng(SEED ^ 0x5eed);
      let sent = 0;
      let sendErrors = 0;
      peer.once('message', (msg, rinfo) => {
        const id = /<a:MessageID>([^<]+)</.exec(msg.toString())?.[1] ?? 'none';
        const corpus = makeCorpus(rng, 1000, id);
        corpus.push(TEMPLATES[0]!(id)); // the valid one, last
        void (async () => {
          for (let i = 0; i < corpus.length; i++) {
            await new Promise<void>((r) =>
              peer.send(corpus[i]!, rinfo.port, rinfo.address, (err) => {
                if (err) sendErrors += 1; // e.g. EMSGSIZE for >65 507 bytes: cannot exist on the wire
                else sent += 1;
                r();
              }),
            );
            // Let the receiver drain now and then so the kernel buffer does not overflow.
            if (i % 25 === 24) await new Promise((r) => setImmediate(r));
          }
        })();
      });
      const heap0 = process.memoryUsage().heapUsed;
      const r = await probe({ timeoutMs: 1500, multicast: false, resends: 1, unicastTargets: [{ host: LOOPBACK, port: peer.address().port }] });
      const growth = process.memoryUsage().heapUsed - heap0;
      const dropped = r.dropped.oversized + r.dropped.malformed + r.dropped.unrelated;
      console.log(
        `[discovery-fuzz] socket: sent ${sent} (${sendErrors} refused by the kernel), dropped ${JSON.stringify(r.dropped)}, ` +
          `devices ${r.devices.length}, heap growth ${(growth / 1e6).toFixed(1)} MB`,
      );
      expect(sent).toBeGreaterThan(900);
      expect(r.devices.map((d) => d.urn)).toContain('urn:uuid:0a0b0c0d-0000-4000-8000-00000000beef');
      expect(dropped).toBeGreaterThan(500);
      expect(dropped).toBeLessThanOrEqual(sent);
      expect(growth).toBeLessThan(100e6);
      expect(unhandled).toEqual([]);
    });
  });
});
