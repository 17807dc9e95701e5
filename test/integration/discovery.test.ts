// drivers/discovery over real UDP on loopback: against the camera simulator (unicast and
// multicast probes, Hello/Bye), against hostile peers, and its option and socket hygiene.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryError, DiscoveryListener, probe, type DiscoveredDevice, type ProbeOptions } from '../../drivers/discovery/index.js';
import { NS } from '../../drivers/discovery/messages.js';
import { startFleet, type Fleet } from '../fakes/onvif-camera/index.js';

const LOOPBACK = '127.0.0.1';
const GROUP = '239.255.255.250';

// ---------- helpers ----------

function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWRAP').length;
}

async function bindUdp(port: number, address: string, reuseAddr = false): Promise<Socket> {
  const s = createSocket({ type: 'udp4', reuseAddr });
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ port, address, exclusive: true }, () => {
      s.off('error', reject);
      resolve();
    });
  });
  return s;
}

function closeUdp(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** Forwards datagrams to 127.0.0.1:upstream and the answers back to the sender, counting both. */
async function udpRelay(upstream: number) {
  const front = await bindUdp(0, LOOPBACK);
  const back = await bindUdp(0, LOOPBACK);
  let client: RemoteInfo | null = null;
  let requests = 0;
  let answers = 0;
  front.on('message', (m, rinfo) => {
    requests += 1;
    client = rinfo;
    back.send(m, upstream, LOOPBACK);
  });
  back.on('message', (m) => {
    answers += 1;
    if (client) front.send(m, client.port, client.address);
  });
  return {
    port: front.address().port,
    requests: () => requests,
    answers: () => answers,
    close: async () => {
      await closeUdp(front);
      await closeUdp(back);
    },
  };
}

/** A UDP port nobody uses right now (bound to 0 and released). */
async function freeUdpPort(): Promise<number> {
  const s = await bindUdp(0, LOOPBACK);
  const { port } = s.address();
  await closeUdp(s);
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Does loopback carry multicast here? (It does on Linux even without IFF_MULTICAST on lo,
 * unless a sandbox forbids it.) Returns the reason when it does not.
 */
async function loopbackMulticastProblem(): Promise<string | null> {
  let rx: Socket | null = null;
  let tx: Socket | null = null;
  try {
    const port = await freeUdpPort();
    rx = await bindUdp(port, GROUP, true);
    rx.addMembership(GROUP, LOOPBACK);
    const got = new Promise<boolean>((resolve) => {
      rx!.once('message', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    tx = await bindUdp(0, LOOPBACK);
    tx.setMulticastInterface(LOOPBACK);
    tx.setMulticastLoopback(true);
    tx.send('ping', port, GROUP);
    return (await got) ? null : 'a datagram sent to 239.255.255.250 on lo never arrived';
  } catch (err) {
    return `cannot use multicast on lo: ${(err as Error).message}`;
  } finally {
    if (rx) await closeUdp(rx);
    if (tx) await closeUdp(tx);
  }
}

function sortedUrns(ds: { urn: string }[]): string[] {
  return ds.map((d) => d.urn).sort();
}

/** Collects the warn/debug lines a probe writes. */
function recordingLogger() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  return {
    lines,
    logger: {
      debug: (obj: object, msg?: string) => lines.push({ level: 'debug', msg: msg ?? '', obj }),
      warn: (obj: object, msg?: string) => lines.push({ level: 'warn', msg: msg ?? '', obj }),
    },
  };
}

// ---------- against the simulator: unicast ----------

describe('probe against the camera simulator (unicast)', () => {
  let fleet: Fleet;
  const base = (): ProbeOptions => ({
    timeoutMs: 250,
    multicast: false,
    resends: 1,
    unicastTargets: [{ host: LOOPBACK, port: fleet.discoveryPort! }],
  });

  beforeAll(async () => {
    fleet = await startFleet([{ id: 'gate' }, { id: 'lobby', name: 'Lobby' }, { id: 'yard' }], {
      discovery: { port: 0, maxDelayMs: 0 },
    });
  });
  afterAll(async () => {
    await fleet.stop();
  });

  it('finds every camera with its URN and XAddrs, heard on lo', async () => {
    const handles = udpHandles();
    const r = await probe(base());
    expect(sortedUrns(r.devices)).toEqual(sortedUrns(fleet.cameras));
    for (const cam of fleet.cameras) {
      const d = r.devices.find((x) => x.urn === cam.urn)!;
      expect(d.xaddrs).toEqual([cam.deviceServiceUrl]);
      expect(d.types).toEqual(['dn:NetworkVideoTransmitter', 'tds:Device']);
      expect(d.expandedTypes).toContain(`{${NS.dn}}NetworkVideoTransmitter`);
      expect(d.scopes).toEqual(cam.scopes);
      expect(d.metadataVersion).toBe(1);
      expect(d.from).toEqual([`${LOOPBACK}:${fleet.discoveryPort}`]);
      expect(d.interfaces).toEqual(['lo']);
    }
    expect(r.interfaces).toEqual(['lo']);
    expect(r.dropped).toEqual({ oversized: 0, malformed: 0, unrelated: 0 });
    expect(udpHandles()).toBe(handles); // every socket closed
  });

  it('merges duplicate answers: resends × (typed + untyped) → one device per URN, onDevice once each', async () => {
    // A relay in front of the simulator counts what really came back.
    const relay = await udpRelay(fleet.discoveryPort!);
    const seen: DiscoveredDevice[] = [];
    try {
      const r = await probe({
        ...base(),
        unicastTargets: [{ host: LOOPBACK, port: relay.port }],
        resends: 3,
        timeoutMs: 1200, // the third send leaves at most 250 + 500 ms after the first
        onDevice: (d) => seen.push(d),
      });
      expect(relay.requests()).toBe(6); // 3 sends × (typed + untyped)
      expect(relay.answers()).toBe(6 * fleet.cameras.length);
      expect(r.devices).toHaveLength(fleet.cameras.length);
      expect(sortedUrns(seen)).toEqual(sortedUrns(fleet.cameras));
      for (const d of r.devices) {
        expect(d.xaddrs).toHaveLength(1);
        expect(d.from).toEqual([`${LOOPBACK}:${relay.port}`]);
      }
      expect(r.dropped).toEqual({ oversized: 0, malformed: 0, unrelated: 0 });
    } finally {
      await relay.close();
    }
  });

  it('does not hear an offline camera', async () => {
    const cam = fleet.camera('lobby');
    await cam.setFailure('offline', true);
    try {
      const r = await probe(base());
      expect(sortedUrns(r.devices)).toEqual(sortedUrns(fleet.cameras.filter((c) => c !== cam)));
    } finally {
      await cam.setFailure('offline', false);
    }
  });

  it('ends early on abort and resolves with what it heard', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const r = await probe({ ...base(), timeoutMs: 20_000, signal: ac.signal, onDevice: () => ac.abort() });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.devices.length).toBeGreaterThanOrEqual(1);
    const pre = new AbortController();
    pre.abort();
    expect(await probe({ ...base(), signal: pre.signal })).toEqual({
      devices: [],
      interfaces: [],
      dropped: { oversized: 0, malformed: 0, unrelated: 0 },
    });
  });

  it('survives a throwing onDevice callback', async () => {
    const { lines, logger } = recordingLogger();
    const r = await probe({
      ...base(),
      logger,
      onDevice: () => {
        throw new Error('callback bug');
      },
    });
    expect(r.devices).toHaveLength(fleet.cameras.length);
    expect(lines.filter((l) => l.level === 'warn' && l.msg.includes('onDevice'))).toHaveLength(fleet.cameras.length);
  });
});

// ---------- options ----------

describe('probe options', () => {
  const bads: [string, ProbeOptions, string][] = [
    ['negative timeout', { timeoutMs: -1 }, 'bad_options'],
    ['NaN timeout', { timeoutMs: Number.NaN }, 'bad_options'],
    ['port 0', { timeoutMs: 10, port: 0 }, 'bad_options'],
    ['port 70000', { timeoutMs: 10, port: 70_000 }, 'bad_options'],
    ['a host name as unicast target', { timeoutMs: 10, unicastTargets: [{ host: 'cam.example', port: 3702 }] }, 'bad_options'],
    ['a unicast target without port', { timeoutMs: 10, unicastTargets: [{ host: '10.0.0.1' } as never] }, 'bad_options'],
    ['a unicast multicast address', { timeoutMs: 10, multicastAddress: '10.0.0.1' }, 'bad_options'],
    ['zero resends', { timeoutMs: 10, resends: 0 }, 'bad_options'],
    ['a tiny datagram cap', { timeoutMs: 10, maxDatagramBytes: 10 }, 'bad_options'],
    ['an unknown interface', { timeoutMs: 10, interface: 'nosuch0' }, 'unknown_interface'],
    ['a logger without debug', { timeoutMs: 10, logger: { warn() {} } as never }, 'bad_options'],
  ];
  for (const [name, opts, code] of bads) {
    it(`rejects ${name} with a DiscoveryError (${code})`, async () => {
      const err = await probe(opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DiscoveryError);
      expect((err as DiscoveryError).code).toBe(code);
    });
  }

  it('resolves empty (no throw) when there is nothing to probe', async () => {
    const r = await probe({ timeoutMs: 10, multicast: false });
    expect(r).toEqual({ devices: [], interfaces: [], dropped: { oversized: 0, malformed: 0, unrelated: 0 } });
  });
});

// ---------- real multicast on loopback ----------

describe('multicast on loopback', () => {
  let problem: string | null = null;
  beforeAll(async () => {
    problem = await loopbackMulticastProblem();
    if (problem) console.log(`[discovery] multicast tests skipped: ${problem}`);
  });

  it('finds a camera by a multicast probe to 239.255.255.250 on interface lo', async (ctx) => {
    if (problem) return ctx.skip(`loopback multicast unavailable: ${problem}`);
    const port = await freeUdpPort();
    const fleet = await startFleet([{ id: 'mcast-cam' }], { discovery: { port, multicast: true, maxDelayMs: 0 } });
    try {
      const r = await probe({ timeoutMs: 400, interface: 'lo', port, resends: 2 });
      const cam = fleet.camera('mcast-cam');
      expect(r.devices.map((d) => d.urn)).toEqual([cam.urn]);
      expect(r.devices[0]!.xaddrs).toEqual([cam.deviceServiceUrl]);
      expect(r.devices[0]!.interfaces).toEqual(['lo']);
      expect(r.interfaces).toEqual(['lo']);
    } finally {
      await fleet.stop();
    }
  });

  it('DiscoveryListener hears Hello when cameras start and Bye when they stop', async (ctx) => {
    if (problem) return ctx.skip(`loopback multicast unavailable: ${problem}`);
    const port = await freeUdpPort();
    const handles = udpHandles();
    const listener = new DiscoveryListener({ interface: 'lo', port });
    const hellos: DiscoveredDevice[] = [];
    const byes: { urn: string; from: string }[] = [];
    const errors: Error[] = [];
    listener.on('hello', (d) => hellos.push(d)).on('bye', (b) => byes.push(b)).on('error', (e) => errors.push(e));
    await listener.start();
    expect(listener.interfaces).toEqual(['lo']);
    let fleet: Fleet | null = null;
    try {
      fleet = await startFleet([{ id: 'hello-1' }, { id: 'hello-2' }], { discovery: { port, multicast: true, maxDelayMs: 0 } });
      const urns = sortedUrns(fleet.cameras);
      await waitFor(() => hellos.length >= 2);
      expect(sortedUrns(hellos)).toEqual(urns);
      const h = hellos.find((x) => x.urn === fleet!.cameras[0]!.urn)!;
      expect(h.xaddrs).toEqual([fleet.cameras[0]!.deviceServiceUrl]);
      expect(h.types).toContain('dn:NetworkVideoTransmitter');
      expect(h.from).toEqual([`${LOOPBACK}:${port}`]);
      expect(h.interfaces).toEqual(['lo']);
      expect(byes).toEqual([]);
      await fleet.stop();
      fleet = null;
      await waitFor(() => byes.length >= 2);
      expect(sortedUrns(byes)).toEqual(urns);
      expect(byes[0]!.from).toBe(`${LOOPBACK}:${port}`);
      expect(errors).toEqual([]);
      expect(listener.stats).toMatchObject({ hello: 2, bye: 2 });
    } finally {
      await fleet?.stop();
      await listener.stop();
      await listener.stop(); // idempotent
    }
    expect(udpHandles()).toBe(handles);
  });

  it('DiscoveryListener drops garbage and repeated announcements without emitting', async (ctx) => {
    if (problem) return ctx.skip(`loopback multicast unavailable: ${problem}`);
    const port = await freeUdpPort();
    const listener = new DiscoveryListener({ interface: 'lo', port, maxDatagramBytes: 4096 });
    const hellos: DiscoveredDevice[] = [];
    listener.on('hello', (d) => hellos.push(d));
    await listener.start();
    const tx = await bindUdp(0, LOOPBACK);
    tx.setMulticastInterface(LOOPBACK);
    try {
      const hello = helloXml('urn:uuid:feed0000-0000-4000-8000-000000000001', 'urn:uuid:msg-1');
      for (const dg of ['\u0000garbage', '<!DOCTYPE x [<!ENTITY a "b">]><x/>', 'x'.repeat(5000), hello, hello, probeXml()]) {
        await new Promise<void>((r) => tx.send(dg, port, GROUP, () => r()));
      }
      await waitFor(() => listener.stats.dropped.unrelated >= 1 && hellos.length >= 1);
      await sleep(50);
      expect(hellos.map((h) => h.urn)).toEqual(['urn:uuid:feed0000-0000-4000-8000-000000000001']);
      expect(listener.stats).toMatchObject({ hello: 1, duplicates: 1, dropped: { oversized: 1, malformed: 2, unrelated: 1 } });
    } finally {
      await closeUdp(tx);
      await listener.stop();
    }
  });
});

describe('DiscoveryListener failures are typed', () => {
  it('rejects start() with bind_failed when the port is held exclusively, and stays stoppable', async () => {
    const port = await freeUdpPort();
    const holder = await bindUdp(port, GROUP, false);
    const listener = new DiscoveryListener({ interface: 'lo', port });
    try {
      const err = await listener.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DiscoveryError);
      expect((err as DiscoveryError).code).toBe('bind_failed');
      await listener.stop();
    } finally {
      await closeUdp(holder);
    }
  });

  it('rejects start() for an unknown interface; the constructor rejects bad options', async () => {
    await expect(new DiscoveryListener({ interface: 'nosuch0' }).start()).rejects.toMatchObject({ code: 'unknown_interface' });
    expect(() => new DiscoveryListener({ port: 0 })).toThrow(DiscoveryError);
    expect(() => new DiscoveryListener({ multicastAddress: '192.168.1.1' })).toThrow(DiscoveryError);
  });
});

// ---------- hostile peers ----------

/** Answers the first probe it receives with `replies(messageId)`, then stays silent. */
async function hostilePeer(replies: (probeMessageId: string) => (string | Buffer)[]) {
  const s = await bindUdp(0, LOOPBACK);
  let answered = false;
  const sendErrors: string[] = [];
  s.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    if (answered) return;
    answered = true;
    const id = /<a:MessageID>([^<]+)<\/a:MessageID>/.exec(msg.toString())?.[1] ?? 'none';
    void (async () => {
      for (const dg of replies(id)) {
        await new Promise<void>((r) =>
          s.send(dg, rinfo.port, rinfo.address, (err) => {
            if (err) sendErrors.push(err.message);
            r();
          }),
        );
      }
    })();
  });
  return { port: s.address().port, sendErrors, close: () => closeUdp(s) };
}

