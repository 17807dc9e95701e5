import { randomBytes, randomUUID } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DiscoveryListener, probe } from '../drivers/discovery/index.js';
import type { SdNotifier } from '../drivers/host/sd-notify.js';
import { OnvifClient, watchEvents } from '../drivers/onvif/index.js';
import type { Logger } from '../drivers/log/logger.js';
import { MqttConnection, startEmbeddedBroker, type EmbeddedBroker } from '../drivers/mqtt/index.js';
import { migrations, openStore, type Database } from '../drivers/store/index.js';
import type { AgentConfig, CameraConfig } from './config/types.js';
import { loadCalendar, localDate, workingDayDeadline, workingDaysBetween } from './calendar/index.js';
import type { DebouncePolicy } from './changes/policy.js';
import { ChangeService, type DeadlineCalendar } from './changes/service.js';
import { EventBus, EventRecorder, Outbox } from './events/index.js';
import { CameraEventsService } from './inventory/camera-events.js';
import { UptimeService } from './uptime/service.js';
import type { HeardDevice } from './inventory/ports.js';
import { InventoryService, type AnnouncementPort, type DiscoveryPort } from './inventory/service.js';
import { withDeadline, type Service } from './lifecycle/service.js';
import { WatchdogService } from './lifecycle/watchdog.js';
import { presencePayload } from './linkage/presence.js';
import { CameraStatusService } from './linkage/camera-status.js';
import { AccessRegister, platformRequester } from './access/register.js';
import { BirthPublisher } from './linkage/birth.js';
import { HealthPublisher } from './linkage/health.js';
import { RequestRouter } from './linkage/requests/router.js';
import { accessVerbs, SNAPSHOT_MAX_BYTES } from './linkage/verbs/access.js';
import { basicVerbs } from './linkage/verbs/basic.js';
import { liveOpenVerb } from './linkage/verbs/live.js';
import { recordInspection } from './diagnose/inspections.js';
import { diagnoseVerb } from './linkage/verbs/diagnose.js';
import { runDiagnose, type DiagnoseOptions } from './diagnose/run.js';
import { ThumbnailCache } from './console/thumbnails.js';
import { consoleRoutes } from './console/pages/index.js';
import { consoleServices } from './console/pages/services.js';
import { ConsoleService } from './console/service.js';
import { defaultOnvif, ffprobeRtsp } from './diagnose/cameras.js';
import { hostChecks, readTimeSync } from './diagnose/host.js';
import { publicReport } from './changes/service.js';
import { SegmentStore } from './recording/segment-store.js';
import { HoldStore } from './retention/holds.js';
import { parseListen } from './config/listen.js';
import { LiveRelay, LiveTokens } from '../drivers/live/index.js';
import { RecordingService } from './recording/service.js';
import { ClarityService } from './clarity/service.js';
import type { FrameAnalysis } from './clarity/metrics.js';
import type { PolicyConfig } from './clarity/policy.js';
import { ImageWorkerPool } from '../drivers/image/index.js';
import { grabFrame, withCredentials } from '../drivers/ffmpeg/index.js';
import { RetentionService, type RetentionServiceDeps } from './retention/service.js';
import { InventoryStore } from './inventory/store.js';
import { LinkageService } from './linkage/service.js';
import { topics } from './linkage/topics.js';

// The only file that wires capabilities to drivers. Everything a service needs is
// passed in here; nothing reaches for a module-level singleton or the wall clock.

