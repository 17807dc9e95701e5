// One simulated ONVIF camera: its own HTTP server (SOAP 1.2 services + JPEG snapshot),
// with a condition, a config and failure switches that tests change at run time.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Identity, ServiceContext, ServiceUrls } from './context.js';
import { PRE_AUTH_ACTIONS, deviceService } from './device-service.js';
import { EventBroker } from './event-broker.js';
import { PULLPOINT_PATH, TOPIC_CONFIGURATION_CHANGED, eventsServices } from './events-service.js';
import { HttpAuth } from './http-auth.js';
import { cameraUrn, defaultHostname, defaultSerial, validateConfig } from './identity.js';
import { imagingService } from './imaging-service.js';
import { VIDEO_SOURCE_CONFIG_TOKEN, mediaService } from './media-service.js';
import { GARBAGE_XML, sendBody, sendOversized, type DripOptions, type Headers } from './responses.js';
import { SnapshotRenderer, defaultScenePath } from './snapshot.js';
import { SOAP_CONTENT_TYPE } from './soap.js';
import { answerSoap, type AuthResult, type SoapEndpoint } from './soap-endpoint.js';
import {
  CONDITIONS,
  FAILURE_SWITCHES,
  silentLogger,
  type CameraConfig,
  type CameraOptions,
  type Condition,
  type ConfigPatch,
  type FailureOptions,
  type FailureSwitch,
  type Logger,
  type SimulatedCameraSpec,
} from './types.js';
import { NonceCache, checkUsernameToken } from './wsse.js';

const PATHS = {
  device: '/onvif/device_service',
  media: '/onvif/media_service',
  imaging: '/onvif/imaging_service',
  events: '/onvif/events_service',
  snapshot: '/onvif/snapshot.jpg',
} as const;
const SOAP_PATHS = new Set<string>([PATHS.device, PATHS.media, PATHS.imaging, PATHS.events]);
const MAX_REQUEST_BYTES = 1024 * 1024;
const JPEG_SOI = Buffer.from([0xff, 0xd8]);
const JPEG_EOI = Buffer.from([0xff, 0xd9]);
const DEFAULTS = { oversizedBytes: 300 * 1024 * 1024, dripIntervalMs: 1000, skewMs: 10 * 60_000, toleranceMs: 5 * 60_000 };

export class SimulatedCamera {
  readonly id: string;
  readonly name: string;
  readonly urn: string;
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly location: string;

  private readonly identityBase: Omit<Identity, 'firmware'>;
  private cfg: CameraConfig;
  private cond: Condition;
  private readonly failures = new Map<FailureSwitch, FailureOptions>();
  private readonly log: Logger;
  private readonly realNow: () => number;
  private readonly events: EventBroker;
  private readonly httpAuth: HttpAuth;
  private readonly nonces = new NonceCache();
  private readonly renderer: SnapshotRenderer;
  private readonly endpoint: SoapEndpoint;
  private readonly drips = new Set<NodeJS.Timeout>();
  private server: Server | null = null;
  private port: number;
  private started = false;
  private stopSignal = new AbortController();

  constructor(
    spec: SimulatedCameraSpec,
    private readonly opts: CameraOptions = {},
  ) {
    if (!spec.id) throw new Error('camera id is required');
    this.host = opts.host ?? '127.0.0.1';
    if (this.host === '0.0.0.0' || this.host === '::') throw new Error('the simulator never listens on all interfaces');
    this.id = spec.id;
    this.name = spec.name ?? spec.id;
    this.urn = cameraUrn(spec.id);
    this.username = spec.username ?? 'admin';
    this.password = spec.password ?? `sim-${spec.id}-pass`;
    this.location = spec.location ?? 'country/china';
    const model = spec.model ?? 'SimCam-1';
    this.identityBase = {
      manufacturer: spec.manufacturer ?? 'CEA-Sim',
      model,
      serial: spec.serial ?? defaultSerial(spec.id),
      hardwareId: spec.hardwareId ?? `${model}-HW1`,
    };
    this.cfg = {
      width: spec.width ?? 1280,
      height: spec.height ?? 720,
      fps: spec.fps ?? 25,
      bitrate: spec.bitrate ?? 4096,
      firmware: spec.firmware ?? '5.50',
      hostname: spec.hostname ?? defaultHostname(spec.id),
      version: 1,
    };
    validateConfig(this.cfg);
    this.cond = spec.condition ?? 'ok';
    this.port = spec.port ?? 0;
    this.log = opts.logger ?? silentLogger;
    this.realNow = opts.now ?? Date.now;
    this.events = new EventBroker(() => this.nowMs());
    this.httpAuth = new HttpAuth(`CEA-Sim ${this.id}`, () => ({ username: this.username, password: this.password }));
    this.renderer = new SnapshotRenderer(spec.scene ?? defaultScenePath(spec.id));
    this.endpoint = {
      ctx: this.context(),
      services: [deviceService, mediaService, imagingService, ...eventsServices],
      publicActions: new Set(opts.publicActions ?? PRE_AUTH_ACTIONS),
      authorize: (req, soap) => this.authorizeSoap(req, soap.header),
      log: this.log,
    };
  }

