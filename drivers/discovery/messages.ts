// WS-Discovery 2005/04 messages as ONVIF Core uses them: building Probe, reading
// ProbeMatches, Hello and Bye. Reading is liberal in form and strict in meaning:
// - any prefixes, a default namespace, SOAP 1.2 or SOAP 1.1 envelopes (some cameras
//   answer 1.1), WS-Addressing 2004/08 or the W3C 2005/08 namespace;
// - Types, Scopes, XAddrs, MetadataVersion may be missing (cameras omit Types; a target
//   may leave out XAddrs), lists are split on any XML whitespace;
// - but the Envelope/Body and the discovery elements are matched by namespace URI, and
//   anything not well-formed, with a DTD, oversized or without an endpoint address is
//   rejected (the caller drops and counts it).
import { randomUUID } from 'node:crypto';
import { child, children, parseXml, text, XmlError, type XmlElement } from '../xml/parse.js';

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  /** W3C WS-Addressing 1.0: not what ONVIF specifies, but some stacks use it for headers. */
  wsa10: 'http://www.w3.org/2005/08/addressing',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;

export const WSD_ACTION = {
  probe: `${NS.wsd}/Probe`,
  probeMatches: `${NS.wsd}/ProbeMatches`,
  hello: `${NS.wsd}/Hello`,
  bye: `${NS.wsd}/Bye`,
} as const;

/** wsa:To of multicast discovery messages (WS-Discovery 2005/04 section 2.4). */
export const WSD_TO = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';
export const WSA_ANONYMOUS = `${NS.wsa}/role/anonymous`;
export const WSD_GROUP = '239.255.255.250';
export const WSD_PORT = 3702;

const ENVELOPE_NS = [NS.soap12, NS.soap11] as const;
const WSA_NS = [NS.wsa, NS.wsa10] as const;
const DISCOVERY_LOCALS = new Set(['Hello', 'Bye', 'Probe', 'ProbeMatches', 'Resolve', 'ResolveMatches']);

/** A fresh wsa:MessageID (ONVIF Core asks for urn:uuid, RFC 4122). */
export function newMessageId(): string {
  return `urn:uuid:${randomUUID()}`;
}

/**
 * A Probe. With `types: 'nvt'` it asks for dn:NetworkVideoTransmitter (what ONVIF
 * clients such as ONVIF Device Manager send); without, it is untyped (every target
 * answers; some cameras only answer this one). Namespaces are declared on the Envelope:
 * some firmwares only resolve prefixes declared there.
 */
export function buildProbe(opts: { messageId: string; types?: 'nvt' }): string {
  const body =
    opts.types === 'nvt' ? '<d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe>' : '<d:Probe/>';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}">` +
    '<s:Header>' +
    `<a:Action>${WSD_ACTION.probe}</a:Action>` +
    `<a:MessageID>${escapeXml(opts.messageId)}</a:MessageID>` +
    // WS-Addressing 2004/08 wants ReplyTo when a reply is expected; anonymous = back to the source.
    `<a:ReplyTo><a:Address>${WSA_ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<a:To>${WSD_TO}</a:To>` +
    '</s:Header>' +
    `<s:Body>${body}</s:Body>` +
    '</s:Envelope>'
  );
}

/** One target service as a ProbeMatch or Hello describes it. */
export interface TargetInfo {
  /** wsa:EndpointReference/wsa:Address, trimmed, otherwise exactly as sent. */
  urn: string;
  /** QNames as sent, e.g. 'dn:NetworkVideoTransmitter'. */
  types: string[];
  /** The same types expanded to '{namespace}local' (those whose prefix resolves). */
  expandedTypes: string[];
  scopes: string[];
  /** Whitespace-separated transport addresses, de-duplicated, in order. */
  xaddrs: string[];
  metadataVersion: number | null;
}

export type DiscoveryMessage =
  | { kind: 'probe_matches'; messageId: string | null; relatesTo: string | null; matches: TargetInfo[] }
  | { kind: 'hello'; messageId: string | null; target: TargetInfo }
  | { kind: 'bye'; messageId: string | null; urn: string }
  | { kind: 'fault'; relatesTo: string | null; code: string | null; reason: string | null }
  /** Well-formed SOAP that is none of the above (a Probe, a Resolve, foreign content). */
  | { kind: 'other'; action: string | null; relatesTo: string | null };