export interface AgentDeps {
  config: AgentConfig;
  logger: Logger;
  now: () => Date;
  newId?: () => string;
  agentVersion: string;
  /** systemd notification (READY, WATCHDOG, STOPPING); a no-op outside systemd. */
  notifier?: SdNotifier;
  /** Reconnect delays for the broker link (tests shorten them). */
  mqttBackoffMs?: number[];
  /** Per-call deadline of ONVIF requests (tests shorten it). */
  onvifTimeoutMs?: number;
  /** How often a console thumbnail may be refreshed (default 60 s; tests shorten it). */
  thumbnailRefreshMs?: number;
  /** Retention timers (tests shorten them). */
  retention?: Pick<RetentionServiceDeps, 'intervalMs' | 'spaceCheckMs' | 'monotonicMs'>;
  /** How a burst of changes becomes one report (default: a quiet minute, at most 5 min). */
  changeDebounce?: DebouncePolicy;
  changeCheckEveryMs?: number;
  /** Overrides of the clarity monitoring policy (tests shorten the baseline). */
  clarityPolicy?: Partial<PolicyConfig>;
  /** Filesystem size under the recordings root, for the site fingerprint (injected: it is I/O). */
  storageBytes?: (root: string) => number | null;
}

export interface RunningAgent {
  readonly bootId: string;
  /** The embedded broker's address, when the config runs one. */
  readonly brokerUrl: string | null;
  /** http://host:port/ of the operator console; null while it is not bound. */
  consoleUrl(): string | null;
  readonly db: Database;
  readonly recorder: EventRecorder;
  readonly bus: EventBus;
  /** Idempotent: a second call returns the first call's promise. */
  stop(reason: string): Promise<void>;
}