function probeMatchesXml(o: { urn: string; relatesTo?: string; xaddrs?: string[]; soap?: string; types?: string | null }): string {
  const soap = o.soap ?? NS.soap12;
  return (
    `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${soap}" xmlns:wsa="${NS.wsa}" xmlns:wsdd="${NS.wsd}" xmlns:tdn="${NS.dn}">` +
    `<env:Header><wsa:MessageID>uuid:${Math.random().toString(16).slice(2)}</wsa:MessageID>` +
    (o.relatesTo ? `<wsa:RelatesTo>${o.relatesTo}</wsa:RelatesTo>` : '') +
    `<wsa:Action>${NS.wsd}/ProbeMatches</wsa:Action></env:Header>` +
    `<env:Body><wsdd:ProbeMatches><wsdd:ProbeMatch><wsa:EndpointReference><wsa:Address>${o.urn}</wsa:Address></wsa:EndpointReference>` +
    (o.types === null ? '' : `<wsdd:Types>${o.types ?? 'tdn:NetworkVideoTransmitter'}</wsdd:Types>`) +
    `<wsdd:Scopes>onvif://www.onvif.org/type/video_encoder</wsdd:Scopes>` +
    `<wsdd:XAddrs>${(o.xaddrs ?? ['http://192.0.2.1/onvif/device_service']).join(' ')}</wsdd:XAddrs>` +
    `<wsdd:MetadataVersion>1</wsdd:MetadataVersion></wsdd:ProbeMatch></wsdd:ProbeMatches></env:Body></env:Envelope>`
  );
}