  // ---- public state ----

  get baseUrl(): string {
    if (!this.started) throw new Error(`camera ${this.id} not started`);
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }
  get deviceServiceUrl(): string {
    return this.baseUrl + PATHS.device;
  }
  get snapshotUrl(): string {
    return this.baseUrl + PATHS.snapshot;
  }
  get config(): Readonly<CameraConfig> {
    return { ...this.cfg };
  }
  get condition(): Condition {
    return this.cond;
  }
  get isOnline(): boolean {
    return this.server !== null;
  }
  /** Scopes as advertised by GetScopes and WS-Discovery. */
  get scopes(): string[] {
    return this.scopeList().map((s) => s.item);
  }
  failureActive(name: FailureSwitch): boolean {
    return this.failures.has(name);
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    if (this.started) return;
    this.stopSignal = new AbortController();
    await this.listen();
    this.started = true;
    // Switched offline before start: the port is known now, and stays closed until switched back.
    if (this.failures.has('offline')) await this.closeServer();
    this.log.info({ camera: this.id, url: this.deviceServiceUrl }, 'simulated camera listening');
  }

  /** Closes the listener, every connection, pending long polls and drip timers. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.stopSignal.abort();
    this.events.clear();
    for (const t of this.drips) clearTimeout(t);
    this.drips.clear();
    await this.closeServer();
  }

  // ---- run-time switches ----

  setCondition(c: Condition): void {
    if (!CONDITIONS.includes(c)) throw new RangeError(`unknown condition: ${String(c)}`);
    this.cond = c;
  }

  /** offline really closes the listener (connection refused) and reopens it on the same port. */
  async setFailure(name: FailureSwitch, on: boolean, opts: FailureOptions = {}): Promise<void> {
    if (!FAILURE_SWITCHES.includes(name)) throw new RangeError(`unknown failure switch: ${String(name)}`);
    if (name === 'offline' && this.started) {
      if (on && this.server) await this.closeServer();
      if (!on && !this.server) await this.listen();
    }
    if (on) this.failures.set(name, opts);
    else this.failures.delete(name);
    this.log.info({ camera: this.id, failure: name, on }, 'failure switch');
  }

  /** Changes config at run time: bumps the version and notifies pull-point subscribers. */
  setConfig(patch: ConfigPatch): Readonly<CameraConfig> {
    const next: CameraConfig = { ...this.cfg, ...patch, version: this.cfg.version };
    validateConfig(next);
    const changed = (Object.keys(patch) as (keyof ConfigPatch)[]).filter((k) => next[k] !== this.cfg[k]);
    if (changed.length === 0) return this.config;
    next.version = this.cfg.version + 1;
    this.cfg = next;
    const utcMs = this.nowMs();
    const publish = (token: string, type: string) =>
      this.events.publish({
        topic: TOPIC_CONFIGURATION_CHANGED,
        utcMs,
        operation: 'Changed',
        source: [
          ['Token', token],
          ['Type', type],
        ],
        data: [],
      });
    const has = (...keys: (keyof ConfigPatch)[]) => keys.some((k) => changed.includes(k));
    if (has('width', 'height')) publish(VIDEO_SOURCE_CONFIG_TOKEN, 'VideoSource');
    if (has('width', 'height', 'fps', 'bitrate')) publish('VideoEncoder_1', 'VideoEncoder');
    // Firmware and hostname are not media configurations; a device token keeps them apart.
    if (has('firmware')) publish('Device', 'Firmware');
    if (has('hostname')) publish('Device', 'Hostname');
    this.log.info({ camera: this.id, changed, version: next.version }, 'config changed');
    return this.config;
  }

  /** The camera clock: real time plus clock_skew. */
  nowMs(): number {
    const skew = this.failures.get('clock_skew');
    return this.realNow() + (skew ? (skew.skewMs ?? DEFAULTS.skewMs) : 0);
  }

  // ---- HTTP ----

