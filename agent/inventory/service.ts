import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import type { CameraConfig } from '../config/types.js';
import type { EventBus, EventRecorder, NewEvent } from '../events/index.js';
import { mapBounded } from '../lifecycle/bounded.js';
import type { Service } from '../lifecycle/service.js';
import { NewDeviceBudget, type DiscoveryLimits, type FloodReport } from './flood.js';
import { answered, prohibitedPlaceHint, decideInterrogation, diffRecords, matchDevices, nextInterrogationDelayMs, recordHash, type InterrogationOutcome } from './policy.js';
import { cameraErrorCode, recordFromReport, type CameraInterrogator, type HeardDevice, type InterrogationReport } from './ports.js';
import { InventoryStore, type DeviceRow } from './store.js';

const CONFIGURATION_TOPICS = /\}Media\/(ConfigurationChanged|ProfileChanged)$|^tns1:Media\/(ConfigurationChanged|ProfileChanged)$/;

export interface DiscoveryPort {
  /** One WS-Discovery round; resolves with what answered. */
  probe(signal: AbortSignal): Promise<HeardDevice[]>;
  intervalMs: number;
}

/** Hello/Bye while running (drivers/discovery DiscoveryListener). */
export interface AnnouncementPort {
  start(): Promise<void>;
  stop(): Promise<void>;
  on(event: 'hello', l: (d: HeardDevice) => void): unknown;
  on(event: 'bye', l: (d: { urn: string }) => void): unknown;
  on(event: 'error', l: (e: Error) => void): unknown;
}

export interface InventoryDeps {
  db: Database;
  recorder: EventRecorder;
  bus: EventBus;
  logger: Logger;
  now: () => Date;
  cameras: CameraConfig[];
  interrogator: (camera: CameraConfig) => CameraInterrogator;
  discovery: DiscoveryPort | null;
  announcements?: AnnouncementPort | null;
  intervals: { inventoryMs: number; retryMs: number };
  /** Failures in a row after which a camera is re-checked at the monitor pace. */
  offlineAfter: number;
  concurrency: number;
  /**
   * Told of every interrogation result (answered or not): the uptime ledger takes it as
   * reachability evidence. Presence events are the ledger's, not the inventory's.
   */
  onReachability?: (cameraId: string, ok: boolean, at: Date) => void;
  /** Scheduler resolution; tests shorten it. */
  tickMs?: number;
  /** Bounds on unknown devices recorded from WS-Discovery (default 64 per hour, 1024 rows). */
  discoveryLimits?: DiscoveryLimits;
}

/**
 * Knows what each camera is: interrogates configured cameras (bounded concurrency),
 * keeps their history, paces re-checks of failing ones, and reconciles them with what WS-Discovery
 * hears — an unconfigured camera on the site network is reported, since it is unfiled.
 */
export class InventoryService implements Service {
  readonly name = 'inventory';
  private readonly store: InventoryStore;
  private readonly due = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private nextDiscoveryAt = 0;
  private discovering = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private abort = new AbortController();
  private unsubscribeBus: (() => void) | null = null;
  private readonly budget: NewDeviceBudget;

  constructor(private readonly deps: InventoryDeps) {
    this.store = new InventoryStore(deps.db);
    this.budget = new NewDeviceBudget(deps.discoveryLimits);
  }

  /** Unknown devices refused by the discovery bounds (diagnostics, tests). */
  floodStats(): { suppressedTotal: number; pending: number; newDevicesThisHour: number } {
    return this.budget.stats();
  }

