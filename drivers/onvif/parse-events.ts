// ONVIF Events answers (ver10/events/wsdl, WS-BaseNotification b-2, WS-Addressing) → plain
// values. Cameras differ in prefixes, in where they declare them (Envelope, Body, the Topic
// element itself) and in the WS-Addressing version (2005/08, gSOAP's 2004/08), so elements
// are matched on local name under the response and topic prefixes are resolved with the
// namespace declarations in scope at the Topic element. Nothing is coerced: values are the
// strings the camera sent.
import { attr, type XmlElement } from '../xml/parse.js';
import { OnvifError, shortText } from './errors.js';

export const EVENTS_NS = {
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wsa: 'http://www.w3.org/2005/08/addressing',
  /** gSOAP-based firmware still answers with the 2004/08 member submission. */
  wsa04: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  tt: 'http://www.onvif.org/ver10/schema',
  tns1: 'http://www.onvif.org/ver10/topics',
  tnsaxis: 'http://www.axis.com/2009/event/topics',
} as const;

/** Namespace of the ONVIF topic tree (tns1:). */
export const ONVIF_TOPICS_NS = EVENTS_NS.tns1;

/** The namespace-resolved form of an ONVIF topic path: onvifTopic('Media/ConfigurationChanged'). */
export function onvifTopic(path: string): string {
  return `{${ONVIF_TOPICS_NS}}${path}`;
}

/**
 * Prefixes used when a camera forgets to declare them (seen: tns1 used in the Topic text
 * with no xmlns:tns1 anywhere). Only consulted for prefixes with no declaration in scope.
 */
const WELL_KNOWN_PREFIXES: ReadonlyMap<string, string> = new Map([
  ['tns1', EVENTS_NS.tns1],
  ['tnsaxis', EVENTS_NS.tnsaxis],
]);

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface OnvifNotification {
  /** The topic as sent, trimmed, e.g. 'tns1:Media/ConfigurationChanged'. */
  topic: string;
  /**
   * Prefixes resolved to namespaces in Clark notation, trailing '//.' or '/' removed:
   * '{http://www.onvif.org/ver10/topics}Media/ConfigurationChanged' whatever prefix the
   * camera used. A prefix that cannot be resolved is left as sent.
   */
  topicExpanded: string;
  /** tt:Message@UtcTime as sent, or null when absent/empty. */
  utcTime: string | null;
  /** Initialized | Changed | Deleted, or null (not a property event). */
  propertyOperation: string | null;
  /** tt:Source SimpleItems (ElementItems as their XML). */
  source: Record<string, string>;
  /** tt:Data SimpleItems (ElementItems as their XML). */
  data: Record<string, string>;
}

export interface PullMessagesResult {
  currentTime: string | null;
  terminationTime: string | null;
  notifications: OnvifNotification[];
}

export interface SubscriptionReference {
  /** wsa:Address as sent (trimmed). */
  address: string;
  /** Each wsa:ReferenceParameters child, serialized, to echo as a SOAP header block. */
  referenceParameters: string[];
  currentTime: string | null;
  terminationTime: string | null;
}

export interface SubscriptionTimes {
  currentTime: string | null;
  terminationTime: string | null;
}

export interface PullLimits {
  /** ms, from tev:MaxTimeout. */
  maxTimeoutMs: number | null;
  maxMessageLimit: number | null;
}

type Scope = ReadonlyMap<string, string>;

function withDeclarations(el: XmlElement, parent: Scope): Scope {
  let scope = parent;
  for (const a of el.attrs) {
    if (a.ns !== XMLNS_NS) continue;
    if (scope === parent) scope = new Map(parent);
    (scope as Map<string, string>).set(a.local === 'xmlns' ? '' : a.local, a.value);
  }
  return scope;
}

const firstLocal = (el: XmlElement | undefined, local: string): XmlElement | undefined =>
  el?.children.find((c) => c.local === local);

const trimmedOrNull = (s: string | undefined): string | null => {
  const t = s?.trim();
  return t ? t : null;
};

/**
 * A PullMessagesResponse read from the whole answer (the Envelope is needed for the
 * namespace declarations of topic prefixes). Notifications without a Topic are skipped.
 */
