import { statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { loadCalendar } from '../calendar/load.js';
import { checkEd25519PublicKey, readReferencedFile } from './files.js';
import type { ConfigPath, IssueSink } from './issues.js';
import { isLoopbackHost, isWildcardHost, parseListen, type ListenAddress } from './listen.js';
import { resolveMqtt } from './mqtt.js';
import { defaultProfilesDir, readProfile } from './profiles.js';
import { PROHIBITED_LOCATION_KINDS, configSchema, type RawConfig } from './schema.js';
import { resolvePassword, type SecretContext } from './secrets.js';
import type { AgentConfig, CameraConfig, JurisdictionProfile, LoadContext } from './types.js';
import { reportZodIssues } from './zod-issues.js';

/** When the config does not set a ceiling, keep a month (or the floor, if longer). */
const DEFAULT_CEILING_DAYS = 30;

export interface ResolveInput {
  raw: unknown;
  /** AgentConfig.source: absolute file path or a label such as '<built-in demo>'. */
  source: string;
  /** Base of files the config refers to (passwordFile, TLS files, platform keys). */
  baseDir: string;
  sink: IssueSink;
  ctx: LoadContext;
}

/**
 * Schema check, then semantic checks (the law's floor, duplicates, secrets, files,
 * addresses), then the resolved AgentConfig with defaults applied and paths absolute.
 * Returns null when any error was reported to the sink.
 */
export function resolveConfig({ raw, source, baseDir, sink, ctx }: ResolveInput): AgentConfig | null {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    reportZodIssues(configSchema, parsed.error.issues, raw, sink);
    return null;
  }
  const cfg = parsed.data;
  const secrets: SecretContext = { baseDir, env: ctx.env, sink };
  const fileAt = (name: string) => (isAbsolute(name) ? name : resolve(baseDir, name));

  const profile = resolveProfile(cfg.profile, ctx, sink);
  const broker = cfg.broker ?? null;
  const brokerAddr = broker ? listenAt(broker.listen, ['broker', 'listen'], sink) : null;
  if (broker && brokerAddr && broker.anonymousRead && !isLoopbackHost(brokerAddr.host)) {
    sink.warn(['broker', 'anonymousRead'], 'anyone on the network can read the site topics (camera status, events) without credentials');
  }
  const consoleAddr = listenAt(cfg.console.listen, ['console', 'listen'], sink);
  if (brokerAddr && consoleAddr && brokerAddr.port === consoleAddr.port && sameHostOrWildcard(brokerAddr.host, consoleAddr.host)) {
    sink.error(['console', 'listen'], `conflicts with broker.listen ${broker?.listen ?? ''}`);
  }
  const live = resolveLive(cfg, [brokerAddr, consoleAddr], sink);

  const mqtt = resolveMqtt(cfg, brokerAddr, secrets, fileAt, sink);
  const security = resolveSecurity(cfg, fileAt, sink);
  const retention = resolveRetention(cfg, profile, sink);
  const cameras = resolveCameras(cfg, secrets, sink);
  const filing = resolveFiling(cfg, fileAt, sink);
  const calendar = resolveCalendar(cfg, fileAt, sink);

  if (cfg.discovery.interface !== undefined && !(cfg.discovery.interface in networkInterfaces())) {
    sink.warn(['discovery', 'interface'], `this host has no network interface "${cfg.discovery.interface}"`);
  }

  if (sink.errors.length > 0 || !profile || !mqtt || !retention) return null;
  return {
    source,
    site: { id: cfg.site.id, name: cfg.site.name ?? cfg.site.id, timezone: cfg.site.timezone },
    profile,
    mqtt,
    broker,
    security,
    database: resolve(ctx.cwd, cfg.database),
    storage: { root: resolve(ctx.cwd, cfg.storage.root), maxBytes: cfg.storage.maxBytes, ...storageWatermarks(cfg, sink) },
    retention,
    discovery: {
      enabled: cfg.discovery.enabled,
      intervalSeconds: cfg.discovery.intervalSeconds,
      port: cfg.discovery.port,
      targets: cfg.discovery.targets,
      announcements: cfg.discovery.announcements,
      maxNewDevicesPerHour: cfg.discovery.maxNewDevicesPerHour,
      maxUnconfiguredDevices: cfg.discovery.maxUnconfiguredDevices,
      ...(cfg.discovery.interface !== undefined ? { interface: cfg.discovery.interface } : {}),
    },
    cameras,
    monitor: { intervalSeconds: cfg.monitor.intervalSeconds, clockSkewLimitSeconds: cfg.monitor.clockSkewLimitSeconds },
    language: cfg.language ?? profile.language,
    console: { listen: cfg.console.listen, language: cfg.console.language ?? cfg.language ?? profile.language },
    live,
    calendar,
    filing,
  };
}

