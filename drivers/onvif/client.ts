// The ONVIF client of one device: raw SOAP 1.2 over node:http(s) (see README.md for why
// not the npm `onvif` package), Device + Media 1.0 (Profile S) + Imaging 2.0.
import { performance } from 'node:perf_hooks';
import type { XmlElement } from '../xml/parse.js';
import { OnvifError, isOnvifError, shortText, type OnvifErrorCode } from './errors.js';
import type { Credentials, HttpAuthState } from './http-auth.js';
import {
  DEVICE_RESPONSES,
  parseCapabilities,
  parseDeviceInformation,
  parseHostname,
  parseNetworkInterfaces,
  parseScopes,
  parseServices,
  parseSystemDateAndTime,
  type ReportedXAddrs,
} from './parse-device.js';
import { IMAGING_RESPONSES, parseImagingSettings } from './parse-imaging.js';
import { MEDIA_RESPONSES, parseMediaUri, parseProfiles } from './parse-media.js';
import { createPullPointSubscription, type PullPointOptions, type PullPointSubscription } from './events.js';
import { DEFAULT_SNAPSHOT_MAX_BYTES, fetchSnapshot } from './snapshot.js';
import { NS, xmlEscape } from './soap.js';
import { SoapTransport, type SoapOperation } from './soap-transport.js';
import type {
  DeviceIdentity,
  DeviceReport,
  DeviceTime,
  ImagingSettings,
  MediaProfile,
  NetworkInterfaceInfo,
  OnvifClientOptions,
  OnvifLogger,
  PartialFailure,
  ServiceAddresses,
  Snapshot,
} from './types.js';
import { bareHost, firstHttpUrl, reachableMediaUri, reachableXAddr, redactUrl, splitCredentials } from './url.js';

export const DEFAULTS = {
  timeoutMs: 5_000,
  maxResponseBytes: 2 * 1024 * 1024,
  resyncAfterMs: 5 * 60_000,
} as const;

const noop = () => {};
const silent: OnvifLogger = { debug: noop, info: noop, warn: noop };

/** Codes after which the device is taken to be gone for the moment (no point asking more). */
const GONE: ReadonlySet<OnvifErrorCode> = new Set(['unreachable', 'timeout']);

const op = {
  device: (name: keyof typeof DEVICE_RESPONSES, body?: string): SoapOperation => ({
    ns: NS.tds,
    name,
    body: body ?? `<tds:${name}/>`,
    expect: DEVICE_RESPONSES[name],
  }),
};

export class OnvifClient {
  private readonly deviceUrl: URL;
  private readonly safeUrl: string;
  private readonly creds: Credentials | null;
  private readonly now: () => number;
  private readonly log: OnvifLogger;
  private readonly transport: SoapTransport;
  private readonly timeoutMs: number;
  private readonly resyncAfterMs: number;
  private readonly rewrite: boolean;
  private readonly verifyTls: boolean;
  private readonly maxBytes: number;

  private offsetMs: number | null = null;
  private offsetMeasuredAt: number | null = null;
  private lastTime: DeviceTime | null = null;
  private syncing: Promise<DeviceTime> | null = null;
  private services: ServiceAddresses | null = null;
  /** Hosts the device reported for itself that we replaced (NAT): media URIs get the same fix. */
  private readonly rewrittenHosts = new Set<string>();
  private readonly snapshotAuth = new Map<string, HttpAuthState>();

  constructor(opts: OnvifClientOptions) {
    let split: ReturnType<typeof splitCredentials>;
    try {
      split = splitCredentials(opts.url);
    } catch {
      throw new TypeError(`not a URL: ${redactUrl(opts.url)}`);
    }
    if (split.url.protocol !== 'http:' && split.url.protocol !== 'https:') {
      throw new TypeError(`ONVIF device URL must be http(s): ${redactUrl(opts.url)}`);
    }
    this.deviceUrl = split.url;
    this.safeUrl = redactUrl(split.url.toString());
    const username = opts.username ?? split.username;
    const password = opts.password ?? split.password;
    this.creds = username !== undefined && username !== '' ? { username, password: password ?? '' } : null;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? silent;
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this.resyncAfterMs = opts.resyncAfterMs ?? DEFAULTS.resyncAfterMs;
    this.rewrite = opts.rewriteXAddrs ?? true;
    this.verifyTls = opts.verifyTls ?? false;
    this.maxBytes = opts.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    this.transport = new SoapTransport({
      creds: this.creds,
      timeoutMs: this.timeoutMs,
      maxBytes: opts.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
      now: this.now,
      logger: this.log,
      verifyTls: this.verifyTls,
      clock: {
        deviceNow: () => this.now() + (this.offsetMs ?? 0),
        resyncIfStale: (deadlineAt) => this.resyncIfStale(deadlineAt),
      },
    });
  }

