import { probe, type DiscoveredDevice } from '../../drivers/discovery/index.js';
import { OnvifClient, OnvifError, type DeviceReport } from '../../drivers/onvif/index.js';
import { mapBounded } from '../../agent/lifecycle/bounded.js';
import { cliCatalog } from '../../agent/i18n/cli.js';
import { translator } from '../../agent/i18n/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { commandLanguage, usageError } from '../cli/lang.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from '../cli/command.js';
import { progressLine, renderTable } from '../cli/table.js';

type AuthState = 'ok' | 'unauthorized' | 'not_tried' | 'error';

interface DiscoverProfile {
  token: string;
  name: string;
  encoding: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrate: number | null;
  rtspUri: string | null;
}

interface DiscoverDevice {
  urn: string;
  xaddrs: string[];
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  hardwareId: string | null;
  auth: AuthState;
  profiles: DiscoverProfile[];
  snapshotUri: string | null;
  /** Extensions: scopes as announced, and what went wrong when auth is "error". */
  scopes: string[];
  error?: { code: string; message: string };
}

const HARDWARE_SCOPE = 'onvif://www.onvif.org/hardware/';

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'find ONVIF cameras (WS-Discovery) and interrogate them',
  usage:
    'discover [--timeout S] [--interface IF] [--username U --password P] [--target HOST[:PORT]]… [--port P] [--json] [--lang zh-CN|en]',
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        timeout: { type: 'string' },
        interface: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        target: { type: 'string', multiple: true },
        port: { type: 'string' },
        json: { type: 'boolean' },
      },
      false,
    );
    // No config here: --lang, CEA_LANG, else English.
    const t = translator(cliCatalog, commandLanguage(io, values.lang));
    const timeoutS = values.timeout === undefined ? 3 : Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 120) throw usageError('err.timeout');
    if ((values.username === undefined) !== (values.password === undefined)) throw usageError('err.credentials');
    const port = values.port === undefined ? 3702 : parsePort(values.port, '--port');
    const targets = (values.target ?? []).map((t) => parseTarget(t, port));

    const progress = progressLine(io.stderr);
    let heard = 0;
    progress.update(t('discover.probing', { s: timeoutS }));
    const result = await probe({
      timeoutMs: timeoutS * 1000,
      port,
      unicastTargets: targets,
      ...(values.interface ? { interface: values.interface } : {}),
      onDevice: () => {
        heard += 1;
        progress.update(`${t('discover.probing', { s: timeoutS })} ${t('discover.found', { count: heard })}`);
      },
    });

    let done = 0;
    const devices = await mapBounded(result.devices, 8, async (d) => {
      const out = await interrogate(d, values.username, values.password, timeoutS);
      done += 1;
      progress.update(t('discover.interrogating', { done, total: result.devices.length }));
      return out;
    });
    progress.done();
    const list = devices.map((r, i) => (r.status === 'fulfilled' ? r.value : failed(result.devices[i] as DiscoveredDevice, r.reason)));

    if (values.json) {
      printJson(io, { devices: list, interfaces: result.interfaces, dropped: result.dropped });
    } else if (list.length === 0) {
      io.stdout.write(`${t('discover.none', { where: result.interfaces.join(', ') || t('discover.anyInterface'), s: timeoutS })}\n`);
    } else {
      io.stdout.write(`${renderTable(
        t('discover.headers').split('|'),
        list.map((d) => [
          hostOf(d.xaddrs[0]),
          d.manufacturer ?? '?',
          d.model ?? '?',
          d.firmware ?? '?',
          d.serial ?? '?',
          t(`discover.auth.${d.auth}`) + (d.error ? ` (${d.error.code})` : ''),
          mainStream(d.profiles),
        ]),
      )}\n`);
      io.stdout.write(`\n${t('discover.count', { count: list.length, where: result.interfaces.join(', ') })}${values.username ? '' : ` ${t('discover.addCredentials')}`}\n`);
    }
    return list.length > 0 ? EXIT_OK : EXIT_FINDINGS;
  },
};

async function interrogate(d: DiscoveredDevice, username: string | undefined, password: string | undefined, timeoutS: number): Promise<DiscoverDevice> {
  const base = fromScopes(d);
  const url = preferredXaddr(d.xaddrs);
  if (!url) return { ...base, auth: 'error', error: { code: 'protocol', message: 'the device announced no usable XAddr' } };
  if (username === undefined || password === undefined) return base;
  const client = new OnvifClient({ url, username, password, timeoutMs: Math.max(3000, timeoutS * 1000) });
  try {
    return { ...base, ...fromReport(await client.interrogate()), auth: 'ok' };
  } catch (err) {
    if (err instanceof OnvifError && err.code === 'unauthorized') return { ...base, auth: 'unauthorized' };
    return failed(d, err);
  }
}

function fromScopes(d: DiscoveredDevice): DiscoverDevice {
  const hardware = d.scopes.find((s) => s.startsWith(HARDWARE_SCOPE));
  return {
    urn: d.urn,
    xaddrs: d.xaddrs,
    manufacturer: null,
    model: hardware ? decodeURIComponent(hardware.slice(HARDWARE_SCOPE.length)) : null,
    firmware: null,
    serial: null,
    hardwareId: null,
    auth: 'not_tried',
    profiles: [],
    snapshotUri: null,
    scopes: d.scopes,
  };
}

function fromReport(r: DeviceReport): Partial<DiscoverDevice> {
  return {
    manufacturer: r.identity.manufacturer,
    model: r.identity.model,
    firmware: r.identity.firmware,
    serial: r.identity.serial,
    hardwareId: r.identity.hardwareId,
    profiles: r.profiles.map((p) => ({
      token: p.token,
      name: p.name,
      encoding: p.encoder?.encoding ?? null,
      width: p.encoder?.width ?? null,
      height: p.encoder?.height ?? null,
      fps: p.encoder?.fps ?? null,
      bitrate: p.encoder?.bitrate ?? null,
      rtspUri: p.streamUri,
    })),
    snapshotUri: r.profiles.find((p) => p.snapshotUri)?.snapshotUri ?? null,
  };
}

function failed(d: DiscoveredDevice, err: unknown): DiscoverDevice {
  const code = err instanceof OnvifError ? err.code : 'error';
  const message = err instanceof Error ? err.message : String(err);
  return { ...fromScopes(d), auth: 'error', error: { code, message } };
}

/** IPv4 http first: link-local IPv6 XAddrs need a zone id we don't have. */
function preferredXaddr(xaddrs: string[]): string | null {
  const parsed = xaddrs.flatMap((x) => {
    try {
      const u = new URL(x);
      return u.protocol === 'http:' || u.protocol === 'https:' ? [u] : [];
    } catch {
      return [];
    }
  });
  const v4 = parsed.find((u) => /^\d+\.\d+\.\d+\.\d+$/.test(u.hostname));
  return (v4 ?? parsed[0])?.href ?? null;
}

function mainStream(profiles: DiscoverProfile[]): string {
  const p = profiles.find((x) => x.width && x.height);
  if (!p) return '-';
  return `${p.encoding ?? '?'} ${p.width}x${p.height}${p.fps ? ` @${p.fps}` : ''}${p.bitrate ? ` ${p.bitrate} kbit/s` : ''}`;
}

function hostOf(url: string | undefined): string {
  if (!url) return '?';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${flag} must be a port number`);
  return n;
}

function parseTarget(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--target '${text}' is not HOST[:PORT]`);
  return { host: (m[1] ?? m[2]) as string, port: m[3] ? parsePort(m[3], '--target') : defaultPort };
}
