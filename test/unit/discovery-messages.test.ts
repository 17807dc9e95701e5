// WS-Discovery message building and reading (drivers/discovery/messages.ts), against
// answers shaped like real cameras': gSOAP firmwares (SOAP-ENV/wsdd prefixes, no Types,
// "uuid:" MessageIDs, ReferenceProperties in the EPR), SOAP 1.1 envelopes, WCF-style
// default namespaces, several XAddrs, missing RelatesTo.
import { describe, expect, it } from 'vitest';
import {
  buildProbe,
  looksLikeOnvif,
  NS,
  normalizeMessageId,
  parseDiscoveryMessage,
  sameMessageId,
  type DiscoveryMessage,
  type ParseOutcome,
} from '../../drivers/discovery/messages.js';
import { deviceKey, LIMITS, mergeInto, newDevice } from '../../drivers/discovery/devices.js';
import { interfaceForAddress, listInterfaces, selectInterfaces, type InterfaceSource } from '../../drivers/discovery/interfaces.js';
import { DiscoveryError } from '../../drivers/discovery/errors.js';
import { child, parseXml, text } from '../../drivers/xml/parse.js';

const URN = 'urn:uuid:4d8a6a70-1c1b-4b7e-9d4a-0123456789ab';
const PROBE_ID = 'urn:uuid:0f0e0d0c-0b0a-4908-8706-050403020100';

function ok(o: ParseOutcome): DiscoveryMessage {
  if (!o.ok) throw new Error(`expected a message, got ${o.reason}: ${o.detail}`);
  return o.message;
}
function matches(o: ParseOutcome) {
  const m = ok(o);
  if (m.kind !== 'probe_matches') throw new Error(`expected probe_matches, got ${m.kind}`);
  return m;
}

/** The shape the WS-Discovery spec and ONVIF Core examples use. */
const specStyle = (relatesTo: string | null = PROBE_ID) => `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}">
  <s:Header>
    <a:Action>${NS.wsd}/ProbeMatches</a:Action>
    <a:MessageID>urn:uuid:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee</a:MessageID>
    ${relatesTo === null ? '' : `<a:RelatesTo>${relatesTo}</a:RelatesTo>`}
    <a:To>${NS.wsa}/role/anonymous</a:To>
    <d:AppSequence InstanceId="1700000000" MessageNumber="3"/>
  </s:Header>
  <s:Body>
    <d:ProbeMatches>
      <d:ProbeMatch>
        <a:EndpointReference><a:Address>${URN}</a:Address></a:EndpointReference>
        <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
        <d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/Gate%20North onvif://www.onvif.org/hardware/X1</d:Scopes>
        <d:XAddrs>http://192.0.2.10/onvif/device_service</d:XAddrs>
        <d:MetadataVersion>7</d:MetadataVersion>
      </d:ProbeMatch>
    </d:ProbeMatches>
  </s:Body>
</s:Envelope>`;

/** gSOAP-generated firmware: many namespace declarations, other prefixes, no Types, uuid: ids. */
const gsoapStyle = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap12}" xmlns:SOAP-ENC="http://www.w3.org/2003/05/soap-encoding"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:wsa="${NS.wsa}" xmlns:wsdd="${NS.wsd}"
 xmlns:tdn="${NS.dn}" xmlns:wsa5="${NS.wsa10}">
<SOAP-ENV:Header>
  <wsa:MessageID>uuid:11223344-5566-7788-99aa-BBCCDDEEFF00</wsa:MessageID>
  <wsa:RelatesTo>uuid:0F0E0D0C-0B0A-4908-8706-050403020100</wsa:RelatesTo>
  <wsa:To SOAP-ENV:mustUnderstand="true">${NS.wsa}/role/anonymous</wsa:To>
  <wsa:Action SOAP-ENV:mustUnderstand="true">${NS.wsd}/ProbeMatches</wsa:Action>