  /** Device clock minus local clock (ms), once measured. */
  get timeOffsetMs(): number | null {
    return this.offsetMs;
  }

  /** The device service URL as used (credentials removed). */
  get xaddr(): string {
    return this.safeUrl;
  }

  /** Service addresses found by connect() (after NAT rewriting), or null before. */
  get serviceAddresses(): ServiceAddresses | null {
    return this.services ? { ...this.services } : null;
  }

  /**
   * Device clock (no auth needed) → service addresses → an AUTHENTICATED
   * GetDeviceInformation, so a wrong password fails here as 'unauthorized'
   * (the npm package's connect() succeeded with one).
   */
  async connect(): Promise<DeviceIdentity> {
    try {
      await this.syncTime();
    } catch (err) {
      // A device that cannot tell its time properly may still work: go on with our clock.
      if (!isOnvifError(err) || !(err.code === 'protocol' || err.code === 'fault')) throw err;
      this.log.warn({ url: this.safeUrl, code: err.code, err: err.message }, 'onvif: device time unreadable, using the local clock');
    }
    await this.discoverServices();
    return this.getDeviceInformation();
  }

  /** Re-reads the device clock and keeps the offset for WS-UsernameToken. */
  syncTime(): Promise<DeviceTime> {
    // Concurrent callers share one reading.
    this.syncing ??= this.readTime().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  /** GetSystemDateAndTime; also refreshes the offset used for authentication. */
  getSystemDateAndTime(): Promise<DeviceTime> {
    return this.syncTime();
  }

  async getDeviceInformation(): Promise<DeviceIdentity> {
    return this.run(this.deviceUrl, op.device('GetDeviceInformation'), parseDeviceInformation);
  }

  async getHostname(): Promise<string | null> {
    return this.run(this.deviceUrl, op.device('GetHostname'), parseHostname);
  }

  async getNetworkInterfaces(): Promise<NetworkInterfaceInfo[]> {
    return this.run(this.deviceUrl, op.device('GetNetworkInterfaces'), parseNetworkInterfaces);
  }

  async getScopes(): Promise<string[]> {
    return this.run(this.deviceUrl, op.device('GetScopes'), parseScopes);
  }

  /** Media profiles with their video encoder; stream and snapshot URIs are null here. */
  async getProfiles(): Promise<MediaProfile[]> {
    const url = await this.mediaUrl();
    return this.run(url, { ns: NS.trt, name: 'GetProfiles', body: '<trt:GetProfiles/>', expect: MEDIA_RESPONSES.GetProfiles }, parseProfiles);
  }

  /** RTSP URI of a profile (RTP unicast over RTSP). */
  async getStreamUri(profileToken: string): Promise<string> {
    const url = await this.mediaUrl();
    const body =
      `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>` +
      `<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>` +
      `<trt:ProfileToken>${xmlEscape(profileToken)}</trt:ProfileToken></trt:GetStreamUri>`;
    const uri = await this.run(url, { ns: NS.trt, name: 'GetStreamUri', body, expect: MEDIA_RESPONSES.GetStreamUri }, parseMediaUri);
    return this.reachableMedia(uri);
  }

  /** JPEG snapshot URI of a profile, or null when the device has none. */
  async getSnapshotUri(profileToken: string): Promise<string | null> {
    const url = await this.mediaUrl();
    const body = `<trt:GetSnapshotUri><trt:ProfileToken>${xmlEscape(profileToken)}</trt:ProfileToken></trt:GetSnapshotUri>`;
    try {
      const uri = await this.run(url, { ns: NS.trt, name: 'GetSnapshotUri', body, expect: MEDIA_RESPONSES.GetSnapshotUri }, parseMediaUri);
      return this.reachableMedia(uri);
    } catch (err) {
      if (isOnvifError(err, 'fault') && /NotSupported|NoSnapshot/i.test(err.faultCode ?? '')) return null;
      throw err;
    }
  }

  /** Flattened imaging settings of a video source (Brightness, Exposure.Mode, IrCutFilter…). */
  async getImagingSettings(videoSourceToken: string): Promise<ImagingSettings> {
    await this.ensureServices();
    const imaging = this.services?.imaging;
    if (!imaging) {
      throw new OnvifError('fault', 'the device advertises no imaging service', {
        action: 'GetImagingSettings',
        url: this.safeUrl,
        faultCode: 'ter:ActionNotSupported',
      });
    }
    const body = `<timg:GetImagingSettings><timg:VideoSourceToken>${xmlEscape(videoSourceToken)}</timg:VideoSourceToken></timg:GetImagingSettings>`;
    return this.run(
      new URL(imaging),
      { ns: NS.timg, name: 'GetImagingSettings', body, expect: IMAGING_RESPONSES.GetImagingSettings },
      parseImagingSettings,
    );
  }

  /** GET a snapshot URI with the device's credentials (Digest/Basic as challenged). */
  fetchSnapshot(uri: string, opts: { maxBytes?: number } = {}): Promise<Snapshot> {
    return fetchSnapshot(uri, {
      creds: this.creds,
      timeoutMs: this.timeoutMs,
      maxBytes: opts.maxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES,
      verifyTls: this.verifyTls,
      logger: this.log,
      cached: this.snapshotAuth,
    });
  }

  /**
   * ONVIF Events: a PullPoint subscription (see events.ts). A device without an events
   * service, or without pull points, fails with OnvifError 'fault' (ActionNotSupported):
   * callers then fall back to polling.
   */
  async createPullPointSubscription(opts: PullPointOptions = {}): Promise<PullPointSubscription> {
    await this.ensureServices();
    return createPullPointSubscription(
      {
        owner: this,
        eventsUrl: this.services?.events ?? null,
        creds: this.creds,
        timeoutMs: this.timeoutMs,
        maxBytes: this.maxBytes,
        verifyTls: this.verifyTls,
        logger: this.log,
        now: this.now,
        deviceNow: () => this.now() + (this.offsetMs ?? 0),
        resyncIfStale: (deadlineAt) => this.resyncIfStale(deadlineAt),
        reachable: (address) => this.reachableXAddr(address),
      },
      opts,
    );
  }

  /**
   * connect() and then everything else, one request at a time (cameras are weak).
   * Failing to connect fails the whole; any later part that fails is recorded in
   * `partial`. After two consecutive timeouts/unreachables the rest is skipped, so a
   * camera that died mid-way costs two deadlines, not twenty.
   */
  async interrogate(): Promise<DeviceReport> {
    const identity = await this.connect();
    const partial: PartialFailure[] = [];
    let goneStreak = 0;
    let gone: OnvifError | null = null;
    const part = async <T>(name: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
      if (gone) {
        partial.push({ part: name, code: gone.code, message: `skipped: device stopped answering (${gone.message})` });
        return fallback;
      }
      try {
        const v = await fn();
        goneStreak = 0;
        return v;
      } catch (err) {
        const e = isOnvifError(err) ? err : new OnvifError('protocol', `unexpected: ${shortText(String(err))}`);
        partial.push({ part: name, code: e.code, message: e.message });
        if (GONE.has(e.code)) {
          if (++goneStreak >= 2) gone = e;
        } else goneStreak = 0;
        return fallback;
      }
    };

    let time = this.lastTime;
    if (!time) {
      partial.push({ part: 'time', code: 'protocol', message: 'device time could not be read; local clock used' });
      time = { deviceUtc: new Date(this.now()).toISOString(), offsetMs: 0, ntp: null, timezone: null };
    }
    const hostname = await part('hostname', () => this.getHostname(), null);
    const network = await part('network', () => this.getNetworkInterfaces(), []);
    const scopes = await part('scopes', () => this.getScopes(), []);
    const profiles = await part('profiles', () => this.getProfiles(), []);
    for (const p of profiles) {
      p.streamUri = await part(`profile:${p.token}:streamUri`, () => this.getStreamUri(p.token), null);
      p.snapshotUri = await part(`profile:${p.token}:snapshotUri`, () => this.getSnapshotUri(p.token), null);
    }
    const imaging: Record<string, ImagingSettings> = {};
    const sources = [...new Set(profiles.map((p) => p.videoSourceToken).filter((t): t is string => t !== null))];
    for (const source of sources) {
      const settings = await part(`imaging:${source}`, () => this.getImagingSettings(source), null);
      if (settings) imaging[source] = settings;
    }
    return {
      xaddr: this.safeUrl,
      identity,
      time,
      hostname,
      network,
      scopes,
      profiles,
      imaging,
      services: this.services ? { ...this.services } : { media: null, imaging: null, events: null },
      partial,
    };
  }

  // ---- internals ----

  /** Runs one SOAP call and its parser; parser errors get the call's context. */
  private async run<T>(url: URL, operation: SoapOperation, parse: (el: XmlElement) => T): Promise<T> {
    const { el } = await this.transport.call(url, operation, { auth: true });
    return this.parse(url, operation.name, () => parse(el));
  }

  private parse<T>(url: URL, action: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const ctx = { action, url: redactUrl(url.toString()) };
      if (err instanceof OnvifError) throw err.withContext(ctx);
      // A parser bug must not surface as a random exception to the agent.
      throw new OnvifError('protocol', `unreadable answer: ${shortText(String(err))}`, { ...ctx, cause: err });
    }
  }

