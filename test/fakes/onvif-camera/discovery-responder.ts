// WS-Discovery (2005/04, SOAP 1.2 over UDP, WS-Addressing 2004/08) target service for the
// simulated cameras: answers Probe with one ProbeMatches per matching camera, unicast to
// the prober after a random delay (APP_MAX_DELAY), and when multicast is on joins
// 239.255.255.250 and sends Hello on start and Bye on stop.
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { NS as SOAP_NS } from './soap.js';
import { silentLogger, type Logger } from './types.js';
import { attr, child, esc, parseXml, textOf, type XmlElement } from './xml.js';

export const WSD = {
  d: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  group: '239.255.255.250',
  port: 3702,
  anonymous: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous',
  to: 'urn:schemas-xmlsoap-org:ws:2005:04:discovery',
} as const;

const ACTION = (name: string) => `${WSD.d}/${name}`;
const RFC3986 = `${WSD.d}/rfc3986`;
const STRCMP0 = `${WSD.d}/strcmp0`;

/** Every simulated camera is an ONVIF NetworkVideoTransmitter and a Device. */
const TARGET_TYPES = [
  { ns: WSD.dn, local: 'NetworkVideoTransmitter' },
  { ns: WSD.tds, local: 'Device' },
];

export interface DiscoveryTarget {
  /** urn:uuid:… endpoint reference address, stable per camera. */
  urn: string;
  scopes: string[];
  xaddrs: string[];
  metadataVersion: number;
}

export interface DiscoveryOptions {
  /** Where to listen for unicast probes. Default 127.0.0.1 (never 0.0.0.0). */
  host?: string;
  /** Default 3702; 0 = random (tests). */
  port?: number;
  /** Join 239.255.255.250 on `host`'s interface and send Hello/Bye. Default false. */
  multicast?: boolean;
  /** Replies wait a random 0..maxDelayMs (WS-Discovery APP_MAX_DELAY is 500 ms). */
  maxDelayMs?: number;
  logger?: Logger;
  /** The cameras that currently answer (an offline camera is silent). */
  targets: () => DiscoveryTarget[];
}

export class DiscoveryResponder {
  private socket: Socket | null = null;
  private mcast: Socket | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly instanceId = Math.floor(Date.now() / 1000);
  private messageNumber = 0;
  private readonly log: Logger;