</SOAP-ENV:Header>
<SOAP-ENV:Body>
  <wsdd:ProbeMatches>
    <wsdd:ProbeMatch>
      <wsa:EndpointReference>
        <wsa:Address>uuid:11223344-5566-7788-99aa-BBCCDDEEFF00</wsa:Address>
        <wsa:ReferenceProperties></wsa:ReferenceProperties>
        <wsa:PortType>ttl</wsa:PortType>
      </wsa:EndpointReference>
      <wsdd:Scopes>onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/location/country/china</wsdd:Scopes>
      <wsdd:XAddrs>http://192.0.2.11:80/onvif/device_service</wsdd:XAddrs>
      <wsdd:MetadataVersion>1</wsdd:MetadataVersion>
    </wsdd:ProbeMatch>
  </wsdd:ProbeMatches>
</SOAP-ENV:Body>
</SOAP-ENV:Envelope>`;

/** SOAP 1.1 envelope, no RelatesTo, two XAddrs (IPv4 + IPv6 link-local) with odd whitespace. */
const soap11TwoXAddrs = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap11}" xmlns:wsa="${NS.wsa}" xmlns:wsdd="${NS.wsd}" xmlns:dn="${NS.dn}">
<SOAP-ENV:Body><wsdd:ProbeMatches><wsdd:ProbeMatch>
<wsa:EndpointReference><wsa:Address> urn:uuid:c0ffee00-0000-4000-8000-000000000001 </wsa:Address></wsa:EndpointReference>
<wsdd:Types>dn:NetworkVideoTransmitter</wsdd:Types>
<wsdd:XAddrs>
  http://192.0.2.12/onvif/device_service	http://[fe80::2%eth0]/onvif/device_service
  http://192.0.2.12/onvif/device_service
</wsdd:XAddrs>
<wsdd:MetadataVersion>not-a-number</wsdd:MetadataVersion>
</wsdd:ProbeMatch></wsdd:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`;

/** WCF style: default namespaces instead of prefixes, Types prefix declared on Types itself. */
const defaultNsStyle = `<Envelope xmlns="${NS.soap12}"><Header><RelatesTo xmlns="${NS.wsa}">${PROBE_ID}</RelatesTo></Header>
<Body><ProbeMatches xmlns="${NS.wsd}"><ProbeMatch>
<EndpointReference xmlns="${NS.wsa}"><Address>urn:uuid:d0d0d0d0-0000-4000-8000-000000000002</Address></EndpointReference>
<Types xmlns:x="${NS.dn}" xmlns:y="${NS.tds}">x:NetworkVideoTransmitter y:Device z:Unbound</Types>
<XAddrs>http://192.0.2.13/onvif/device_service?a=1&amp;b=2</XAddrs>
<MetadataVersion>4294967295</MetadataVersion>
</ProbeMatch></ProbeMatches></Body></Envelope>`;

describe('buildProbe', () => {
  it('builds a typed SOAP 1.2 Probe with WS-Addressing 2004/08 headers, namespaces on the Envelope', () => {
    const xml = buildProbe({ messageId: PROBE_ID, types: 'nvt' });
    const env = parseXml(xml);
    expect([env.ns, env.local]).toEqual([NS.soap12, 'Envelope']);
    const header = child(env, NS.soap12, 'Header');
    expect(text(child(header, NS.wsa, 'MessageID'))).toBe(PROBE_ID);
    expect(text(child(header, NS.wsa, 'To'))).toBe('urn:schemas-xmlsoap-org:ws:2005:04:discovery');
    expect(text(child(header, NS.wsa, 'Action'))).toBe('http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe');
    expect(text(child(child(header, NS.wsa, 'ReplyTo'), NS.wsa, 'Address'))).toBe(`${NS.wsa}/role/anonymous`);
    const probe = child(child(env, NS.soap12, 'Body'), NS.wsd, 'Probe');
    expect(text(child(probe, NS.wsd, 'Types'))).toBe('dn:NetworkVideoTransmitter');
    // dn is declared where firmwares look for it: on the Envelope.
    expect(xml).toMatch(/<s:Envelope[^>]*xmlns:dn="http:\/\/www\.onvif\.org\/ver10\/network\/wsdl"/);
  });

  it('builds an untyped Probe', () => {
    const env = parseXml(buildProbe({ messageId: PROBE_ID }));
    const probe = child(child(env, NS.soap12, 'Body'), NS.wsd, 'Probe');
    expect(probe).toBeDefined();
    expect(probe!.children).toEqual([]);
  });

  it('is not taken for an answer by our own reader', () => {
    expect(ok(parseDiscoveryMessage(buildProbe({ messageId: PROBE_ID })))).toMatchObject({ kind: 'other' });
  });
});