  private listen(): Promise<void> {
    const server = createServer((req, res) => this.onRequest(req, res));
    server.keepAliveTimeout = 5_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.port, host: this.host }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.warn({ camera: this.id, err: err.message }, 'http server error'));
        this.port = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((err: Error) => {
      this.log.warn({ camera: this.id, err: err.message }, 'request failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_REQUEST_BYTES);
    if (this.failures.has('timeout')) return; // accepted, read, never answered, whatever the path
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const isSoap = SOAP_PATHS.has(path) || path.startsWith(PULLPOINT_PATH);
    const isSnapshot = path === PATHS.snapshot;
    if (!isSoap && !isSnapshot) return void sendBody(res, 404, { 'Content-Type': 'text/plain' }, Buffer.from('not found\n'));
    if ((isSoap && req.method !== 'POST') || (isSnapshot && req.method !== 'GET' && req.method !== 'HEAD')) {
      return void sendBody(res, 405, { Allow: isSoap ? 'POST' : 'GET' }, Buffer.alloc(0));
    }
    if (body === null) return void sendBody(res, 413, {}, Buffer.alloc(0));
    const oversized = this.failures.get('oversized');
    if (oversized) {
      const total = oversized.bytes ?? DEFAULTS.oversizedBytes;
      if (isSnapshot) return sendOversized(res, 'image/jpeg', total, JPEG_SOI, JPEG_EOI, 0x00);
      return sendOversized(
        res,
        SOAP_CONTENT_TYPE,
        total,
        `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><!--`,
        `--></env:Body></env:Envelope>`,
      );
    }
    const drip = this.failures.get('slow_drip');
    const dripOpts: DripOptions | undefined = drip
      ? { intervalMs: drip.intervalMs ?? DEFAULTS.dripIntervalMs, timers: this.drips }
      : undefined;
    if (isSoap && this.failures.has('garbage_xml')) {
      return sendBody(res, 200, { 'Content-Type': SOAP_CONTENT_TYPE }, Buffer.from(GARBAGE_XML), dripOpts);
    }
    if (isSnapshot) {
      const auth = this.httpAuth.check(req, true);
      if (auth !== 'ok') {
        const challenge = [...this.httpAuth.challenges(auth === 'stale'), `Basic realm="CEA-Sim ${this.id}"`];
        return sendBody(res, 401, { 'WWW-Authenticate': challenge, 'Content-Type': 'text/plain' }, Buffer.from('unauthorized\n'), dripOpts);
      }
      const { width, height } = this.cfg;
      const jpeg = await this.renderer.render(this.cond, width, height);
      return sendBody(res, 200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'no-store' }, jpeg, dripOpts);
    }
    const reply = await answerSoap(req, body, path, this.endpoint);
    sendBody(res, reply.status, reply.headers, reply.body, dripOpts);
  }

  /**
   * A valid WS-UsernameToken or a valid HTTP Digest (ONVIF Core 5.9) authenticates.
   * Otherwise a ter:NotAuthorized fault with the configured status; a 401 carries
   * Digest challenges like a real camera's, so a client may retry with HTTP Digest.
   */
  private authorizeSoap(req: IncomingMessage, header: Parameters<typeof checkUsernameToken>[0]): AuthResult {
    const token = checkUsernameToken(header, {
      username: this.username,
      password: this.password,
      nowMs: this.nowMs(),
      toleranceMs: this.opts.clockToleranceMs ?? DEFAULTS.toleranceMs,
      nonces: this.nonces,
    });
    if (token.ok) return { ok: true };
    const http = this.httpAuth.check(req, false);
    if (http === 'ok') return { ok: true };
    this.log.info({ camera: this.id, reason: token.reason, http }, 'soap request not authorized');
    // A rejected HTTP Authorization header is answered the HTTP way (RFC 7235: 401).
    const status = http === 'none' ? (this.opts.unauthorizedStatus ?? 400) : 401;
    const headers: Headers = status === 401 ? { 'WWW-Authenticate': this.httpAuth.challenges(http === 'stale') } : {};
    return { ok: false, status, headers };
  }

  private scopeList(): { item: string; fixed: boolean }[] {
    const base = 'onvif://www.onvif.org';
    const enc = (s: string) => s.split('/').map(encodeURIComponent).join('/');
    return [
      { item: `${base}/type/video_encoder`, fixed: true },
      { item: `${base}/Profile/Streaming`, fixed: true },
      { item: `${base}/hardware/${encodeURIComponent(this.identityBase.model)}`, fixed: true },
      { item: `${base}/name/${encodeURIComponent(this.name)}`, fixed: false },
      { item: `${base}/location/${enc(this.location)}`, fixed: false },
    ];
  }

  private context(): ServiceContext {
    const cam = this;
    return {
      id: this.id,
      name: this.name,
      urn: this.urn,
      events: this.events,
      get stopping() {
        return cam.stopSignal.signal;
      },
      identity: () => ({ ...this.identityBase, firmware: this.cfg.firmware }),
      config: () => this.config,
      condition: () => this.cond,
      nowMs: () => this.nowMs(),
      scopes: () => this.scopeList(),
      urls: (): ServiceUrls => {
        const base = this.baseUrl;
        return {
          base,
          host: this.host,
          device: base + PATHS.device,
          media: base + PATHS.media,
          imaging: base + PATHS.imaging,
          events: base + PATHS.events,
          snapshot: base + PATHS.snapshot,
        };
      },
    };
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