function helloXml(urn: string, messageId: string): string {
  return (
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}"><s:Header>` +
    `<a:Action>${NS.wsd}/Hello</a:Action><a:MessageID>${messageId}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    `</s:Header><s:Body><d:Hello><a:EndpointReference><a:Address>${urn}</a:Address></a:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter</d:Types><d:XAddrs>http://192.0.2.9/onvif/device_service</d:XAddrs>` +
    `<d:MetadataVersion>1</d:MetadataVersion></d:Hello></s:Body></s:Envelope>`
  );
}

function probeXml(): string {
  return (
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}"><s:Header>` +
    `<a:Action>${NS.wsd}/Probe</a:Action><a:MessageID>urn:uuid:someone-else</a:MessageID></s:Header>` +
    `<s:Body><d:Probe/></s:Body></s:Envelope>`
  );
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('probe against hostile peers', () => {
  it('keeps the good answers, drops and counts the bad ones, throws nothing', async () => {
    const good1 = 'urn:uuid:00000000-0000-4000-8000-00000000000a';
    const good2 = 'urn:uuid:00000000-0000-4000-8000-00000000000b';
    const good3 = 'uuid:00000000-0000-4000-8000-00000000000C';
    const peer = await hostilePeer((id) => {
      const valid = probeMatchesXml({ urn: 'urn:uuid:00000000-0000-4000-8000-0000000000ff', relatesTo: id });
      return [
        Buffer.from([0x00, 0xff, 0x13, 0x37, 0x3c, 0x3c, 0x3e]), // garbage bytes (malformed)
        valid.slice(0, 400), // truncated XML (malformed)
        `<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` +
          valid.replace('<?xml version="1.0" encoding="UTF-8"?>', '').replace('192.0.2.1', '&b;'), // entity bomb (malformed)
        valid.replaceAll(NS.wsd, 'http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01'), // wrong namespace (malformed)
        valid.replace(NS.soap12, 'http://example.com/not-soap'), // wrong envelope namespace (malformed)
        valid.replace('http://192.0.2.1', `http://192.0.2.1/${'x'.repeat(64_000)}`), // ~65 KB (oversized)
        probeMatchesXml({ urn: 'urn:uuid:00000000-0000-4000-8000-0000000000ee', relatesTo: 'urn:uuid:7e57c0de-0000-4000-8000-000000000000' }), // foreign RelatesTo (unrelated)
        `<s:Envelope xmlns:s="${NS.soap12}"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault></s:Body></s:Envelope>`, // fault (unrelated)
        probeMatchesXml({ urn: good1, relatesTo: id }), // good
        probeMatchesXml({
          urn: good2,
          soap: NS.soap11,
          xaddrs: ['http://192.0.2.2/onvif/device_service', 'http://[fe80::2]/onvif/device_service'],
        }), // good: SOAP 1.1, two XAddrs, no RelatesTo
        probeMatchesXml({ urn: good3, relatesTo: id.replace('urn:', '').toUpperCase(), types: null }), // good: no Types, uuid: form
      ];
    });
    const { lines, logger } = recordingLogger();
    try {
      const r = await probe({
        timeoutMs: 400,
        multicast: false,
        resends: 1,
        maxDatagramBytes: 60_000,
        unicastTargets: [{ host: LOOPBACK, port: peer.port }],
        logger,
        onDevice: () => {
          throw new Error('a buggy progress callback');
        },
      });
      expect(peer.sendErrors).toEqual([]);
      expect(sortedUrns(r.devices)).toEqual([good3, good1, good2].sort());
      expect(r.devices.find((d) => d.urn === good2)!.xaddrs).toEqual([
        'http://192.0.2.2/onvif/device_service',
        'http://[fe80::2]/onvif/device_service',
      ]);
      expect(r.devices.find((d) => d.urn === good3)!.types).toEqual([]);
      expect(r.dropped).toEqual({ oversized: 1, malformed: 5, unrelated: 2 });
      expect(lines.filter((l) => l.msg.includes('datagram dropped'))).toHaveLength(6);
    } finally {
      await peer.close();
    }
  });

  it('an IPv4 UDP datagram cannot exceed 65,507 bytes: the default 64 KiB cap is the protocol limit', async () => {
    const s = await bindUdp(0, LOOPBACK);
    try {
      const err = await new Promise<Error | null>((r) => s.send(Buffer.alloc(70_000, 0x41), s.address().port, LOOPBACK, (e) => r(e ?? null)));
      expect(err?.message).toMatch(/EMSGSIZE/);
    } finally {
      await closeUdp(s);
    }
  });
});
