// One SOAP call to one device, authentication included:
// - WS-UsernameToken (PasswordDigest, Created in the device's clock) on every call that
//   needs auth: what ONVIF Core requires every device to accept;
// - HTTP Digest when the device answers 401 with a Digest challenge (some firmware wants
//   it instead of, some in addition to, the token): retried once with the challenge, which
//   is then sent pre-emptively on later calls (nc counted). Basic only if the device asks
//   for Basic and nothing else;
// - a device that says "not authorized" while our clock offset is older than resyncAfterMs
//   gets its clock re-read and the call retried once (its clock may have jumped: NTP, reboot).
// Retries are few on purpose: cameras lock accounts after a handful of failed logins.
import { performance } from 'node:perf_hooks';
import type { XmlElement } from '../xml/parse.js';
import { OnvifError, isOnvifError } from './errors.js';
import { HttpAuthState, parseChallenges, pickChallenge, type Credentials } from './http-auth.js';
import { request, type HttpResponse } from './http-request.js';
import { buildEnvelope, decodeSoapResponse, soapContentType, type ExpectedResponse } from './soap.js';
import type { OnvifLogger } from './types.js';
import { redactUrl } from './url.js';
import { usernameTokenHeader } from './wsse.js';

/** What the transport needs of the device clock (kept by the client). */
export interface DeviceClock {
  /** Our best estimate of the device clock now (ms). */
  deviceNow(): number;
  /** Re-read the device clock if the offset is stale; true when it did (then retry). */
  resyncIfStale(deadlineAt: number): Promise<boolean>;
}

export interface SoapOperation {
  /** WSDL namespace of the operation, e.g. http://www.onvif.org/ver10/device/wsdl */
  ns: string;
  /** Operation name, e.g. GetDeviceInformation */
  name: string;
  /** Body XML (prefixes tds/trt/timg/tt are declared by the envelope). */
  body: string;
  expect: ExpectedResponse;
}

export interface CallOptions {
  /** Send credentials (WS-UsernameToken, HTTP auth when challenged). */
  auth: boolean;
  /** Skip the clock resync retry (used by the clock reading itself). */
  noResync?: boolean;
  /** performance.now() value by which the whole call must be done. */
  deadlineAt?: number;
}

export interface CallResult {
  el: XmlElement;
  /** Our clock (options.now) when the successful exchange started and ended. */
  sentAt: number;
  receivedAt: number;
}

export interface TransportOptions {
  creds: Credentials | null;
  timeoutMs: number;
  maxBytes: number;
  now: () => number;
  logger: OnvifLogger;
  verifyTls: boolean;
  clock: DeviceClock;
}

const MAX_EXCHANGES = 4;

export class SoapTransport {
  /** HTTP auth the device asked for, per origin (never replayed to another host), reused pre-emptively. */
  private readonly httpAuth = new Map<string, HttpAuthState>();

  constructor(private readonly o: TransportOptions) {}

  get hasCredentials(): boolean {
    return this.o.creds !== null;
  }

  deadline(): number {
    return performance.now() + this.o.timeoutMs;
  }

  async call(url: URL, op: SoapOperation, opts: CallOptions): Promise<CallResult> {
    const safeUrl = redactUrl(url.toString());
    const ctx = { action: op.name, url: safeUrl };
    const deadlineAt = opts.deadlineAt ?? this.deadline();
    const creds = opts.auth ? this.o.creds : null;
    let challengeAnswered = false;
    let staleAnswered = false;
    let resynced = false;
    try {
      for (let exchange = 1; ; exchange++) {
        const security = creds ? usernameTokenHeader(creds.username, creds.password, this.o.clock.deviceNow()) : '';
        const headers: Record<string, string> = {
          'Content-Type': soapContentType(`${op.ns}/${op.name}`),
          Accept: 'application/soap+xml, text/xml, */*',
        };
        const auth = creds ? this.httpAuth.get(url.origin) : undefined;
        if (auth && creds) headers.Authorization = auth.authorization('POST', url.pathname + url.search, creds);
        const sentAt = this.o.now();
        const started = performance.now();
        const res = await this.exchange(url, headers, Buffer.from(buildEnvelope(op.body, security), 'utf8'), deadlineAt);
        const receivedAt = this.o.now();
        this.o.logger.debug(
          { action: op.name, url: safeUrl, status: res.status, bytes: res.body.length, ms: Math.round(performance.now() - started) },
          'onvif exchange',
        );
        if (creds && res.status === 401 && exchange < MAX_EXCHANGES) {
          const challenge = pickChallenge(parseChallenges(res.rawHeaders));
          const next = challenge ? new HttpAuthState(challenge) : null;
          // First challenge: answer it. A stale nonce (our cached one expired): answer once more.
          if (next && (!challengeAnswered || (next.stale && !staleAnswered))) {
            if (challengeAnswered) staleAnswered = true;
            challengeAnswered = true;
            this.httpAuth.set(url.origin, next);
            continue;
          }
        }
        try {
          return { el: decodeSoapResponse(res, op.expect, this.o.maxBytes), sentAt, receivedAt };
        } catch (err) {
          if (
            isOnvifError(err, 'unauthorized') &&
            creds &&
            !opts.noResync &&
            !resynced &&
            exchange < MAX_EXCHANGES &&
            (await this.o.clock.resyncIfStale(deadlineAt))
          ) {
            resynced = true;
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof OnvifError) throw err.withContext(ctx);
      throw err;
    }
  }

  private exchange(url: URL, headers: Record<string, string>, body: Buffer, deadlineAt: number): Promise<HttpResponse> {
    const remaining = Math.floor(deadlineAt - performance.now());
    if (remaining <= 0) return Promise.reject(new OnvifError('timeout', 'deadline passed before the request could be sent'));
    return request({
      url,
      method: 'POST',
      headers,
      body,
      timeoutMs: remaining,
      maxBytes: this.o.maxBytes,
      rejectUnauthorized: this.o.verifyTls,
    });
  }
}