export function parsePullMessagesResponse(envelope: XmlElement): PullMessagesResult {
  let scope = withDeclarations(envelope, new Map());
  const body = firstLocal(envelope, 'Body');
  if (!body) throw new OnvifError('protocol', 'PullMessagesResponse: no Body');
  scope = withDeclarations(body, scope);
  const response = body.children[0];
  if (!response || response.local !== 'PullMessagesResponse') {
    throw new OnvifError('protocol', `expected PullMessagesResponse, got <${shortText(response?.local ?? '(nothing)', 60)}>`);
  }
  scope = withDeclarations(response, scope);
  const notifications: OnvifNotification[] = [];
  for (const nm of response.children) {
    if (nm.local !== 'NotificationMessage') continue;
    const n = parseNotificationMessage(nm, withDeclarations(nm, scope));
    if (n) notifications.push(n);
  }
  return {
    currentTime: trimmedOrNull(firstLocal(response, 'CurrentTime')?.text),
    terminationTime: trimmedOrNull(firstLocal(response, 'TerminationTime')?.text),
    notifications,
  };
}

function parseNotificationMessage(nm: XmlElement, scope: Scope): OnvifNotification | null {
  const topicEl = firstLocal(nm, 'Topic');
  const topic = topicEl?.text.trim() ?? '';
  if (!topicEl || topic === '') return null;
  const topicExpanded = expandTopic(topic, withDeclarations(topicEl, scope));
  // wsnt:Message wraps tt:Message; a few firmwares put the tt:Message content directly in it.
  const wrapper = firstLocal(nm, 'Message');
  const msg = wrapper ? (firstLocal(wrapper, 'Message') ?? wrapper.children[0] ?? wrapper) : undefined;
  return {
    topic,
    topicExpanded,
    utcTime: trimmedOrNull(attr(msg, 'UtcTime')),
    propertyOperation: trimmedOrNull(attr(msg, 'PropertyOperation')),
    source: items(firstLocal(msg, 'Source')),
    data: items(firstLocal(msg, 'Data')),
  };
}

/** tt:ItemList: SimpleItem Name/Value; ElementItem Name + its XML. The first of a duplicate name wins. */
function items(list: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!list) return out;
  for (const it of list.children) {
    const name = attr(it, 'Name');
    if (name === undefined || name in out) continue;
    if (it.local === 'SimpleItem') out[name] = attr(it, 'Value') ?? '';
    else if (it.local === 'ElementItem') out[name] = it.children.map((c) => serializeElement(c)).join('');
  }
  return { ...out };
}

/** 'tns1:RuleEngine/tnsaxis:VMD3/vmd3_video_1' → each 'prefix:' replaced by '{namespace}'. */
export function expandTopic(topic: string, scope: Scope): string {
  const trimmed = topic.trim().replace(/(?:\/\/\.|\/)+$/, '');
  return trimmed
    .split('/')
    .map((seg) => {
      const colon = seg.indexOf(':');
      if (colon <= 0) return seg;
      const prefix = seg.slice(0, colon);
      const ns = scope.get(prefix) ?? WELL_KNOWN_PREFIXES.get(prefix);
      return ns === undefined ? seg : `{${ns}}${seg.slice(colon + 1)}`;
    })
    .join('/');
}

/** A topic filter entry written with our own prefixes (tns1, tnsaxis) in the same expanded form. */
export function expandFilterTopic(topic: string): string {
  return expandTopic(topic, WELL_KNOWN_PREFIXES);
}

/**
 * Does a notification's expanded topic fall under a filter entry? 'X//.' (the ConcreteSet
 * way to say "X and everything below") and 'X' both match X and its sub-topics: cameras
 * extend the standard topics with their own children, which a caller asking for X wants.
 */
export function topicMatches(topicExpanded: string, filterExpanded: string): boolean {
  return topicExpanded === filterExpanded || topicExpanded.startsWith(`${filterExpanded}/`);
}

/** CreatePullPointSubscriptionResponse (its element, as decodeSoapResponse returns it). */
export function parseCreatePullPointSubscriptionResponse(el: XmlElement): SubscriptionReference {
  const ref = firstLocal(el, 'SubscriptionReference');
  const address = ref ? firstLocal(ref, 'Address')?.text.trim() : undefined;
  if (!address) throw new OnvifError('protocol', 'CreatePullPointSubscriptionResponse: no SubscriptionReference/Address');
  const params = firstLocal(ref, 'ReferenceParameters');
  return {
    address,
    referenceParameters: (params?.children ?? []).map((p) => serializeElement(p, { wsaReferenceParameter: true })),
    currentTime: trimmedOrNull(firstLocal(el, 'CurrentTime')?.text),
    terminationTime: trimmedOrNull(firstLocal(el, 'TerminationTime')?.text),
  };
}