  constructor(private readonly opts: DiscoveryOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  get port(): number {
    if (!this.socket) throw new Error('discovery responder not started');
    return this.socket.address().port;
  }

  async start(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    const socket = createSocket({ type: 'udp4' });
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: this.opts.port ?? WSD.port, address: host }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => this.log.warn({ err: err.message }, 'ws-discovery socket error'));
    this.socket = socket;
    if (this.opts.multicast) await this.joinMulticast(host);
    this.log.info({ host, port: this.port, multicast: this.mcast !== null }, 'ws-discovery responder listening');
    if (this.mcast) for (const t of this.opts.targets()) this.send(this.hello(t), WSD.group, this.port);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.mcast && this.socket) {
      await Promise.all(this.opts.targets().map((t) => this.send(this.bye(t), WSD.group, this.port)));
    }
    await Promise.all([closeSocket(this.mcast), closeSocket(this.socket)]);
    this.mcast = null;
    this.socket = null;
  }

  /** A second socket bound to the group address receives the multicast probes (Linux). */
  private async joinMulticast(host: string): Promise<void> {
    const m = createSocket({ type: 'udp4', reuseAddr: true });
    m.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    try {
      await new Promise<void>((resolve, reject) => {
        m.once('error', reject);
        m.bind({ port: this.port, address: WSD.group }, () => {
          m.off('error', reject);
          resolve();
        });
      });
      m.on('error', (err) => this.log.warn({ err: err.message }, 'ws-discovery multicast socket error'));
      m.addMembership(WSD.group, host);
      this.socket!.setMulticastInterface(host);
      this.socket!.setMulticastLoopback(true);
      this.mcast = m;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, group: WSD.group, host }, 'cannot join ws-discovery multicast group; unicast only');
      await closeSocket(m);
    }
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    let probe: Probe | null;
    try {
      probe = readProbe(msg.toString('utf8'));
    } catch {
      probe = null; // garbage datagram: ignored, like any real device
    }
    if (!probe) return;
    for (const target of this.opts.targets()) {
      if (!matches(probe, target)) continue;
      const reply = this.probeMatches(probe.messageId, target);
      const delay = Math.random() * (this.opts.maxDelayMs ?? 500);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.send(reply, address, port);
      }, delay);
      this.timers.add(timer);
    }
  }

  private send(xml: string, address: string, port: number): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.send(xml, port, address, (err) => {
        if (err) this.log.warn({ err: err.message, address, port }, 'ws-discovery send failed');
        resolve();
      });
    });
  }

  private header(action: string, to: string, relatesTo?: string): string {
    return (
      `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
      (relatesTo ? `<wsa:RelatesTo>${esc(relatesTo)}</wsa:RelatesTo>` : '') +
      `<wsa:To>${to}</wsa:To><wsa:Action>${action}</wsa:Action>` +
      `<d:AppSequence InstanceId="${this.instanceId}" MessageNumber="${++this.messageNumber}"/>`
    );
  }

  private probeMatches(relatesTo: string, t: DiscoveryTarget): string {
    return wsdEnvelope(
      this.header(ACTION('ProbeMatches'), WSD.anonymous, relatesTo),
      `<d:ProbeMatches><d:ProbeMatch>${targetXml(t)}</d:ProbeMatch></d:ProbeMatches>`,
    );
  }

  private hello(t: DiscoveryTarget): string {
    return wsdEnvelope(this.header(ACTION('Hello'), WSD.to), `<d:Hello>${targetXml(t)}</d:Hello>`);
  }

  private bye(t: DiscoveryTarget): string {
    return wsdEnvelope(
      this.header(ACTION('Bye'), WSD.to),
      `<d:Bye><wsa:EndpointReference><wsa:Address>${esc(t.urn)}</wsa:Address></wsa:EndpointReference></d:Bye>`,
    );
  }
}

function wsdEnvelope(header: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soap:Envelope xmlns:soap="${SOAP_NS.soap}" xmlns:wsa="${WSD.wsa}" xmlns:d="${WSD.d}" ` +
    `xmlns:dn="${WSD.dn}" xmlns:tds="${WSD.tds}">` +
    `<soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

function targetXml(t: DiscoveryTarget): string {
  return (
    `<wsa:EndpointReference><wsa:Address>${esc(t.urn)}</wsa:Address></wsa:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>` +
    `<d:Scopes>${t.scopes.map(esc).join(' ')}</d:Scopes>` +
    `<d:XAddrs>${t.xaddrs.map(esc).join(' ')}</d:XAddrs>` +
    `<d:MetadataVersion>${t.metadataVersion}</d:MetadataVersion>`
  );
}

interface Probe {
  messageId: string;
  /** Resolved QNames; null = a prefix that does not resolve (matches nothing). */
  types: ({ ns: string; local: string } | null)[];
  scopes: string[];
  matchBy: string;
}

function readProbe(text: string): Probe | null {
  const env = parseXml(text);
  if (env.local !== 'Envelope' || env.ns !== SOAP_NS.soap) return null;
  const header = child(env, SOAP_NS.soap, 'Header');
  const probe = child(child(env, SOAP_NS.soap, 'Body'), WSD.d, 'Probe');
  const messageId = textOf(child(header, WSD.wsa, 'MessageID'));
  const action = textOf(child(header, WSD.wsa, 'Action'));
  if (!probe || !messageId || (action !== undefined && action !== ACTION('Probe'))) return null;
  const typesEl = child(probe, WSD.d, 'Types');
  const scopesEl = child(probe, WSD.d, 'Scopes');
  return {
    messageId,
    types: splitList(typesEl).map((q) => resolveQName(q, typesEl!)),
    scopes: splitList(scopesEl),
    matchBy: attr(scopesEl, 'MatchBy') ?? RFC3986,
  };
}

function splitList(el: XmlElement | undefined): string[] {
  return (el?.text ?? '').split(/\s+/).filter(Boolean);
}

function resolveQName(q: string, el: XmlElement): { ns: string; local: string } | null {
  const colon = q.indexOf(':');
  const prefix = colon === -1 ? '' : q.slice(0, colon);
  const ns = el.scope.get(prefix);
  return ns === undefined ? null : { ns, local: q.slice(colon + 1) };
}

function matches(p: Probe, t: DiscoveryTarget): boolean {
  const typesOk = p.types.every((q) => q !== null && TARGET_TYPES.some((x) => x.ns === q.ns && x.local === q.local));
  return typesOk && p.scopes.every((s) => t.scopes.some((ts) => scopeMatches(s, ts, p.matchBy)));
}

/** WS-Discovery 2005/04 section 5.1 matching rules. */
function scopeMatches(probe: string, target: string, matchBy: string): boolean {
  if (matchBy === STRCMP0) return probe === target;
  if (matchBy !== RFC3986) return false; // unsupported rule: no match
  let a: URL;
  let b: URL;
  try {
    a = new URL(probe);
    b = new URL(target);
  } catch {
    return probe === target;
  }
  if (a.protocol !== b.protocol || a.host !== b.host) return false;
  const sa = a.pathname.split('/').filter(Boolean);
  const sb = b.pathname.split('/').filter(Boolean);
  return sa.length <= sb.length && sa.every((seg, i) => seg === sb[i]);
}

function closeSocket(s: Socket | null): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