/**
 * The replacement working-day calendar, checked with the calendar loader. A bad file
 * is a warning, not an error: the agent keeps running (recording, retention) on the
 * bundled calendar rather than refuse to start; validate-config shows why.
 */
function resolveCalendar(cfg: RawConfig, fileAt: (name: string) => string, sink: IssueSink): AgentConfig['calendar'] {
  if (cfg.calendar.file === undefined) return { file: null };
  const file = fileAt(cfg.calendar.file);
  const loaded = loadCalendar({ file });
  for (const message of [...loaded.errors, ...loaded.warnings]) sink.warn(['calendar', 'file'], message);
  return { file };
}

function resolveProfile(id: string, ctx: LoadContext, sink: IssueSink): JurisdictionProfile | null {
  const read = readProfile(id, ctx.profilesDir ?? defaultProfilesDir());
  if (read.ok) return read.profile;
  if (read.kind === 'unknown') {
    sink.error(['profile'], `unknown profile "${id}" (known: ${read.known.join(', ') || 'none'})`);
  } else {
    sink.error(['profile'], `profile "${id}" is invalid (see the errors in its file)`);
    sink.addErrors(read.errors);
  }
  return null;
}

function listenAt(text: string, path: ConfigPath, sink: IssueSink, opts: { anyPort?: boolean } = {}): ListenAddress | null {
  const addr = parseListen(text, opts);
  if ('error' in addr) return null; // the schema already reported it
  if (isWildcardHost(addr.host)) {
    sink.warn(path, `${text} listens on every network interface; make sure the network is trusted or firewalled`);
  }
  return addr;
}

/** The live relay's address: the usual wildcard warning, no clash with the other listeners, a host to advertise. */
function resolveLive(cfg: RawConfig, others: (ListenAddress | null)[], sink: IssueSink): AgentConfig['live'] {
  const addr = listenAt(cfg.live.listen, ['live', 'listen'], sink, { anyPort: true });
  if (addr && addr.port !== 0 && others.some((o) => o && o.port === addr.port && sameHostOrWildcard(o.host, addr.host))) {
    sink.error(['live', 'listen'], `conflicts with another listener (console.listen ${cfg.console.listen}${cfg.broker ? `, broker.listen ${cfg.broker.listen}` : ''})`);
  }
  let advertise = cfg.live.advertise?.replace(/^\[(.*)\]$/, '$1');
  if (advertise === undefined && addr) {
    // A wildcard is no address to connect to: the platform would need the box's real one.
    if (isWildcardHost(addr.host)) sink.warn(['live', 'advertise'], 'not set while live.listen is a wildcard: live.open URLs will name the loopback address');
    advertise = isWildcardHost(addr.host) ? (addr.host === '0.0.0.0' ? '127.0.0.1' : '::1') : addr.host;
  }
  return {
    listen: cfg.live.listen,
    advertise: advertise ?? '127.0.0.1',
    tokenTtlSeconds: cfg.live.tokenTtlSeconds,
    maxViewersPerCamera: cfg.live.maxViewersPerCamera,
  };
}

function sameHostOrWildcard(a: string, b: string): boolean {
  return a === b || isWildcardHost(a) || isWildcardHost(b);
}

function resolveSecurity(cfg: RawConfig, fileAt: (name: string) => string, sink: IssueSink): AgentConfig['security'] {
  const seen = new Map<string, number>();
  const platformKeys = cfg.security.platformKeys.map((k, i) => {
    const first = seen.get(k.id);
    if (first === undefined) seen.set(k.id, i);
    else sink.error(['security', 'platformKeys', i, 'id'], `duplicate key id "${k.id}" (also platformKeys[${first}])`);
    const publicKey = fileAt(k.publicKey);
    const read = readReferencedFile(publicKey);
    const ok = read.ok ? checkEd25519PublicKey(read.data) : read;
    if (!ok.ok) sink.error(['security', 'platformKeys', i, 'publicKey'], read.ok ? `${publicKey} ${ok.reason}` : ok.reason);
    return { id: k.id, publicKey };
  });
  if (cfg.security.requireSignedCommands && platformKeys.length === 0) {
    sink.warn(['security', 'requireSignedCommands'], 'no platformKeys are configured, so every platform request will be refused as unauthorized');
  }
  if (cfg.security.requireSiteBinding && !cfg.security.requireSignedCommands) {
    sink.warn(['security', 'requireSiteBinding'], 'has no effect while requireSignedCommands is false: unsigned requests carry no auth.site to check');
  }
  return { requireSignedCommands: cfg.security.requireSignedCommands, requireSiteBinding: cfg.security.requireSiteBinding, platformKeys };
}