/** RenewResponse: TerminationTime (required by the schema, tolerated missing) and CurrentTime. */
export function parseRenewResponse(el: XmlElement): SubscriptionTimes {
  return {
    currentTime: trimmedOrNull(firstLocal(el, 'CurrentTime')?.text),
    terminationTime: trimmedOrNull(firstLocal(el, 'TerminationTime')?.text),
  };
}

/**
 * A PullMessagesFaultResponse in a fault's Detail (ONVIF Core: sent when Timeout or
 * MessageLimit exceed what the device supports) → its limits, or null.
 */
export function parsePullMessagesFault(envelope: XmlElement): PullLimits | null {
  const fault = firstLocal(firstLocal(envelope, 'Body'), 'Fault');
  const detail = firstLocal(fault, 'Detail') ?? firstLocal(fault, 'detail');
  const pf = firstLocal(detail, 'PullMessagesFaultResponse');
  if (!pf) return null;
  const timeout = firstLocal(pf, 'MaxTimeout')?.text.trim();
  const limit = firstLocal(pf, 'MaxMessageLimit')?.text.trim();
  const maxTimeoutMs = timeout ? parseDuration(timeout) : null;
  const maxMessageLimit = limit && /^\d{1,9}$/.test(limit) ? Number(limit) : null;
  return { maxTimeoutMs, maxMessageLimit };
}

/** xs:duration → ms (years and months approximated as 365 and 30 days); null when not one. */
export function parseDuration(s: string): number | null {
  const t = s.trim();
  const m = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(t);
  if (!m || t.endsWith('P') || t.endsWith('T')) return null;
  const n = (v: string | undefined) => (v ? Number(v) : 0);
  const ms = ((((n(m[2]) * 365 + n(m[3]) * 30 + n(m[4])) * 24 + n(m[5])) * 60 + n(m[6])) * 60 + n(m[7])) * 1000;
  return m[1] ? -ms : ms;
}

/**
 * Subscription lifetime in ms from a (CurrentTime, TerminationTime) pair in the camera's
 * clock, or null. Using the camera's own difference makes it immune to clock offsets and to
 * cameras that write local time without a zone (both are off the same way). Hikvision's
 * '0000-00-00T00:00:00Z' and other unreadable values give null.
 */
export function lifetimeMs(times: SubscriptionTimes, deviceNowMs: number): number | null {
  const term = times.terminationTime ? Date.parse(times.terminationTime) : NaN;
  if (Number.isNaN(term)) return null;
  const cur = times.currentTime ? Date.parse(times.currentTime) : NaN;
  return term - (Number.isNaN(cur) ? deviceNowMs : cur);
}

const escText = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
const escAttr = (s: string) => s.replace(/[&<"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;' })[c]!);

/**
 * An element back to XML, self-contained: its namespace as a default declaration on each
 * element, namespaced attributes under generated prefixes, prefixed declarations it carried
 * kept (QName values in its text may need them). Mixed content loses its interleaving
 * (text first): reference parameters and ElementItems are text-only or element-only.
 */
export function serializeElement(el: XmlElement, opts: { wsaReferenceParameter?: boolean } = {}): string {
  const attrs: string[] = [`xmlns="${escAttr(el.ns)}"`];
  const taken = new Set<string>();
  for (const a of el.attrs) {
    if (a.ns === XMLNS_NS && a.local !== 'xmlns') {
      attrs.push(`xmlns:${a.local}="${escAttr(a.value)}"`);
      taken.add(a.local);
    }
  }
  let gen = 0;
  for (const a of el.attrs) {
    if (a.ns === XMLNS_NS) continue;
    if (a.ns === '') {
      attrs.push(`${a.local}="${escAttr(a.value)}"`);
      continue;
    }
    let p = `cea${gen++}`;
    while (taken.has(p)) p = `cea${gen++}`;
    attrs.push(`xmlns:${p}="${escAttr(a.ns)}"`, `${p}:${a.local}="${escAttr(a.value)}"`);
  }
  // WS-Addressing 1.0 SOAP binding: echoed reference parameters are marked as such.
  if (opts.wsaReferenceParameter) attrs.push(`xmlns:ceawsa="${EVENTS_NS.wsa}"`, `ceawsa:IsReferenceParameter="true"`);
  const inner = escText(el.text) + el.children.map((c) => serializeElement(c)).join('');
  return `<${el.local} ${attrs.join(' ')}>${inner}</${el.local}>`;
}