export type ParseOutcome =
  | { ok: true; message: DiscoveryMessage }
  | { ok: false; reason: 'oversized' | 'malformed'; detail: string };

export interface ParseOptions {
  /** Datagrams larger than this are refused before parsing. Default 65536. */
  maxBytes?: number;
}

/** Never throws: every failure is an outcome with a reason. */
export function parseDiscoveryMessage(data: Buffer | string, opts: ParseOptions = {}): ParseOutcome {
  const maxBytes = opts.maxBytes ?? 65536;
  const size = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
  if (size > maxBytes) return { ok: false, reason: 'oversized', detail: `${size} bytes > ${maxBytes}` };
  try {
    return readEnvelope(parseXml(withoutTrailingNuls(data), { maxBytes, maxDepth: 32, maxElements: 4096 }));
  } catch (err) {
    if (err instanceof Malformed || err instanceof XmlError) return { ok: false, reason: 'malformed', detail: err.message };
    // A bug of ours, not the peer's: still never thrown out of a socket handler.
    return { ok: false, reason: 'malformed', detail: `unexpected: ${(err as Error)?.message ?? String(err)}` };
  }
}

class Malformed extends Error {}

/** Some C firmwares send their buffer with its terminating NUL(s): tolerated at the end only. */
function withoutTrailingNuls(data: Buffer | string): Buffer | string {
  if (typeof data === 'string') return data.replace(/\0+$/, '');
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return end === data.length ? data : data.subarray(0, end);
}

function readEnvelope(env: XmlElement): ParseOutcome {
  if (env.local !== 'Envelope' || !(ENVELOPE_NS as readonly string[]).includes(env.ns)) {
    throw new Malformed(`root is {${env.ns}}${env.local}, not a SOAP Envelope`);
  }
  const header = child(env, env.ns, 'Header');
  const body = child(env, env.ns, 'Body');
  if (!body) throw new Malformed('no SOAP Body');
  const messageId = headerText(header, 'MessageID');
  const relatesTo = headerText(header, 'RelatesTo');
  const action = headerText(header, 'Action');
  const content = body.children[0];
  if (!content) return { ok: true, message: { kind: 'other', action, relatesTo } };

  if (content.ns === NS.wsd) {
    const inScope = namespacesInScope(env, [body, content]);
    switch (content.local) {
      case 'ProbeMatches': {
        const raw = children(content, NS.wsd, 'ProbeMatch');
        const matches: TargetInfo[] = [];
        let firstError: string | null = null;
        for (const pm of raw) {
          try {
            matches.push(readTarget(pm, inScope));
          } catch (err) {
            if (!(err instanceof Malformed)) throw err;
            firstError ??= err.message;
          }
        }
        // One bad ProbeMatch beside good ones does not spoil them; all bad is malformed.
        if (matches.length === 0 && firstError !== null) throw new Malformed(`ProbeMatch: ${firstError}`);
        return { ok: true, message: { kind: 'probe_matches', messageId, relatesTo, matches } };
      }
      case 'Hello':
        return { ok: true, message: { kind: 'hello', messageId, target: readTarget(content, inScope) } };
      case 'Bye':
        return { ok: true, message: { kind: 'bye', messageId, urn: readEndpointAddress(content) } };
      default:
        return { ok: true, message: { kind: 'other', action, relatesTo } };
    }
  }
  if (DISCOVERY_LOCALS.has(content.local)) {
    // Looks like discovery but in another namespace (WS-Discovery 1.1, a typo): not ours.
    throw new Malformed(`${content.local} in namespace ${content.ns || '(none)'}, not ${NS.wsd}`);
  }
  if (content.local === 'Fault' && content.ns === env.ns) {
    return { ok: true, message: { kind: 'fault', relatesTo, ...readFault(content) } };
  }
  return { ok: true, message: { kind: 'other', action, relatesTo } };
}

/** A WS-Addressing header's trimmed text; null when absent or empty. */
function headerText(header: XmlElement | undefined, local: string): string | null {
  const t = text(child(header, WSA_NS, local));
  return t ? t : null;
}