describe('parseDiscoveryMessage: ProbeMatches as cameras send them', () => {
  it('reads the spec/ONVIF Core shape', () => {
    const m = matches(parseDiscoveryMessage(specStyle()));
    expect(m.relatesTo).toBe(PROBE_ID);
    expect(m.matches).toEqual([
      {
        urn: URN,
        types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
        expandedTypes: [`{${NS.dn}}NetworkVideoTransmitter`, `{${NS.tds}}Device`],
        scopes: [
          'onvif://www.onvif.org/type/video_encoder',
          'onvif://www.onvif.org/name/Gate%20North',
          'onvif://www.onvif.org/hardware/X1',
        ],
        xaddrs: ['http://192.0.2.10/onvif/device_service'],
        metadataVersion: 7,
      },
    ]);
    expect(looksLikeOnvif(m.matches[0]!)).toBe(true);
  });

  it('reads gSOAP firmware answers: other prefixes, no Types, uuid: ids, extra EPR children', () => {
    const m = matches(parseDiscoveryMessage(gsoapStyle));
    expect(m.relatesTo).toBe('uuid:0F0E0D0C-0B0A-4908-8706-050403020100');
    expect(sameMessageId(m.relatesTo!, PROBE_ID)).toBe(true);
    expect(m.matches[0]).toMatchObject({
      urn: 'uuid:11223344-5566-7788-99aa-BBCCDDEEFF00',
      types: [],
      expandedTypes: [],
      xaddrs: ['http://192.0.2.11:80/onvif/device_service'],
      metadataVersion: 1,
    });
    // No Types, but ONVIF scopes: still recognisably a camera.
    expect(looksLikeOnvif(m.matches[0]!)).toBe(true);
  });

  it('reads SOAP 1.1, no RelatesTo, several XAddrs (deduplicated, in order), bad MetadataVersion as null', () => {
    const m = matches(parseDiscoveryMessage(soap11TwoXAddrs));
    expect(m.relatesTo).toBeNull();
    expect(m.matches[0]).toMatchObject({
      urn: 'urn:uuid:c0ffee00-0000-4000-8000-000000000001',
      xaddrs: ['http://192.0.2.12/onvif/device_service', 'http://[fe80::2%eth0]/onvif/device_service'],
      scopes: [],
      metadataVersion: null,
    });
  });

  it('reads default namespaces, resolves Types prefixes declared on Types, decodes entities', () => {
    const m = matches(parseDiscoveryMessage(defaultNsStyle));
    expect(m.relatesTo).toBe(PROBE_ID);
    expect(m.matches[0]).toMatchObject({
      types: ['x:NetworkVideoTransmitter', 'y:Device', 'z:Unbound'],
      expandedTypes: [`{${NS.dn}}NetworkVideoTransmitter`, `{${NS.tds}}Device`],
      xaddrs: ['http://192.0.2.13/onvif/device_service?a=1&b=2'],
      metadataVersion: 4294967295,
    });
  });

  it('reads WS-Addressing 1.0 (2005/08) headers and several ProbeMatch in one message', () => {
    const xml = `<e:Envelope xmlns:e="${NS.soap12}" xmlns:w="${NS.wsa10}" xmlns:v="${NS.wsa}" xmlns:d="${NS.wsd}">
      <e:Header><w:RelatesTo>${PROBE_ID}</w:RelatesTo></e:Header><e:Body><d:ProbeMatches>
      <d:ProbeMatch><v:EndpointReference><v:Address>urn:uuid:1</v:Address></v:EndpointReference></d:ProbeMatch>
      <d:ProbeMatch><d:Scopes>x</d:Scopes></d:ProbeMatch>
      <d:ProbeMatch><w:EndpointReference><w:Address>urn:uuid:2</w:Address></w:EndpointReference></d:ProbeMatch>
      </d:ProbeMatches></e:Body></e:Envelope>`;
    const m = matches(parseDiscoveryMessage(xml));
    expect(m.relatesTo).toBe(PROBE_ID);
    // The middle one has no endpoint address: it alone is skipped.
    expect(m.matches.map((x) => x.urn)).toEqual(['urn:uuid:1', 'urn:uuid:2']);
  });

  it('tolerates the trailing NUL a C firmware may send with its buffer (only at the end)', () => {
    const buf = Buffer.concat([Buffer.from(specStyle()), Buffer.from([0, 0])]);
    expect(matches(parseDiscoveryMessage(buf)).matches[0]!.urn).toBe(URN);
    expect(matches(parseDiscoveryMessage(specStyle() + '\0')).matches).toHaveLength(1);
    expect(parseDiscoveryMessage('\0' + specStyle())).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('accepts an empty ProbeMatches (nothing matched) and a Header-less message', () => {
    const xml = `<s:Envelope xmlns:s="${NS.soap12}" xmlns:d="${NS.wsd}"><s:Body><d:ProbeMatches/></s:Body></s:Envelope>`;
    expect(matches(parseDiscoveryMessage(xml))).toMatchObject({ relatesTo: null, matches: [] });
  });
});

describe('parseDiscoveryMessage: Hello, Bye, faults', () => {
  it('reads a Hello like a target sends on joining', () => {
    const xml = specStyle()
      .replace('<d:ProbeMatches>', '')
      .replace('</d:ProbeMatches>', '')
      .replace('<d:ProbeMatch>', '<d:Hello>')
      .replace('</d:ProbeMatch>', '</d:Hello>');
    const m = ok(parseDiscoveryMessage(xml));
    expect(m.kind).toBe('hello');
    if (m.kind === 'hello') expect(m.target).toMatchObject({ urn: URN, metadataVersion: 7 });
  });

  it('reads a Bye that carries only the endpoint reference', () => {
    const xml = `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}"><s:Header>
      <a:Action>${NS.wsd}/Bye</a:Action><a:MessageID>urn:uuid:b</a:MessageID></s:Header>
      <s:Body><d:Bye><a:EndpointReference><a:Address>${URN}</a:Address></a:EndpointReference></d:Bye></s:Body></s:Envelope>`;
    expect(ok(parseDiscoveryMessage(xml))).toEqual({ kind: 'bye', messageId: 'urn:uuid:b', urn: URN });
  });

  it('reads SOAP 1.2 and 1.1 faults (cameras answer probes they dislike with one)', () => {
    const f12 = `<env:Envelope xmlns:env="${NS.soap12}" xmlns:d="${NS.wsd}"><env:Body><env:Fault>
      <env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>d:MatchingRuleNotSupported</env:Value></env:Subcode></env:Code>
      <env:Reason><env:Text xml:lang="en">the xml format error</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`;
    expect(ok(parseDiscoveryMessage(f12))).toEqual({
      kind: 'fault',
      relatesTo: null,
      code: 'd:MatchingRuleNotSupported',
      reason: 'the xml format error',
    });
    const f11 = `<s:Envelope xmlns:s="${NS.soap11}"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>no</faultstring></s:Fault></s:Body></s:Envelope>`;
    expect(ok(parseDiscoveryMessage(f11))).toMatchObject({ kind: 'fault', code: 's:Client', reason: 'no' });
  });
});

describe('parseDiscoveryMessage: what is refused', () => {
  const cases: [string, string | Buffer, 'malformed' | 'oversized'][] = [
    ['garbage bytes', Buffer.from([0, 0xff, 0xfe, 0x3c, 0x3c, 0x01]), 'malformed'],
    ['empty datagram', '', 'malformed'],
    ['truncated XML', specStyle().slice(0, 600), 'malformed'],
    [
      'a DOCTYPE with an entity bomb',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` +
        specStyle().replace('<?xml version="1.0" encoding="UTF-8"?>', '').replace('/onvif/device_service', '/&lol2;'),
      'malformed',
    ],
    ['an undeclared entity', specStyle().replace('/onvif/device_service', '/&xxe;'), 'malformed'],
    ['a wrong Envelope namespace', specStyle().replace(NS.soap12, 'http://example.com/soap'), 'malformed'],
    ['WS-Discovery 1.1 namespace', specStyle().replace(`xmlns:d="${NS.wsd}"`, 'xmlns:d="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"'), 'malformed'],
    ['no endpoint address', specStyle().replace(/<a:EndpointReference>.*<\/a:EndpointReference>/, ''), 'malformed'],
    ['an endpoint reference in a wrong namespace', specStyle().replace(`xmlns:a="${NS.wsa}"`, 'xmlns:a="http://example.com/a"'), 'malformed'],
    ['an undeclared prefix', specStyle().replace(`xmlns:d="${NS.wsd}"`, ''), 'malformed'],
    ['no Body', `<s:Envelope xmlns:s="${NS.soap12}"><s:Header/></s:Envelope>`, 'malformed'],
    ['a second root element', specStyle() + '<x/>', 'malformed'],
    ['too large', specStyle().replace('X1', 'X'.repeat(70_000)), 'oversized'],
  ];
  for (const [name, input, reason] of cases) {
    it(`refuses ${name}`, () => {
      const o = parseDiscoveryMessage(input);
      expect(o.ok).toBe(false);
      if (!o.ok) expect(o.reason).toBe(reason);
    });
  }

  it('honours a smaller size cap', () => {
    expect(parseDiscoveryMessage(specStyle(), { maxBytes: 512 })).toMatchObject({ ok: false, reason: 'oversized' });
  });

  it('refuses deep nesting without recursion trouble', () => {
    const deep = `<s:Envelope xmlns:s="${NS.soap12}"><s:Body>${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}</s:Body></s:Envelope>`;
    expect(parseDiscoveryMessage(deep)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('message ids, merging', () => {
  it('compares MessageIDs case-insensitively, with or without urn:', () => {
    expect(normalizeMessageId(' URN:UUID:ABC ')).toBe('uuid:abc');
    expect(sameMessageId('urn:uuid:ABC', 'uuid:abc')).toBe(true);
    expect(sameMessageId('urn:uuid:abc', 'urn:uuid:abd')).toBe(false);
  });

  it('merges answers of one device: union of lists, highest MetadataVersion, every source and interface', () => {
    const a = matches(parseDiscoveryMessage(specStyle())).matches[0]!;
    const d = newDevice(a, '192.0.2.10:3702', 'eth0');
    mergeInto(d, { ...a, types: ['tdn:NetworkVideoTransmitter'], xaddrs: ['http://192.0.2.10/onvif/device_service', 'http://10.0.0.5/onvif/device_service'], metadataVersion: 9 }, '10.0.0.5:3702', 'eth1');
    mergeInto(d, { ...a, metadataVersion: 2 }, '192.0.2.10:3702', 'eth0');
    expect(d).toMatchObject({
      urn: URN,
      types: ['dn:NetworkVideoTransmitter', 'tds:Device', 'tdn:NetworkVideoTransmitter'],
      xaddrs: ['http://192.0.2.10/onvif/device_service', 'http://10.0.0.5/onvif/device_service'],
      metadataVersion: 9,
      from: ['192.0.2.10:3702', '10.0.0.5:3702'],
      interfaces: ['eth0', 'eth1'],
    });
    expect(deviceKey('urn:uuid:ABC')).toBe(deviceKey('urn:uuid:abc'));
  });
});

describe('what a peer can make us keep is bounded', () => {
  it('drops over-long items and stops at the per-device budget', () => {
    const base = { urn: URN, types: [], expandedTypes: [], scopes: [], xaddrs: [], metadataVersion: null };
    const d = newDevice({ ...base, xaddrs: ['http://ok/', 'x'.repeat(LIMITS.itemChars + 1)] }, '192.0.2.1:3702', 'eth0');
    expect(d.xaddrs).toEqual(['http://ok/']);
    for (let i = 0; i < 100; i++) {
      mergeInto(d, { ...base, scopes: Array.from({ length: 50 }, (_, k) => `s${i}-${k}-${'y'.repeat(1000)}`) }, `192.0.2.1:${i}`, 'eth0');
    }
    const chars = [d.xaddrs, d.types, d.scopes, d.from, d.interfaces].flat().reduce((n, x) => n + x.length, 0);
    expect(chars).toBeLessThanOrEqual(LIMITS.deviceChars);
    expect(d.scopes.length).toBeLessThanOrEqual(LIMITS.listItems);
  });

  it('refuses an absurdly long endpoint address', () => {
    const xml = specStyle().replace(URN, `urn:uuid:${'a'.repeat(2000)}`);
    expect(parseDiscoveryMessage(xml)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('interfaces', () => {
  const src = (flags: Record<string, number | null>): InterfaceSource => ({
    networkInterfaces: () => ({
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
      eth0: [
        { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa', internal: false, cidr: null, scopeid: 2 },
        { address: '192.168.1.5', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa', internal: false, cidr: '192.168.1.5/24' },
        { address: '10.1.0.5', netmask: '255.255.0.0', family: 'IPv4', mac: 'aa', internal: false, cidr: '10.1.0.5/16' },
      ],
      eth1: [{ address: '172.16.0.2', netmask: '255.255.0.0', family: 'IPv4', mac: 'bb', internal: false, cidr: '172.16.0.2/16' }],
      tun0: [{ address: '10.8.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: 'cc', internal: false, cidr: '10.8.0.1/24' }],
      v6only: [{ address: 'fe80::9', netmask: 'ffff::', family: 'IPv6', mac: 'dd', internal: false, cidr: null, scopeid: 5 }],
    }),
    readFlags: (name) => flags[name] ?? null,
  });

  it('takes up + multicast + non-loopback IPv4 interfaces from the kernel flags', () => {
    // lo UP|LOOPBACK; eth0 UP|BROADCAST|MULTICAST; eth1 down; tun0 UP|POINTOPOINT (no multicast)
    const s = src({ lo: 0x9, eth0: 0x1003, eth1: 0x1002, tun0: 0x11 });
    expect(selectInterfaces(undefined, s).map((i) => i.name)).toEqual(['eth0']);
    expect(listInterfaces(s).find((i) => i.name === 'eth0')).toMatchObject({ address: '192.168.1.5', flagsFrom: 'sysfs' });
    // Named explicitly, loopback is used even without IFF_MULTICAST (Linux delivers locally).
    expect(selectInterfaces('lo', s).map((i) => i.name)).toEqual(['lo']);
    expect(() => selectInterfaces('eth1', s)).toThrow(expect.objectContaining({ code: 'interface_down' }));
    expect(() => selectInterfaces('wlan9', s)).toThrow(DiscoveryError);
    expect(() => selectInterfaces('v6only', s)).toThrow(expect.objectContaining({ code: 'unknown_interface' }));
  });

  it('falls back to "has an address, not internal" without /sys', () => {
    const s = src({});
    expect(selectInterfaces(undefined, s).map((i) => i.name)).toEqual(['eth0', 'eth1', 'tun0']);
    expect(listInterfaces(s).every((i) => i.flagsFrom === 'guess')).toBe(true);
  });

  it('names the interface whose subnet holds a source address (aliases too)', () => {
    const all = listInterfaces(src({}));
    expect(interfaceForAddress(all, '192.168.1.77')?.name).toBe('eth0');
    expect(interfaceForAddress(all, '10.1.200.1')?.name).toBe('eth0');
    expect(interfaceForAddress(all, '172.16.9.9')?.name).toBe('eth1');
    expect(interfaceForAddress(all, '8.8.8.8')).toBeUndefined();
    expect(interfaceForAddress(all, 'nonsense')).toBeUndefined();
  });

  it('reads this machine without throwing', () => {
    expect(Array.isArray(listInterfaces())).toBe(true);
  });
});