function resolveRetention(cfg: RawConfig, profile: JurisdictionProfile | null, sink: IssueSink): AgentConfig['retention'] | null {
  if (!profile) return null;
  const legal = profile.retention.floorDays;
  const floorDays = cfg.retention.floorDays ?? legal;
  if (floorDays < legal) {
    sink.error(
      ['retention', 'floorDays'],
      `${floorDays} days is below the legal floor of ${legal} days of profile ${profile.id}; recordings may not be deleted sooner`,
    );
    return null;
  }
  const ceilingDays = cfg.retention.ceilingDays ?? Math.max(floorDays, DEFAULT_CEILING_DAYS);
  if (ceilingDays < floorDays) {
    sink.error(['retention', 'ceilingDays'], `${ceilingDays} days is shorter than floorDays (${floorDays})`);
    return null;
  }
  return { floorDays, ceilingDays };
}

/** Disk-pressure watermarks must nest: delete down to <= delete above < stop above. */
function storageWatermarks(cfg: RawConfig, sink: IssueSink): Pick<AgentConfig['storage'], 'deleteAbovePercent' | 'deleteDownToPercent' | 'stopAbovePercent'> {
  const { deleteAbovePercent, deleteDownToPercent, stopAbovePercent } = cfg.storage;
  if (deleteDownToPercent > deleteAbovePercent) {
    sink.error(['storage', 'deleteDownToPercent'], `${deleteDownToPercent} is above deleteAbovePercent (${deleteAbovePercent})`);
  }
  if (stopAbovePercent <= deleteAbovePercent) {
    sink.error(['storage', 'stopAbovePercent'], `${stopAbovePercent} must be above deleteAbovePercent (${deleteAbovePercent}): recording stops only when deleting cannot help`);
  }
  return { deleteAbovePercent, deleteDownToPercent, stopAbovePercent };
}

const prohibitedKinds: readonly string[] = PROHIBITED_LOCATION_KINDS;

function resolveCameras(cfg: RawConfig, secrets: SecretContext, sink: IssueSink): CameraConfig[] {
  const seen = new Map<string, number>();
  return cfg.cameras.map((c, i) => {
    const first = seen.get(c.id);
    if (first === undefined) seen.set(c.id, i);
    else {
      const line = sink.lineOf(['cameras', first, 'id']);
      sink.error(['cameras', i, 'id'], `duplicate camera id "${c.id}" (first: cameras[${first}]${line > 0 ? `, line ${line}` : ''})`);
    }
    const prohibited = prohibitedKinds.includes(c.location.kind);
    if (prohibited) {
      sink.warn(
        ['cameras', i, 'location', 'kind'],
        `"${c.location.kind}" is a place where cameras are prohibited: this camera is never recorded or streamed and a compliance alarm is raised`,
      );
    }
    const password = resolvePassword(c.onvif, ['cameras', i, 'onvif'], secrets);
    const camera: CameraConfig = {
      id: c.id,
      name: c.name ?? c.id,
      onvif: {
        url: c.onvif.url,
        ...(c.onvif.username !== undefined ? { username: c.onvif.username } : {}),
        ...(password !== undefined ? { password } : {}),
      },
      location: { kind: c.location.kind, description: c.location.description },
      record: c.record,
      prohibited,
    };
    if (c.purpose !== undefined) camera.purpose = c.purpose;
    if (c.priority !== undefined) camera.priority = c.priority;
    return camera;
  });
}

/**
 * Filing facts with document paths made absolute. A document that is not there yet is
 * no config error (the dossier lists it as missing, and the agent runs without it),
 * but validate-config says so.
 */
function resolveFiling(cfg: RawConfig, fileAt: (name: string) => string, sink: IssueSink): AgentConfig['filing'] {
  const f = cfg.filing;
  if (f.acceptedOn !== undefined && f.inUseSince !== undefined && f.inUseSince < f.acceptedOn) {
    sink.warn(['filing', 'inUseSince'], `is before acceptedOn ${f.acceptedOn}; a system may not be used before it passes acceptance (Datong Art. 14)`);
  }
  const documents = f.documents.map((d, i) => {
    const path = fileAt(d.path);
    const problem = documentProblem(path);
    if (problem) sink.warn(['filing', 'documents', i, 'path'], `${path} ${problem}; cea dossier lists it as missing`);
    return { kind: d.kind, path, title: d.title ?? null };
  });
  return {
    acceptedOn: f.acceptedOn ?? null,
    inUseSince: f.inUseSince ?? null,
    existingSystem: f.existingSystem,
    authority: f.authority ?? null,
    operator: f.operator ?? null,
    contact: f.contact ?? null,
    documents,
    filed: f.filed ? { date: f.filed.date, receiptNo: f.filed.receiptNo ?? null } : null,
  };
}

function documentProblem(path: string): string | null {
  try {
    return statSync(path).isFile() ? null : 'is not a regular file';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
  }
}