function readTarget(el: XmlElement, outerScope: ReadonlyMap<string, string>): TargetInfo {
  const urn = readEndpointAddress(el);
  const typesEl = child(el, NS.wsd, 'Types');
  const types = dedupe(splitList(typesEl));
  const scope = typesEl ? namespacesInScope(null, [el, typesEl], outerScope) : outerScope;
  const expandedTypes = dedupe(types.map((q) => expandQName(q, scope)).filter((x): x is string => x !== null));
  const mv = text(child(el, NS.wsd, 'MetadataVersion'));
  // xs:unsignedInt; anything else is reported as unknown rather than dropping the device.
  const metadataVersion = mv !== undefined && /^\+?\d{1,10}$/.test(mv) && Number(mv) <= 0xffffffff ? Number(mv) : null;
  return {
    urn,
    types,
    expandedTypes,
    scopes: dedupe(splitList(child(el, NS.wsd, 'Scopes'))),
    xaddrs: dedupe(splitList(child(el, NS.wsd, 'XAddrs'))),
    metadataVersion,
  };
}

function readEndpointAddress(el: XmlElement): string {
  const epr = child(el, WSA_NS, 'EndpointReference');
  if (!epr) throw new Malformed(`${el.local} without wsa:EndpointReference`);
  const address = text(child(epr, WSA_NS, 'Address'));
  if (!address) throw new Malformed(`${el.local} without wsa:EndpointReference/wsa:Address`);
  if (/\s/.test(address)) throw new Malformed('endpoint address contains whitespace');
  // urn:uuid: is 45 characters; anything this long is not an identity worth keeping.
  if (address.length > 1024) throw new Malformed(`endpoint address of ${address.length} characters`);
  return address;
}

function readFault(fault: XmlElement): { code: string | null; reason: string | null } {
  // SOAP 1.2: Code/Value (+ Subcode/Value), Reason/Text; SOAP 1.1: faultcode, faultstring.
  const code12 = child(fault, fault.ns, 'Code');
  const sub = text(child(child(code12, fault.ns, 'Subcode'), fault.ns, 'Value'));
  const code = sub || text(child(code12, fault.ns, 'Value')) || text(child(fault, '*', 'faultcode')) || null;
  const reason = text(child(child(fault, fault.ns, 'Reason'), fault.ns, 'Text')) || text(child(fault, '*', 'faultstring')) || null;
  return { code, reason: reason && reason.length > 200 ? `${reason.slice(0, 200)}…` : reason };
}

/**
 * Prefix → namespace in scope at the last element of `path`, starting from `root`'s own
 * declarations (or `base`). The XML tree carries xmlns declarations as attributes in the
 * xmlns namespace; the path from the Envelope down is short and known.
 */
function namespacesInScope(
  root: XmlElement | null,
  path: XmlElement[],
  base: ReadonlyMap<string, string> = new Map(),
): ReadonlyMap<string, string> {
  const scope = new Map(base);
  for (const el of root ? [root, ...path] : path) {
    for (const a of el.attrs) {
      if (a.ns !== NS.xmlns) continue;
      scope.set(a.local === 'xmlns' ? '' : a.local, a.value);
    }
  }
  return scope;
}

function expandQName(qname: string, scope: ReadonlyMap<string, string>): string | null {
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? '' : qname.slice(0, colon);
  const local = colon === -1 ? qname : qname.slice(colon + 1);
  if (local === '' || local.includes(':')) return null;
  const ns = scope.get(prefix);
  if (ns === undefined) return null; // unbound prefix: keep the QName as sent, no expansion
  return `{${ns}}${local}`;
}

/** xs:list items: split on XML whitespace. */
function splitList(el: XmlElement | undefined): string[] {
  if (!el) return [];
  return el.text.split(/[ \t\r\n]+/).filter((s) => s !== '');
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}

/** Same wsa:MessageID? Case-insensitive UUIDs, with or without the urn: prefix. */
export function sameMessageId(a: string, b: string): boolean {
  return normalizeMessageId(a) === normalizeMessageId(b);
}

export function normalizeMessageId(id: string): string {
  const t = id.trim().toLowerCase();
  return t.startsWith('urn:uuid:') ? t.slice(4) : t;
}

/** Does this look like an ONVIF device (by Types, or by ONVIF scopes when Types is missing)? */
export function looksLikeOnvif(t: { expandedTypes?: string[]; types: string[]; scopes: string[] }): boolean {
  const onvifTypes = [`{${NS.dn}}NetworkVideoTransmitter`, `{${NS.tds}}Device`];
  if (t.expandedTypes?.some((x) => onvifTypes.includes(x))) return true;
  return t.scopes.some((s) => s.toLowerCase().startsWith('onvif://www.onvif.org/'));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
