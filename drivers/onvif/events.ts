// ONVIF Events, PullPoint flavour (ONVIF Core "Event handling", ver10/events/wsdl, with
// WS-BaseNotification b-2 Renew/Unsubscribe and WS-Addressing): CreatePullPointSubscription
// on the events service, then PullMessages / Renew / Unsubscribe on the subscription
// reference the camera hands back.
//
// These calls need SOAP header blocks the shared SoapTransport cannot add (wsa:Action,
// wsa:To, echoed reference parameters: Axis routes on its SubscriptionId parameter,
// gSOAP firmware on wsa:To), the whole answer (topic prefixes may be declared on the
// Envelope) and the fault Detail (PullMessagesFaultResponse limits). So this module runs
// its own exchange with the same policy as the transport: WS-UsernameToken in the device
// clock, HTTP Digest when challenged (answered once, a stale nonce once more), one clock
// resync after "not authorized" when the offset is old, a total deadline and a size cap.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseXml, type XmlElement } from '../xml/parse.js';
import { OnvifError, isOnvifError, shortText } from './errors.js';
import { HttpAuthState, parseChallenges, pickChallenge, type Credentials } from './http-auth.js';
import { request, type HttpResponse } from './http-request.js';
import {
  EVENTS_NS,
  expandFilterTopic,
  lifetimeMs,
  parseCreatePullPointSubscriptionResponse,
  parsePullMessagesFault,
  parsePullMessagesResponse,
  parseRenewResponse,
  topicMatches,
  type OnvifNotification,
  type SubscriptionTimes,
} from './parse-events.js';
import { NS, decodeSoapResponse, soapContentType, xmlEscape, type ExpectedResponse } from './soap.js';
import type { OnvifLogger } from './types.js';
import { redactUrl } from './url.js';
import { createdTimestamp, usernameTokenHeader } from './wsse.js';

export type { OnvifNotification } from './parse-events.js';

export interface PullPointOptions {
  /** Lifetime asked for at creation (the camera may grant less). Default 600. */
  initialTerminationSeconds?: number;
  /**
   * ConcreteSet topic expressions with the prefixes tns1 (ONVIF) or tnsaxis, e.g.
   * 'tns1:Media/ConfigurationChanged', 'tns1:VideoSource//.'. Sent as the subscription
   * Filter and also applied here (cameras ignore filters or refuse them: then the
   * subscription is made without one).
   */
  filterTopics?: string[];
  signal?: AbortSignal;
}

export interface PullOptions {
  /** PullMessages Timeout: how long the camera may hold the request open. Default 10. */
  timeoutSeconds?: number;
  /** PullMessages MessageLimit. Default 100. */
  messageLimit?: number;
  signal?: AbortSignal;
}

export interface CallOpts {
  /** Total deadline of this call (default: the client's timeoutMs). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PullPointSubscription {
  /** Where PullMessages/Renew/Unsubscribe go (after NAT rewriting), credentials removed. */
  readonly address: string;
  /** The wsa:Address exactly as the camera sent it (echoed in wsa:To). */
  readonly reportedAddress: string;
  /** The camera's latest TerminationTime as sent, or null. */
  readonly terminationTime: string | null;
  /** Local clock (ms, the client's `now`) at which the subscription ends by the camera's latest word, or null. */
  readonly expiresAt: number | null;
  /** expiresAt minus now, or null. */
  readonly expiresInMs: number | null;
  /**
   * PullMessages. The call's deadline is the client's deadline PLUS the timeout: a long
   * poll is not a hang. A PullMessagesFaultResponse with limits is retried once within them
   * (and the limits kept).
   */
  pull(opts?: PullOptions): Promise<OnvifNotification[]>;
  /** WS-BaseNotification Renew to `seconds` from now. */
  renew(seconds: number, opts?: CallOpts): Promise<void>;
  /** Unsubscribe; a subscription the camera no longer knows counts as done. */
  unsubscribe(opts?: CallOpts): Promise<void>;
}