  /**
   * GetSystemDateAndTime without credentials first (ONVIF Core: allowed before auth, and
   * Axis-style replay protection rejects a token made with an unknown clock). Some
   * firmware (Panasonic, Vivotek) insists on auth even here: then retry with a token on
   * our own clock.
   */
  private async readTime(): Promise<DeviceTime> {
    const operation = op.device('GetSystemDateAndTime');
    const deadlineAt = performance.now() + this.timeoutMs;
    let result;
    try {
      result = await this.transport.call(this.deviceUrl, operation, { auth: false, noResync: true, deadlineAt });
    } catch (err) {
      if (!isOnvifError(err, 'unauthorized') || !this.creds) throw err;
      result = await this.transport.call(this.deviceUrl, operation, { auth: true, noResync: true });
    }
    const { el, sentAt, receivedAt } = result;
    const time = this.parse(this.deviceUrl, operation.name, () => parseSystemDateAndTime(el, (sentAt + receivedAt) / 2));
    this.offsetMs = time.offsetMs;
    this.offsetMeasuredAt = receivedAt;
    this.lastTime = time;
    this.log.debug({ url: this.safeUrl, offsetMs: time.offsetMs }, 'onvif device clock read');
    return time;
  }

  private async resyncIfStale(deadlineAt: number): Promise<boolean> {
    const age = this.offsetMeasuredAt === null ? Infinity : this.now() - this.offsetMeasuredAt;
    if (age <= this.resyncAfterMs) return false;
    if (deadlineAt - performance.now() <= 0) return false;
    try {
      await this.syncTime();
      return true;
    } catch (err) {
      this.log.debug({ url: this.safeUrl, err: err instanceof Error ? err.message : String(err) }, 'onvif clock resync failed');
      return false;
    }
  }