export async function startAgent(deps: AgentDeps): Promise<RunningAgent> {
  const { config, logger, now } = deps;
  const newId = deps.newId ?? randomUUID;
  const bootId = newId();
  const site = config.site.id;
  const abort = new AbortController();
  const cleanups: { name: string; run: () => Promise<void> | void }[] = [];

  const opened = openStore(config.database, { migrations, now });
  const { db } = opened;
  cleanups.push({ name: 'store', run: () => void db.close() });
  if (opened.migrated.length > 0) logger.info({ database: config.database, migrated: opened.migrated }, 'database schema up to date');

  const bus = new EventBus(logger.child({ component: 'bus' }));
  const outbox = new Outbox({ db, site, now, newId });
  const recorder = new EventRecorder(db, outbox, bus);

  if (opened.replaced) {
    logger.error({ movedTo: opened.replaced.movedTo, reason: opened.replaced.reason }, 'database failed its integrity check; moved aside and started a fresh one');
    recorder.record({ type: 'store.replaced', severity: 'critical', data: { ...opened.replaced } });
  }

  let broker: EmbeddedBroker | null = null;
  let brokerUser: { username: string; password: string } | null = null;
  // The console's URL once it is bound (null while its port is taken).
  let consoleUrl: () => string | null = () => null;
  try {
    if (config.broker) {
      const { host, port } = splitHostPort(config.broker.listen);
      brokerUser = { username: 'cea-agent', password: randomBytes(18).toString('base64url') };
      broker = await startEmbeddedBroker({ host, port, users: [brokerUser], anonymousRead: config.broker.anonymousRead });
      const b = broker;
      cleanups.push({ name: 'embedded broker', run: () => b.close() });
      logger.info({ url: broker.url, anonymousRead: config.broker.anonymousRead }, 'embedded MQTT broker listening');
    }

    const agentVersion = deps.agentVersion;
    const connection = new MqttConnection({
      url: broker ? broker.url : config.mqtt.url,
      clientId: config.mqtt.clientId ?? `cea-${site}`,
      ...(brokerUser ?? pickCredentials(config)),
      ...pickTls(config),
      keepaliveSeconds: config.mqtt.keepaliveSeconds,
      // aedes speaks MQTT 3.1.1 only; outside brokers as configured (default 5: responseTopic, correlationData).
      protocolVersion: broker ? 4 : config.mqtt.protocolVersion,
      will: {
        topic: topics.state(site),
        payload: JSON.stringify(presencePayload('offline', now(), agentVersion, bootId)),
        qos: 1,
        retain: true,
      },
      ...(deps.mqttBackoffMs ? { backoffMs: deps.mqttBackoffMs } : {}),
    });

    // The agent's clock, so a camera's skew is measured against the same time the agent keeps.
    const clientFor = cameraClients(deps.onvifTimeoutMs, () => now().getTime());
    const uptime = new UptimeService({
      db,
      recorder,
      bus,
      logger: logger.child({ component: 'uptime' }),
      now,
      cameras: config.cameras,
      probe: (camera) => clientFor(camera).getSystemDateAndTime(),
      intervalMs: config.monitor.intervalSeconds * 1000,
      missedProbesForOffline: 3,
      skewLimitMs: config.monitor.clockSkewLimitSeconds * 1000,
      concurrency: 16,
    });
    const linkage = new LinkageService({
      site,
      connection,
      outbox,
      logger: logger.child({ component: 'linkage' }),
      now,
      agentVersion,
      bootId,
      onDelivered: (event) => bus.emit('event.delivered', event),
    });
    const services: Service[] = [linkage];
    // Uptime starts before the inventory so interrogation results have somewhere to go.
    services.push(uptime);
    services.push(
      new InventoryService({
        db,
        recorder,
        bus,
        logger: logger.child({ component: 'inventory' }),
        now,
        cameras: config.cameras,
        interrogator: clientFor,
        onReachability: (cameraId, ok, at) => uptime.observe(cameraId, ok, at, { source: 'interrogation' }),
        discovery: config.discovery.enabled ? discoveryPort(config) : null,
        announcements: config.discovery.enabled && config.discovery.announcements ? announcementPort(config, logger) : null,
        intervals: { inventoryMs: config.discovery.intervalSeconds * 1000, retryMs: config.monitor.intervalSeconds * 1000 },
        offlineAfter: 3,
        concurrency: 8,
        // A LAN peer inventing URNs must not fill the database or the platform's event stream.
        discoveryLimits: { maxNewDevicesPerHour: config.discovery.maxNewDevicesPerHour, maxUnconfiguredDevices: config.discovery.maxUnconfiguredDevices },
      }),
    );
    services.push(new CameraEventsService({ cameras: config.cameras, clientFor, watch: watchEvents, bus, logger: logger.child({ component: 'camera-events' }) }));
    const inventoryStore = new InventoryStore(db);
    const recording = new RecordingService({
      db,
      recorder,
      logger: logger.child({ component: 'recording' }),
      now,
      cameras: config.cameras,
      storageRoot: config.storage.root,
      timeZone: config.site.timezone,
      streamUri: async (camera) => {
        // The inventory already knows the main stream; ask the camera only when it does not.
        const known = inventoryStore.latestSnapshot(camera.id)?.record.profiles.find((p) => p.streamUri)?.streamUri;
        if (known) return known;
        const client = clientFor(camera);
        const [profile] = await client.getProfiles();
        if (!profile) throw new Error('camera has no media profile');
        return client.getStreamUri(profile.token);
      },
    });
    services.push(recording);
    const retention = new RetentionService({
      db,
      recorder,
      logger: logger.child({ component: 'retention' }),
      now,
      config,
      // Past the hard watermark with only protected recordings left: stop, never delete.
      stopRecording: async (ids, reason) => {
        for (const id of ids) await recording.stopCamera(id, reason);
      },
      resumeRecording: (ids) => {
        for (const id of ids) recording.startCamera(id);
      },
      ...deps.retention,
    });
    services.push(retention);
    // One picture of a camera: its snapshot URI, or (some cameras have none) a frame of the main stream.
    const snapshotFor = async (camera: CameraConfig): Promise<Uint8Array> => {
      const profiles = inventoryStore.latestSnapshot(camera.id)?.record.profiles ?? [];
      const snapshotUri = profiles.find((p) => p.snapshotUri)?.snapshotUri;
      if (snapshotUri) return (await clientFor(camera).fetchSnapshot(snapshotUri, { maxBytes: SNAPSHOT_MAX_BYTES })).body;
      const streamUri = profiles.find((p) => p.streamUri)?.streamUri;
      if (!streamUri) throw new Error('camera not interrogated yet: no snapshot or stream URI');
      return grabFrame(withCredentials(streamUri, camera.onvif.username, camera.onvif.password), { timeoutMs: 10_000, maxBytes: SNAPSHOT_MAX_BYTES });
    };
    // Scoring runs in worker threads: MQTT keepalives and the store never wait for a JPEG.
    const imagePool = new ImageWorkerPool<FrameAnalysis>({ analyser: new URL('./clarity/metrics.js', import.meta.url) });
    cleanups.push({ name: 'image pool', run: () => imagePool.close() });
    // The console's thumbnails: the monitor's own pictures, downscaled; the console never contacts a camera.
    const thumbnails = new ThumbnailCache({
      onError: (id, err) => logger.debug({ err, camera: id }, 'thumbnail not made'),
      ...(deps.thumbnailRefreshMs !== undefined ? { minIntervalMs: deps.thumbnailRefreshMs } : {}),
    });
    services.push(
      new ClarityService({
        db,
        recorder,
        logger: logger.child({ component: 'clarity' }),
        now,
        cameras: config.cameras,
        intervalMs: config.monitor.intervalSeconds * 1000,
        analyser: imagePool,
        ...(deps.clarityPolicy ? { policy: deps.clarityPolicy } : {}),
        observe: (id, ok, at, error) => uptime.observe(id, ok, at, { source: 'snapshot', ...(error ? { error } : {}) }),
        snapshot: snapshotFor,
        onSnapshot: (id, bytes, atMs) => thumbnails.offer(id, bytes, atMs),
      }),
    );
    const cameraStatus = new CameraStatusService({
        site,
        cameras: config.cameras,
        link: connection,
        bus,
        logger: logger.child({ component: 'camera-status' }),
        now,
        sources: {
          uptime: (id) => {
            const current = uptime.current(id);
            if (!current) return null;
            return { online: current.state === 'unknown' ? null : current.online, clockSkewMs: current.clockSkewMs, ...uptime.availability(id) };
          },
          clarity: clarityStatusOf(db),
          recording: (id) => {
            const state = recording.state(id);
            if (!state) return null;
            const kept = retention.cameraStatus(id);
            return { state: state.state, oldest: kept?.oldest ?? null, days: kept?.days ?? null };
          },
        },
    });
    services.push(cameraStatus);
    const calendar = siteCalendar(config, logger);
    const changes = new ChangeService({
        db,
        recorder,
        bus,
        logger: logger.child({ component: 'changes' }),
        now,
        cameras: config.cameras,
        siteFacts: () => {
          const bytes = (deps.storageBytes ?? filesystemBytes)(config.storage.root);
          return {
            siteId: site,
            siteName: config.site.name,
            timezone: config.site.timezone,
            profile: config.profile.id,
            retention: { ...config.retention },
            storage: { maxBytes: config.storage.maxBytes, filesystemGiB: bytes === null ? null : Math.round(bytes / 2 ** 30) },
            agentVersion,
          };
        },
        calendar,
        workingDays: config.profile.changeReport.workingDays,
        debounce: deps.changeDebounce ?? { quietMs: 60_000, maxMs: 300_000 },
        ...(deps.changeCheckEveryMs !== undefined ? { checkEveryMs: deps.changeCheckEveryMs } : {}),
        newId,
    });
    services.push(changes);

    // The technician's checklist (verb and console): its own read-only database handle and broker connection.
    const runDiagnoseNow = (opts: DiagnoseOptions) =>
      runDiagnose(
        {
          config,
          now,
          openStoreReadonly: () => {
            const handle = openStore(config.database, { migrations, now, readonly: true }).db;
            return { db: handle, problem: null, close: () => void handle.close() };
          },
          probes: {
            onvif: defaultOnvif,
            analyse: (bytes) => imagePool.analyse(bytes),
            rtsp: ffprobeRtsp(),
            timeSync: () => readTimeSync(),
            host: () => hostChecks(),
            statfs: statfsSync,
          },
        },
        opts,
      );
    // The platform's requests (DESIGN.md linkage contract). Access to images is registered first.
    const accessRegister = new AccessRegister({ db, recorder, now, newId });
    const liveAddr = parseListen(config.live.listen, { anyPort: true });
    if ('error' in liveAddr) throw new Error(`live.listen: ${liveAddr.error}`);
    const liveTokens = new LiveTokens();
    const liveRelay = new LiveRelay({
      host: liveAddr.host,
      port: liveAddr.port,
      tokens: liveTokens,
      maxViewersPerCamera: config.live.maxViewersPerCamera,
      log: logger.child({ component: 'live' }),
      streamUrl: async (id) => {
        const camera = config.cameras.find((c) => c.id === id);
        if (!camera || camera.prohibited) throw new Error('not streamable'); // the verb refuses first; this is the second net
        const uri = inventoryStore.latestSnapshot(id)?.record.profiles.find((p) => p.streamUri)?.streamUri;
        if (!uri) throw new Error('camera not interrogated yet: no stream URI');
        return withCredentials(uri, camera.onvif.username, camera.onvif.password);
      },
    });
    await liveRelay.start();
    cleanups.push({ name: 'live relay', run: () => liveRelay.stop() });

    // The operator console (issue 11): pages over the same database, every picture viewed registered.
    const consoleService = new ConsoleService({
      config,
      db,
      now,
      logger: logger.child({ component: 'console' }),
      routes: consoleRoutes(),
      live: { host: config.live.advertise, port: liveRelay.address().port },
      services: consoleServices({
        config,
        db,
        now,
        thumbnails,
        register: accessRegister,
        holds: new HoldStore(db),
        diagnose: async (requester) => {
          const startedMs = now().getTime();
          const report = await runDiagnoseNow({});
          try {
            recordInspection(db, { report, startedMs, finishedMs: now().getTime(), source: 'console', requester });
          } catch (err) {
            logger.warn({ err }, 'could not record the console diagnose run in the inspection history');
          }
          return report;
        },
        live: {
          issue: (camera, keyId, expiresAt) => liveTokens.issue(camera, keyId, expiresAt),
          advertise: { host: config.live.advertise, port: liveRelay.address().port },
          tokenTtlSeconds: config.live.tokenTtlSeconds,
        },
      }),
    });
    const birth = new BirthPublisher({
      config,
      link: connection,
      db,
      logger: logger.child({ component: 'birth' }),
      now,
      agentVersion,
      bootId,
      inventory: (id) => inventoryStore.latestSnapshot(id)?.record ?? null,
    });
    let health: HealthPublisher | null = null;
    const router = new RequestRouter({
      site,
      link: connection,
      db,
      logger: logger.child({ component: 'requests' }),
      now,
      security: config.security,
      verbs: [
        ...basicVerbs({
          site: config.site,
          cameras: config.cameras,
          now,
          agentVersion,
          cameraStatus: (c) => cameraStatus.status(c),
          storage: () => retention.status(),
          reports: () => changes.reports(),
          latestSnapshot: (id) => inventoryStore.latestSnapshot(id),
          rebirth: async () => {
            const b = await birth.publish();
            await health?.publish();
            await linkage.republishState();
            cameraStatus.republish();
            return { birthSeq: b.seq };
          },
        }),
        ...accessVerbs({
          db,
          recorder,
          cameras: config.cameras,
          segments: new SegmentStore(db),
          holds: new HoldStore(db),
          // Outside storage.root, so retention never takes an export for a recording.
          exportsRoot: join(dirname(config.database), 'exports'),
          storageRoot: config.storage.root,
          snapshot: snapshotFor,
          acknowledgeReport: (id, receiptNo) => {
            const r = changes.acknowledge(id, receiptNo);
            return r ? publicReport(r) : null;
          },
          now,
          vitalHoldDays: config.profile.retention.vitalHoldDays,
          logger: logger.child({ component: 'access' }),
          register: accessRegister,
        }),
        liveOpenVerb({
          camera: (id) => config.cameras.find((c) => c.id === id),
          registerAccess: async (e) => {
            accessRegister.record({
              verb: e.verb,
              cameras: [...e.cameras],
              fromMs: null,
              toMs: null,
              requester: platformRequester(e.keyId),
              staff: e.staff,
              approvalDoc: null,
              lawDoc: null,
              purpose: e.purpose,
              result: e.result,
              detail: { requestId: e.id, ...e.detail },
            });
          },
          issueToken: (camera, keyId, expiresAt) => liveTokens.issue(camera, keyId, expiresAt),
          advertise: { host: config.live.advertise, port: liveRelay.address().port },
          tokenTtlSeconds: config.live.tokenTtlSeconds,
        }),
        // The technician's checklist on request; its own read-only database handle and broker connection.
        diagnoseVerb({
          cameraIds: () => config.cameras.map((c) => c.id),
          // Every run joins the inspection history (Liaoning Art. 14 (ii)); losing that row must not fail the run.
          record: (r) => {
            try {
              recordInspection(db, r);
            } catch (err) {
              logger.warn({ err }, 'could not record the diagnose run in the inspection history');
            }
          },
          now,
          run: (opts) => runDiagnoseNow(opts),
        }),
      ],
    });
    health = new HealthPublisher({
      site,
      link: connection,
      logger: logger.child({ component: 'health' }),
      now,
      refusals: () => router.refusals(),
      outboxSize: () => outbox.size(),
      agentVersion,
      bootId,
    });
    services.push(router, birth, health, consoleService);
    consoleUrl = () => {
      try {
        return consoleService.url();
      } catch {
        return null;
      }
    };
    if (deps.notifier) services.push(new WatchdogService({ notifier: deps.notifier, db }));
    for (const service of services) {
      await service.start(abort.signal);
      cleanups.push({ name: service.name, run: () => service.stop() });
    }

    recorder.withFact((append) => {
      append({
        type: 'agent.started',
        severity: 'info',
        data: { agentVersion, bootId, profile: config.profile.id, cameras: config.cameras.length, configSource: config.source },
      });
      for (const camera of config.cameras.filter((c) => c.prohibited)) {
        // Liaoning Art. 9 / Datong Art. 9: such a camera is never recorded or streamed.
        append({
          type: 'compliance.prohibited_location',
          severity: 'critical',
          camera: camera.id,
          data: { locationKind: camera.location.kind, description: camera.location.description },
        });
      }
    });
  } catch (err) {
    await runCleanups(cleanups, logger);
    throw err;
  }

  await deps.notifier?.ready(`site ${site}: ${config.cameras.length} cameras`);

  let stopping: Promise<void> | null = null;
  return {
    bootId,
    brokerUrl: broker?.url ?? null,
    consoleUrl: () => consoleUrl(),
    db,
    recorder,
    bus,
    stop(reason: string) {
      stopping ??= (async () => {
        logger.info({ reason }, 'stopping');
        await deps.notifier?.stopping();
        abort.abort();
        await runCleanups(cleanups, logger);
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

/** Stops in reverse order of start; each step bounded so the whole stays under 5 s. */
async function runCleanups(cleanups: { name: string; run: () => Promise<void> | void }[], logger: Logger): Promise<void> {
  for (const step of [...cleanups].reverse()) {
    try {
      const result = await withDeadline(2500, async () => step.run());
      if (result === 'timeout') logger.warn({ step: step.name }, 'did not stop in time; going on');
    } catch (err) {
      logger.error({ err, step: step.name }, 'error while stopping');
    }
  }
  cleanups.length = 0;
}

/**
 * The clarity monitor's latest verdict for a camera, from its persisted state. The statement
 * is prepared once: the status topic asks for every camera on each pass.
 */
function clarityStatusOf(db: Database): (cameraId: string) => { verdict: 'ok' | 'degraded' | 'fault'; faults: string[]; metrics: Record<string, number> } | null {
  const select = db.prepare<[string], { verdict: string; faults: string; metrics: string }>('SELECT verdict, faults, metrics FROM clarity_state WHERE camera_id = ?');
  return (cameraId) => {
    const row = select.get(cameraId);
    if (!row) return null;
    return {
      verdict: row.verdict as 'ok' | 'degraded' | 'fault',
      faults: JSON.parse(row.faults) as string[],
      metrics: JSON.parse(row.metrics) as Record<string, number>,
    };
  };
}

/** Working days in the site's zone; a broken replacement calendar falls back to the bundled one. */
function siteCalendar(config: AgentConfig, logger: Logger): DeadlineCalendar {
  const loaded = loadCalendar({ file: config.calendar.file });
  for (const e of loaded.errors) logger.error(`calendar: ${e}`);
  for (const w of loaded.warnings) logger.warn(`calendar: ${w}`);
  const cal = loaded.calendar;
  const tz = config.site.timezone;
  return {
    deadline: (from, n) => {
      const d = workingDayDeadline(cal, from, n, tz);
      return { deadline: d.deadline, calendarKnown: d.calendarKnown };
    },
    today: (now) => localDate(now, tz),
    workingDaysBetween: (from, to) => workingDaysBetween(cal, from, to),
  };
}

/** Size of the filesystem holding `root` (the nearest existing parent), or null. */
function filesystemBytes(root: string): number | null {
  let dir = root;
  for (;;) {
    try {
      const st = statfsSync(dir);
      return st.blocks * st.bsize;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
  }
}

/** One ONVIF client per camera, shared by interrogation and events, so its measured clock offset is reused. */
function cameraClients(timeoutMs: number | undefined, nowMs: () => number): (camera: CameraConfig) => OnvifClient {
  const clients = new Map<string, OnvifClient>();
  return (camera) => {
    let client = clients.get(camera.id);
    if (!client) {
      client = new OnvifClient({
        url: camera.onvif.url,
        now: nowMs,
        ...(camera.onvif.username !== undefined ? { username: camera.onvif.username } : {}),
        ...(camera.onvif.password !== undefined ? { password: camera.onvif.password } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      clients.set(camera.id, client);
    }
    return client;
  };
}

function discoveryPort(config: AgentConfig): DiscoveryPort {
  const targets = config.discovery.targets.map((t) => {
    const [host, port] = t.split(':');
    return { host: host as string, port: port ? Number(port) : config.discovery.port };
  });
  return {
    intervalMs: config.discovery.intervalSeconds * 1000,
    async probe(signal): Promise<HeardDevice[]> {
      const result = await probe({
        timeoutMs: 3000,
        port: config.discovery.port,
        unicastTargets: targets,
        signal,
        ...(config.discovery.interface ? { interface: config.discovery.interface } : {}),
      });
      return result.devices;
    },
  };
}

function announcementPort(config: AgentConfig, logger: Logger): AnnouncementPort {
  return new DiscoveryListener({
    port: config.discovery.port,
    logger: logger.child({ component: 'discovery' }),
    ...(config.discovery.interface ? { interface: config.discovery.interface } : {}),
  });
}

function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`bad listen address '${listen}' (want host:port)`);
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

function pickCredentials(config: AgentConfig): { username?: string; password?: string } {
  const out: { username?: string; password?: string } = {};
  if (config.mqtt.username !== undefined) out.username = config.mqtt.username;
  if (config.mqtt.password !== undefined) out.password = config.mqtt.password;
  return out;
}

function pickTls(config: AgentConfig): { ca?: string; cert?: string; key?: string } {
  const out: { ca?: string; cert?: string; key?: string } = {};
  if (config.mqtt.ca) out.ca = config.mqtt.ca;
  if (config.mqtt.cert) out.cert = config.mqtt.cert;
  if (config.mqtt.key) out.key = config.mqtt.key;
  return out;
}
