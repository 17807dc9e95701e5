// A set of simulated cameras plus one WS-Discovery responder answering for them,
// as a site looks from the recording box. Used by the demo, the CLI and tests.
import { SimulatedCamera } from './camera.js';
import { DiscoveryResponder } from './discovery-responder.js';
import { silentLogger, type CameraOptions, type Logger, type SimulatedCameraSpec } from './types.js';

export interface FleetOptions {
  /** Listen address of every camera and of the responder. Default 127.0.0.1 (never 0.0.0.0). */
  host?: string;
  /** WS-Discovery responder; false = none. Default { port: 3702 }. */
  discovery?: { port?: number; multicast?: boolean; maxDelayMs?: number } | false;
  logger?: Logger;
  /** Options passed to every camera (unauthorizedStatus, clockToleranceMs, …). */
  camera?: Omit<CameraOptions, 'host' | 'logger'>;
}

export interface Fleet {
  cameras: SimulatedCamera[];
  /** The responder's UDP port, or null without discovery. */
  discoveryPort: number | null;
  /** The camera with this id (throws if there is none). */
  camera(id: string): SimulatedCamera;
  stop(): Promise<void>;
}

export async function startFleet(specs: SimulatedCameraSpec[], opts: FleetOptions = {}): Promise<Fleet> {
  const host = opts.host ?? '127.0.0.1';
  if (host === '0.0.0.0' || host === '::') throw new Error('the simulator never listens on all interfaces');
  const ids = new Set<string>();
  for (const s of specs) {
    if (ids.has(s.id)) throw new Error(`duplicate camera id: ${s.id}`);
    ids.add(s.id);
  }
  const log = opts.logger ?? silentLogger;
  const cameras = specs.map((s) => new SimulatedCamera(s, { ...opts.camera, host, logger: log }));
  const flaps: Flapper[] = [];
  let responder: DiscoveryResponder | null = null;

  const stop = async () => {
    for (const f of flaps) f.stop();
    await Promise.all(flaps.map((f) => f.idle()));
    await responder?.stop();
    await Promise.all(cameras.map((c) => c.stop()));
  };

  try {
    await Promise.all(cameras.map((c) => c.start()));
    if (opts.discovery !== false) {
      const d = opts.discovery ?? {};
      responder = new DiscoveryResponder({
        host,
        port: d.port ?? 3702,
        multicast: d.multicast ?? false,
        maxDelayMs: d.maxDelayMs ?? 500,
        logger: log,
        targets: () =>
          cameras
            .filter((c) => c.isOnline)
            .map((c) => ({ urn: c.urn, scopes: c.scopes, xaddrs: [c.deviceServiceUrl], metadataVersion: 1 })),
      });
      await responder.start();
    }
    specs.forEach((s, i) => {
      if (s.flap) flaps.push(new Flapper(cameras[i]!, s.flap, log));
    });
  } catch (err) {
    await stop();
    throw err;
  }

  let stopped: Promise<void> | null = null;
  return {
    cameras,
    discoveryPort: responder ? responder.port : null,
    camera(id) {
      const c = cameras.find((x) => x.id === id);
      if (!c) throw new Error(`no simulated camera ${id}`);
      return c;
    },
    stop: () => (stopped ??= stop()),
  };
}

/** Takes a camera offline for offlineMs every onlineMs + offlineMs (demo of outages). */
class Flapper {
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly cam: SimulatedCamera,
    private readonly flap: { offlineMs: number; onlineMs: number },
    private readonly log: Logger,
  ) {
    if (!(flap.offlineMs > 0 && flap.onlineMs > 0)) throw new RangeError('flap offlineMs and onlineMs must be > 0');
    this.schedule(false);
  }

  private schedule(isOffline: boolean): void {
    const wait = isOffline ? this.flap.offlineMs : this.flap.onlineMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      const goOffline = !isOffline;
      this.pending = this.cam
        .setFailure('offline', goOffline)
        .catch((err: Error) => this.log.warn({ camera: this.cam.id, err: err.message }, 'flap failed'))
        .then(() => {
          if (!this.stopped) this.schedule(goOffline);
        });
    }, wait);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  idle(): Promise<void> {
    return this.pending;
  }
}