  private async ensureServices(): Promise<void> {
    if (!this.services) await this.discoverServices();
  }

  private async mediaUrl(): Promise<URL> {
    await this.ensureServices();
    // Without an advertised media service, many devices serve every service at one URL.
    return new URL(this.services?.media ?? this.deviceUrl.toString());
  }

  /**
   * GetCapabilities(All), the Profile S way every camera answers; GetServices (the ONVIF
   * 2.x way) only to fill what capabilities did not give. Dead-device errors propagate;
   * a device that answers neither properly is left with no service addresses.
   */
  private async discoverServices(): Promise<void> {
    let reported: ReportedXAddrs = { media: null, imaging: null, events: null };
    let capsOk = false;
    try {
      const body = '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>';
      reported = await this.run(this.deviceUrl, op.device('GetCapabilities', body), parseCapabilities);
      capsOk = true;
    } catch (err) {
      if (!isOnvifError(err) || !(err.code === 'fault' || err.code === 'protocol')) throw err;
      this.log.debug({ url: this.safeUrl, err: err.message }, 'onvif GetCapabilities failed, trying GetServices');
    }
    if (!reported.media || !reported.imaging || !reported.events) {
      try {
        const body = '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>';
        const svc = await this.run(this.deviceUrl, op.device('GetServices', body), parseServices);
        reported = { media: reported.media ?? svc.media, imaging: reported.imaging ?? svc.imaging, events: reported.events ?? svc.events };
      } catch (err) {
        // With capabilities in hand a failing GetServices is no loss; without them, a dead
        // device (or a refused login) is fatal and a merely odd one is not.
        if (!isOnvifError(err)) throw err;
        if (!capsOk && err.code !== 'fault' && err.code !== 'protocol') throw err;
        this.log.debug({ url: this.safeUrl, err: err.message }, 'onvif GetServices failed');
      }
    }
    this.services = {
      media: this.reachableXAddr(reported.media),
      imaging: this.reachableXAddr(reported.imaging),
      events: this.reachableXAddr(reported.events),
    };
  }

  private reachableXAddr(text: string | null): string | null {
    const u = firstHttpUrl(text ?? undefined);
    if (!u) return null;
    if (!this.rewrite) return u.toString();
    const { url, rewritten } = reachableXAddr(u, this.deviceUrl);
    if (rewritten) {
      this.rewrittenHosts.add(bareHost(u.hostname));
      this.log.info({ url: this.safeUrl, reported: redactUrl(u.toString()), used: redactUrl(url.toString()) }, 'onvif XAddr host rewritten');
    }
    return url.toString();
  }

  private reachableMedia(uri: string): string {
    return this.rewrite ? reachableMediaUri(uri, this.deviceUrl, this.rewrittenHosts) : uri;
  }
}