  async start(): Promise<void> {
    const t = this.deps.now().getTime();
    for (const c of this.deps.cameras) this.due.set(c.id, t);
    this.nextDiscoveryAt = t;
    const ann = this.deps.announcements;
    if (ann) {
      ann.on('hello', (d) => this.safely('hello', () => this.heard([d])));
      ann.on('bye', (d) => this.safely('bye', () => this.bye(d.urn)));
      ann.on('error', (err) => this.deps.logger.warn({ err }, 'WS-Discovery announcements unavailable'));
      await ann.start().catch((err: unknown) => this.deps.logger.warn({ err }, 'cannot listen for WS-Discovery Hello/Bye; periodic probes continue'));
    }
    // A camera that says its media configuration changed is interrogated now, not at its next turn.
    this.unsubscribeBus = this.deps.bus.on('camera.notification', (n) => {
      if (CONFIGURATION_TOPICS.test(n.topic)) this.requestInterrogation(n.camera);
    });
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 1000);
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeBus?.();
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.deps.announcements?.stop().catch(() => {});
  }

  /** Interrogates every configured camera once (the CLI, tests). */
  async interrogateAll(): Promise<void> {
    await mapBounded(this.deps.cameras, this.deps.concurrency, (c) => this.interrogate(c));
  }

  /** Asks for a camera to be interrogated at the next tick (e.g. it announced a configuration change). */
  requestInterrogation(cameraId: string): void {
    if (this.due.has(cameraId)) this.due.set(cameraId, 0);
  }

  /** One discovery round now (the CLI, tests). */
  async discoverNow(): Promise<void> {
    if (!this.deps.discovery || this.discovering) return;
    this.discovering = true;
    try {
      const devices = await this.deps.discovery.probe(this.abort.signal);
      if (!this.stopped) this.heard(devices);
    } catch (err) {
      this.deps.logger.warn({ err }, 'WS-Discovery round failed');
    } finally {
      this.discovering = false;
    }
  }

  private tick(): void {
    if (this.stopped) return;
    const t = this.deps.now().getTime();
    const ready = this.deps.cameras.filter((c) => !this.inFlight.has(c.id) && (this.due.get(c.id) ?? 0) <= t);
    const room = this.deps.concurrency - this.inFlight.size;
    for (const camera of ready.slice(0, Math.max(0, room))) {
      void this.interrogate(camera);
    }
    if (this.deps.discovery && t >= this.nextDiscoveryAt) {
      this.nextDiscoveryAt = t + this.deps.discovery.intervalMs;
      void this.discoverNow();
    }
    // Refusals after the hour's report are reported once the hour is over, even if the flood stopped.
    if (this.budget.stats().pending > 0) this.safely('discovery flood report', () => this.reportFlood(t));
  }

  private reportFlood(nowMs: number): void {
    this.deps.recorder.withFact((append) => {
      const report = this.budget.takeReport(nowMs, this.store.unconfiguredDeviceCount());
      if (report) this.appendFlood(append, report);
    });
  }

  private appendFlood(append: (e: NewEvent) => unknown, report: FloodReport): void {
    append({ type: 'discovery.flood', severity: 'warning', data: { ...report } });
    this.deps.logger.warn(report, 'more unknown WS-Discovery devices than the bounds allow: counted, not recorded (discovery.maxNewDevicesPerHour / maxUnconfiguredDevices)');
  }

  private async interrogate(camera: CameraConfig): Promise<void> {
    if (this.inFlight.has(camera.id) || this.stopped) return;
    this.inFlight.add(camera.id);
    let report: InterrogationReport | null = null;
    let outcome: InterrogationOutcome;
    let error: unknown = null;
    try {
      report = await this.deps.interrogator(camera).interrogate();
      outcome = { ok: true };
    } catch (err) {
      error = err;
      outcome = { ok: false, code: cameraErrorCode(err) };
    } finally {
      this.inFlight.delete(camera.id);
    }
    if (this.stopped) return;
    this.safely(`interrogation result of ${camera.id}`, () => this.record(camera, outcome, report, error));
  }

  private record(camera: CameraConfig, outcome: InterrogationOutcome, report: InterrogationReport | null, error: unknown): void {
    const { now, logger, offlineAfter } = this.deps;
    const at = now();
    const iso = at.toISOString();
    let changed: { beforeId: number | null; afterId: number } | null = null;
    this.deps.recorder.withFact((append) => {
      const state = this.store.cameraState(camera.id);
      const decision = decideInterrogation(state.presence, outcome, offlineAfter);
      const wasOnline = state.presence.online;
      for (const type of decision.events) append(authEvent(type, camera.id));
      const next = { ...state, presence: decision.next };
      if (decision.next.online !== wasOnline) next.since = iso;
      if (outcome.ok && report) {
        next.lastSeen = iso;
        next.lastErrorCode = null;
        next.lastError = null;
        next.timeOffsetMs = Math.round(report.time.offsetMs);
        const record = recordFromReport(report);
        const hash = recordHash(record);
        const latest = this.store.latestSnapshot(camera.id);
        if (!latest || latest.hash !== hash) {
          next.snapshotId = this.store.addSnapshot(camera.id, iso, hash, record);
          // Also the first snapshot: listeners (change reports) learn the camera's baseline from it.
          changed = { beforeId: latest?.id ?? null, afterId: next.snapshotId };
          if (latest) {
            logger.info({ camera: camera.id, changes: diffRecords(latest.record, record).slice(0, 20) }, 'camera configuration differs from its last snapshot');
          }
        }
        if (report.partial.length > 0) logger.debug({ camera: camera.id, partial: report.partial }, 'parts of the interrogation failed');
      } else if (!outcome.ok) {
        next.lastErrorCode = outcome.code;
        next.lastError = errorMessage(error);
        if (outcome.code === 'unauthorized' || outcome.code === 'fault') next.lastSeen = iso;
      }
      this.store.saveCameraState(next);
      this.due.set(camera.id, at.getTime() + nextInterrogationDelayMs(decision.next, this.deps.intervals));
      if (decision.events.length > 0) logger.info({ camera: camera.id, events: decision.events, error: next.lastErrorCode }, 'camera credentials accepted or refused');
    });
    const c = changed as { beforeId: number | null; afterId: number } | null;
    if (c) this.deps.bus.emit('inventory.changed', { camera: camera.id, beforeId: c.beforeId, afterId: c.afterId, at });
    this.safely(`reachability of ${camera.id}`, () => this.deps.onReachability?.(camera.id, answered(outcome), at));
  }

  /** Devices from a probe round or a Hello. */
  private heard(devices: HeardDevice[]): void {
    const at = this.deps.now();
    const iso = at.toISOString();
    const configured = this.deps.cameras.map((c) => ({ id: c.id, url: c.onvif.url, urn: this.store.cameraState(c.id).urn }));
    const matches = matchDevices(devices, configured);
    const fresh: DeviceRow[] = [];
    this.deps.recorder.withFact((append) => {
      let unconfigured: number | null = null;
      let refused = false;
      for (const d of devices) {
        const prev = this.store.device(d.urn);
        const cameraId = matches.get(d.urn) ?? null;
        // A device never seen: only within the bounds (a LAN peer can invent URNs). Configured
        // cameras always pass, except a new URN claiming the address of a configured camera
        // whose URN is already known: anyone can claim an address, so that is bounded too.
        const claimsKnownCamera = cameraId !== null && !prev && this.claimsOtherUrn(cameraId, d.urn);
        if ((cameraId === null && !prev) || claimsKnownCamera) {
          unconfigured ??= this.store.unconfiguredDeviceCount();
          if (!this.budget.admit(at.getTime(), unconfigured)) {
            refused = true;
            continue;
          }
          if (cameraId === null) unconfigured += 1;
        }
        const row: DeviceRow = {
          urn: d.urn,
          xaddrs: d.xaddrs,
          scopes: d.scopes,
          types: d.types,
          cameraId,
          firstSeen: prev?.firstSeen ?? iso,
          lastSeen: iso,
          reportedAt: prev?.reportedAt ?? null,
          goneAt: null,
        };
        if (cameraId === null && row.reportedAt === null) {
          // A camera nobody configured: it is on the site's network but not in the filing.
          append({ type: 'camera.discovered', severity: 'warning', data: { urn: d.urn, xaddrs: d.xaddrs, scopes: d.scopes, types: d.types, configured: false } });
          row.reportedAt = iso;
          fresh.push(row);
        }
        const hint = prev ? null : prohibitedPlaceHint(d.scopes);
        const configured = cameraId === null ? null : this.deps.cameras.find((c) => c.id === cameraId);
        if (hint && !configured?.prohibited) {
          // Liaoning / Datong Art. 9: the operator must confirm; the config alone decides what is recorded.
          append({
            type: 'compliance.prohibited_location',
            severity: 'critical',
            ...(cameraId ? { camera: cameraId } : {}),
            data: { urn: d.urn, xaddrs: d.xaddrs, scope: hint.scope, matched: hint.word, needsConfirmation: true, configured: cameraId !== null },
          });
          this.deps.logger.warn({ urn: d.urn, camera: cameraId, scope: hint.scope }, 'a camera announces a prohibited place: confirm its location');
        }
        if (cameraId !== null) {
          const state = this.store.cameraState(cameraId);
          if (state.urn !== d.urn) this.store.saveCameraState({ ...state, urn: d.urn });
        }
        this.store.saveDevice(row);
      }
      if (refused) {
        const report = this.budget.takeReport(at.getTime(), unconfigured ?? this.store.unconfiguredDeviceCount());
        if (report) this.appendFlood(append, report);
      }
    });
    if (fresh.length > 0) this.deps.logger.warn({ devices: fresh.map((d) => ({ urn: d.urn, xaddrs: d.xaddrs })) }, 'found ONVIF devices that are not configured');
  }

  private claimsOtherUrn(cameraId: string, urn: string): boolean {
    const known = this.store.cameraState(cameraId).urn;
    return known !== null && known !== urn;
  }

  private bye(urn: string): void {
    const prev = this.store.device(urn);
    if (!prev) return;
    this.store.saveDevice({ ...prev, goneAt: this.deps.now().toISOString() });
    // A configured camera saying goodbye is re-checked now rather than at its next turn.
    if (prev.cameraId) this.due.set(prev.cameraId, 0);
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ err, what }, 'inventory step failed');
    }
  }
}

function authEvent(type: 'camera.auth_failed' | 'camera.auth_restored', camera: string): NewEvent {
  if (type === 'camera.auth_restored') return { type, severity: 'info', camera, data: {} };
  return { type, severity: 'warning', camera, data: { message: 'the camera refuses the configured credentials', hint: `check cameras[id=${camera}].onvif.username/password` } };
}

function errorMessage(err: unknown): string | null {
  if (err === null || err === undefined) return null;
  return err instanceof Error ? err.message : String(err);
}