/** What an OnvifClient lends this module (its credentials, clock and address rewriting). */
export interface EventsLink {
  /** Identity of the client: HTTP auth state and learnt quirks are kept per client. */
  owner: object;
  /** Events service XAddr (already made reachable), or null when the device has none. */
  eventsUrl: string | null;
  creds: Credentials | null;
  timeoutMs: number;
  maxBytes: number;
  verifyTls: boolean;
  logger: OnvifLogger;
  /** Local clock, ms. */
  now(): number;
  /** Estimate of the device clock, ms (UsernameToken Created, absolute termination times). */
  deviceNow(): number;
  resyncIfStale(deadlineAt: number): Promise<boolean>;
  /** The client's XAddr rewriting (NAT, wrong self-reported host): URL text → usable URL or null. */
  reachable(address: string): string | null;
}

export const EVENTS_DEFAULTS = {
  initialTerminationSeconds: 600,
  pullTimeoutSeconds: 10,
  messageLimit: 100,
} as const;

const ACTION = {
  create: `${NS.tev}/EventPortType/CreatePullPointSubscriptionRequest`,
  pull: `${NS.tev}/PullPointSubscription/PullMessagesRequest`,
  renew: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest',
  unsubscribe: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest',
} as const;

const RESPONSE: Record<'create' | 'pull' | 'renew' | 'unsubscribe', ExpectedResponse> = {
  create: { ns: NS.tev, local: 'CreatePullPointSubscriptionResponse' },
  pull: { ns: NS.tev, local: 'PullMessagesResponse' },
  renew: { ns: [EVENTS_NS.wsnt, NS.tev], local: 'RenewResponse' },
  unsubscribe: { ns: [EVENTS_NS.wsnt, NS.tev], local: 'UnsubscribeResponse' },
};

const CONCRETE_SET = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';
const WSA_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';
const MAX_EXCHANGES = 4;
const FILTER_TOPIC = /^(?:tns1|tnsaxis):[A-Za-z0-9_.\-/:]+$/;

/** What is learnt about a camera across its subscriptions. */
interface ClientState {
  httpAuth: Map<string, HttpAuthState>;
  /** Send termination times as absolute dateTimes (some firmware mishandles durations). */
  absoluteTime: boolean;
}

const states = new WeakMap<object, ClientState>();

function stateOf(owner: object): ClientState {
  let s = states.get(owner);
  if (!s) {
    s = { httpAuth: new Map(), absoluteTime: false };
    states.set(owner, s);
  }
  return s;
}

// ---- fault classification ----

function faultText(err: OnvifError): string {
  return `${err.faultCode ?? ''} ${err.faultReason ?? ''} ${err.message}`;
}

/** The camera no longer knows the subscription (expired, rebooted, unsubscribed). */
export function isSubscriptionGone(err: unknown): boolean {
  return (
    isOnvifError(err, 'fault') &&
    /ResourceUnknown|UnknownSubscription|InvalidSubscription|NoSuchSubscription|Unk?n?own\s*Pull\s*Point|(?:subscription|pull\s*point)[^.]*(?:not\s+exist|not\s+found|unknown|invalid|expired)/i.test(
      faultText(err),
    )
  );
}

/** The device does not do this operation at all (ter:ActionNotSupported and its usual wordings). */
export function isNotSupported(err: unknown): boolean {
  if (!isOnvifError(err, 'fault')) return false;
  return /ActionNotSupported|NotImplemented/i.test(err.faultCode ?? '') || /\bAction\s+Not\s+(?:Implemented|Supported)\b/i.test(err.faultReason ?? '');
}

/** A fault that may be about how a termination time or filter was written: worth one retry in another form. */
function isArgumentFault(err: unknown): boolean {
  return isOnvifError(err, 'fault') && !isNotSupported(err) && !isSubscriptionGone(err);
}

// ---- the exchange ----

interface Exchange {
  name: string;
  action: string;
  to: string;
  referenceParameters: readonly string[];
  body: string;
  expect: ExpectedResponse;
  deadlineAt: number;
  signal?: AbortSignal | undefined;
  /** Sees the raw answer of a fault (PullMessagesFaultResponse detail). */
  onFault?: (res: HttpResponse) => void;
}

function envelope(header: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:wsa="${EVENTS_NS.wsa}" xmlns:tev="${NS.tev}" xmlns:wsnt="${EVENTS_NS.wsnt}"` +
    ` xmlns:tt="${NS.tt}" xmlns:tns1="${EVENTS_NS.tns1}" xmlns:tnsaxis="${EVENTS_NS.tnsaxis}">` +
    (header ? `<s:Header>${header}</s:Header>` : '') +
    `<s:Body>${body}</s:Body></s:Envelope>`
  );
}

/**
 * WS-Addressing request headers as ONVIF clients send them for event operations. No
 * mustUnderstand: a device without WS-Addressing support may ignore them.
 */
function addressingHeaders(action: string, to: string, referenceParameters: readonly string[]): string {
  return (
    `<wsa:Action>${xmlEscape(action)}</wsa:Action>` +
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    `<wsa:ReplyTo><wsa:Address>${WSA_ANONYMOUS}</wsa:Address></wsa:ReplyTo>` +
    `<wsa:To>${xmlEscape(to)}</wsa:To>` +
    referenceParameters.join('')
  );
}

async function exchange(link: EventsLink, url: URL, x: Exchange): Promise<{ el: XmlElement; res: HttpResponse }> {
  const state = stateOf(link.owner);
  const safeUrl = redactUrl(url.toString());
  const creds = link.creds;
  let challengeAnswered = false;
  let staleAnswered = false;
  let resynced = false;
  try {
    for (let n = 1; ; n++) {
      const security = creds ? usernameTokenHeader(creds.username, creds.password, link.deviceNow()) : '';
      const headers: Record<string, string> = {
        'Content-Type': soapContentType(x.action),
        Accept: 'application/soap+xml, text/xml, */*',
      };
      const auth = creds ? state.httpAuth.get(url.origin) : undefined;
      if (auth && creds) headers.Authorization = auth.authorization('POST', url.pathname + url.search, creds);
      const remaining = Math.floor(x.deadlineAt - performance.now());
      if (remaining <= 0) throw new OnvifError('timeout', 'deadline passed before the request could be sent');
      const started = performance.now();
      const res = await request({
        url,
        method: 'POST',
        headers,
        body: Buffer.from(envelope(security + addressingHeaders(x.action, x.to, x.referenceParameters), x.body), 'utf8'),
        timeoutMs: remaining,
        maxBytes: link.maxBytes,
        rejectUnauthorized: link.verifyTls,
        ...(x.signal ? { signal: x.signal } : {}),
      });
      link.logger.debug(
        { action: x.name, url: safeUrl, status: res.status, bytes: res.body.length, ms: Math.round(performance.now() - started) },
        'onvif exchange',
      );
      if (creds && res.status === 401 && n < MAX_EXCHANGES) {
        const challenge = pickChallenge(parseChallenges(res.rawHeaders));
        const next = challenge ? new HttpAuthState(challenge) : null;
        if (next && (!challengeAnswered || (next.stale && !staleAnswered))) {
          if (challengeAnswered) staleAnswered = true;
          challengeAnswered = true;
          state.httpAuth.set(url.origin, next);
          continue;
        }
      }
      try {
        return { el: decodeSoapResponse(res, x.expect, link.maxBytes), res };
      } catch (err) {
        if (isOnvifError(err, 'fault')) x.onFault?.(res);
        if (
          isOnvifError(err, 'unauthorized') &&
          creds &&
          !resynced &&
          n < MAX_EXCHANGES &&
          (await link.resyncIfStale(x.deadlineAt))
        ) {
          resynced = true;
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    if (err instanceof OnvifError) throw err.withContext({ action: x.name, url: safeUrl });
    throw err;
  }
}

/** Parser failures become 'protocol' errors with the call's context. */
function parsed<T>(name: string, url: URL, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const ctx = { action: name, url: redactUrl(url.toString()) };
    if (err instanceof OnvifError) throw err.withContext(ctx);
    throw new OnvifError('protocol', `unreadable answer: ${shortText(String(err))}`, { ...ctx, cause: err });
  }
}

function terminationXml(seconds: number, absolute: boolean, deviceNowMs: number): string {
  // Relative (xs:duration) is immune to clock offsets; absolute is in the DEVICE clock.
  return absolute ? createdTimestamp(deviceNowMs + seconds * 1000) : `PT${seconds}S`;
}

function checkSeconds(what: string, v: number, min: number, max: number): number {
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`${what} must be between ${min} and ${max}`);
  return Math.round(v);
}

/** Filter topics trimmed; RangeError for one we could not declare the prefix of. */
export function checkFilterTopics(topics: readonly string[] | undefined): string[] {
  const out = topics?.map((t) => t.trim()).filter((t) => t !== '') ?? [];
  for (const t of out) {
    if (!FILTER_TOPIC.test(t)) throw new RangeError(`filter topic must use the tns1: or tnsaxis: prefix: ${shortText(t, 80)}`);
  }
  return out;
}

// ---- subscription ----

/**
 * The address PullMessages/Renew/Unsubscribe are posted to. Cameras send: absolute URLs
 * naming their internal address (rewritten like XAddrs), relative paths, 'http:///path'
 * with no host (a Raysharp OEM), or a non-HTTP URI such as urn:uuid:… (then the events
 * service URL is used and the camera routes on wsa:To / reference parameters).
 */
function subscriptionUrl(link: EventsLink, reported: string, eventsUrl: URL): URL {
  const hostless = /^https?:\/\/\//i.exec(reported);
  let candidate: URL | null = null;
  try {
    candidate = hostless ? new URL(reported.slice(hostless[0].length - 1), eventsUrl) : new URL(reported, eventsUrl);
  } catch {
    candidate = null;
  }
  if (!candidate || (candidate.protocol !== 'http:' && candidate.protocol !== 'https:')) return new URL(eventsUrl.toString());
  const usable = link.reachable(candidate.toString());
  return usable ? new URL(usable) : candidate;
}

class PullPoint implements PullPointSubscription {
  readonly address: string;
  private readonly url: URL;
  private term: string | null = null;
  private expires: number | null = null;
  /** Limits learnt from a PullMessagesFaultResponse. */
  private maxTimeoutS: number | null = null;
  private maxLimit: number | null = null;
  private readonly filter: string[] | null;

  constructor(
    private readonly link: EventsLink,
    readonly reportedAddress: string,
    url: URL,
    private readonly referenceParameters: readonly string[],
    filter: string[] | null,
  ) {
    this.url = url;
    this.address = redactUrl(url.toString());
    this.filter = filter;
  }

  get terminationTime(): string | null {
    return this.term;
  }

  get expiresAt(): number | null {
    return this.expires;
  }

  get expiresInMs(): number | null {
    return this.expires === null ? null : this.expires - this.link.now();
  }

  /** Records the camera's times; receivedAt in the local clock. */
  noteTimes(times: SubscriptionTimes, receivedAt: number): void {
    if (times.terminationTime) this.term = times.terminationTime;
    const life = lifetimeMs(times, this.link.deviceNow());
    if (life !== null) this.expires = receivedAt + life;
  }

  async pull(opts: PullOptions = {}): Promise<OnvifNotification[]> {
    let timeoutS = checkSeconds('timeoutSeconds', opts.timeoutSeconds ?? EVENTS_DEFAULTS.pullTimeoutSeconds, 0, 3600);
    let limit = checkSeconds('messageLimit', opts.messageLimit ?? EVENTS_DEFAULTS.messageLimit, 1, 10_000);
    if (this.maxTimeoutS !== null) timeoutS = Math.min(timeoutS, this.maxTimeoutS);
    if (this.maxLimit !== null) limit = Math.min(limit, this.maxLimit);
    for (let attempt = 1; ; attempt++) {
      let limits: ReturnType<typeof parsePullMessagesFault> = null;
      try {
        const { res } = await exchange(this.link, this.url, {
          ...this.call('PullMessages', ACTION.pull, RESPONSE.pull),
          body: `<tev:PullMessages><tev:Timeout>PT${timeoutS}S</tev:Timeout><tev:MessageLimit>${limit}</tev:MessageLimit></tev:PullMessages>`,
          // A long poll is not a hang: the camera may hold the answer for timeoutS.
          deadlineAt: performance.now() + this.link.timeoutMs + timeoutS * 1000,
          signal: opts.signal,
          onFault: (r) => {
            try {
              limits = parsePullMessagesFault(parseXml(r.body, { maxBytes: this.link.maxBytes }));
            } catch {
              limits = null;
            }
          },
        });
        const receivedAt = this.link.now();
        const result = parsed('PullMessages', this.url, () => parsePullMessagesResponse(parseXml(res.body, { maxBytes: this.link.maxBytes })));
        this.noteTimes(result, receivedAt);
        const filter = this.filter;
        return filter ? result.notifications.filter((n) => filter.some((f) => topicMatches(n.topicExpanded, f))) : result.notifications;
      } catch (err) {
        const l = limits as ReturnType<typeof parsePullMessagesFault>;
        if (attempt === 1 && l) {
          const maxT = l.maxTimeoutMs !== null ? Math.floor(l.maxTimeoutMs / 1000) : null;
          const maxL = l.maxMessageLimit;
          const shrinkT = maxT !== null && maxT >= 0 && maxT < timeoutS;
          const shrinkL = maxL !== null && maxL >= 1 && maxL < limit;
          if (shrinkT || shrinkL) {
            if (shrinkT) timeoutS = this.maxTimeoutS = maxT;
            if (shrinkL) limit = this.maxLimit = maxL;
            this.link.logger.info(
              { url: this.address, maxTimeoutSeconds: this.maxTimeoutS, maxMessageLimit: this.maxLimit },
              'onvif events: PullMessages limits of the device applied',
            );
            continue;
          }
        }
        throw err;
      }
    }
  }

  async renew(seconds: number, opts: CallOpts = {}): Promise<void> {
    const s = checkSeconds('seconds', seconds, 1, 366 * 86_400);
    const state = stateOf(this.link.owner);
    const send = async (absolute: boolean) => {
      const { el } = await exchange(this.link, this.url, {
        ...this.call('Renew', ACTION.renew, RESPONSE.renew),
        body: `<wsnt:Renew><wsnt:TerminationTime>${terminationXml(s, absolute, this.link.deviceNow())}</wsnt:TerminationTime></wsnt:Renew>`,
        deadlineAt: performance.now() + (opts.timeoutMs ?? this.link.timeoutMs),
        signal: opts.signal,
      });
      this.noteTimes(
        parsed('Renew', this.url, () => parseRenewResponse(el)),
        this.link.now(),
      );
    };
    const preferred = state.absoluteTime;
    try {
      await send(preferred);
    } catch (err) {
      // Older Hikvision, some Dahua and Bosch refuse a duration here; others an absolute time.
      if (!isArgumentFault(err)) throw err;
      await send(!preferred);
      state.absoluteTime = !preferred;
      this.link.logger.info({ url: this.address, absoluteTime: !preferred }, 'onvif events: termination time form switched');
    }
  }

  async unsubscribe(opts: CallOpts = {}): Promise<void> {
    try {
      await exchange(this.link, this.url, {
        ...this.call('Unsubscribe', ACTION.unsubscribe, RESPONSE.unsubscribe),
        body: `<wsnt:Unsubscribe/>`,
        deadlineAt: performance.now() + (opts.timeoutMs ?? this.link.timeoutMs),
        signal: opts.signal,
      });
    } catch (err) {
      if (isSubscriptionGone(err)) return;
      throw err;
    }
  }

  private call(name: string, action: string, expect: ExpectedResponse) {
    return { name, action, expect, to: this.reportedAddress, referenceParameters: this.referenceParameters };
  }
}

/**
 * CreatePullPointSubscription on the device's events service. A device without one, or
 * one that answers ActionNotSupported, fails with OnvifError 'fault' (callers then poll).
 */
export async function createPullPointSubscription(link: EventsLink, opts: PullPointOptions = {}): Promise<PullPointSubscription> {
  const seconds = checkSeconds('initialTerminationSeconds', opts.initialTerminationSeconds ?? EVENTS_DEFAULTS.initialTerminationSeconds, 1, 366 * 86_400);
  const topics = checkFilterTopics(opts.filterTopics);
  if (!link.eventsUrl) {
    throw new OnvifError('fault', 'the device advertises no events service', {
      action: 'CreatePullPointSubscription',
      faultCode: 'ter:ActionNotSupported',
    });
  }
  const eventsUrl = new URL(link.eventsUrl);
  const state = stateOf(link.owner);

  const send = (absolute: boolean, withFilter: boolean) => {
    const filter =
      withFilter && topics.length > 0
        ? `<tev:Filter><wsnt:TopicExpression Dialect="${CONCRETE_SET}">${xmlEscape(topics.join('|'))}</wsnt:TopicExpression></tev:Filter>`
        : '';
    return exchange(link, eventsUrl, {
      name: 'CreatePullPointSubscription',
      action: ACTION.create,
      to: eventsUrl.toString(),
      referenceParameters: [],
      expect: RESPONSE.create,
      body:
        `<tev:CreatePullPointSubscription>${filter}` +
        // Always sent: Tapo firmware answers 500 when it is missing.
        `<tev:InitialTerminationTime>${terminationXml(seconds, absolute, link.deviceNow())}</tev:InitialTerminationTime>` +
        `</tev:CreatePullPointSubscription>`,
      deadlineAt: performance.now() + link.timeoutMs,
      signal: opts.signal,
    });
  };

  let absolute = state.absoluteTime;
  let withFilter = topics.length > 0;
  let answer: Awaited<ReturnType<typeof send>>;
  try {
    answer = await send(absolute, withFilter);
  } catch (err) {
    if (!isArgumentFault(err)) throw err;
    // One retry in the most tolerant form: the other time form, and no Filter (applied
    // here instead; some firmware cannot parse topic expressions).
    absolute = !absolute;
    withFilter = false;
    answer = await send(absolute, withFilter);
    state.absoluteTime = absolute;
    link.logger.info(
      { url: redactUrl(eventsUrl.toString()), absoluteTime: absolute, filterDropped: topics.length > 0, err: (err as Error).message },
      'onvif events: subscription accepted in another form',
    );
  }
  const receivedAt = link.now();
  const ref = parsed('CreatePullPointSubscription', eventsUrl, () => parseCreatePullPointSubscriptionResponse(answer.el));
  const url = subscriptionUrl(link, ref.address, eventsUrl);
  const sub = new PullPoint(link, ref.address, url, ref.referenceParameters, topics.length > 0 ? topics.map(expandFilterTopic) : null);
  sub.noteTimes(ref, receivedAt);
  link.logger.debug(
    { url: sub.address, reported: redactUrl(ref.address), terminationTime: ref.terminationTime, referenceParameters: ref.referenceParameters.length },
    'onvif events: pull point subscription created',
  );

  // Some cameras ignore a relative time and pick a much shorter life (python-onvif-zeep-async
  // #32): ask again in absolute form. Best effort: the subscription stands either way.
  const granted = lifetimeMs(ref, link.deviceNow());
  if (!absolute && granted !== null && granted < (seconds * 1000) / 2) {
    state.absoluteTime = true;
    try {
      await sub.renew(seconds, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      link.logger.debug({ url: sub.address, err: (err as Error).message }, 'onvif events: renew in absolute form failed');
    }
  }
  return sub;
}
