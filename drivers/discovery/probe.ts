// Probing: ask every reachable ONVIF device to answer, collect the ProbeMatches.
//
// Per interface one UDP socket, bound to that interface's address on an ephemeral port,
// multicasts a typed Probe (dn:NetworkVideoTransmitter) and an untyped one (some devices
// answer only one of them), each with its own MessageID; answers come back unicast to
// that socket. Resends follow SOAP-over-UDP retransmission: the same messages (same
// MessageIDs) again after a random 50–250 ms, the interval doubling up to 500 ms.
//
// Correlation: a ProbeMatches whose RelatesTo is present must name one of our
// MessageIDs, else it is dropped as unrelated. A ProbeMatches WITHOUT RelatesTo is
// accepted: some cameras leave it out, and an answer to our ephemeral port is ours.
//
// probe() never rejects because of what the network sends: bad datagrams are dropped
// and counted, socket errors are logged. It rejects only on bad options (DiscoveryError).
import type { Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { deviceKey, LIMITS, mergeInto, newDevice, type DiscoveredDevice } from './devices.js';
import { listInterfaces, selectInterfaces, type LocalInterface } from './interfaces.js';
import { buildProbe, newMessageId, normalizeMessageId, parseDiscoveryMessage, WSD_GROUP, WSD_PORT } from './messages.js';
import {
  bad,
  checkInt,
  checkInterfaceName,
  checkLogger,
  checkMulticastAddress,
  checkPort,
  checkSignal,
  describe,
  type DiscoveryLogger,
} from './options.js';
import { closeUdpSocket, localAddressFor, openUdpSocket, sendUdp } from './sockets.js';

export interface ProbeOptions {
  /** Total listening time after the first probe is sent. */
  timeoutMs: number;
  /** Only this interface (e.g. 'eth0'); default: all up, multicast-capable IPv4 ones. */
  interface?: string;
  /** Send the multicast probes (default true); false = unicastTargets only. */
  multicast?: boolean;
  /** Default 239.255.255.250. */
  multicastAddress?: string;
  /** Destination port of the multicast probe. Default 3702. */
  port?: number;
  /** Extra unicast destinations (IPv4 literals): the simulator in tests, one camera for a technician. */
  unicastTargets?: { host: string; port: number }[];
  /** Sends in all per destination (the first and the retransmissions). Default 3. */
  resends?: number;
  /** Larger datagrams are dropped and counted. Default 65536. */
  maxDatagramBytes?: number;
  /** Aborting ends the probe early; it then resolves with what was heard so far. */
  signal?: AbortSignal;
  /** Called once per new endpoint address, as soon as it is heard (later answers still complete the same object). */
  onDevice?: (d: DiscoveredDevice) => void;
  logger?: DiscoveryLogger;
}

export interface ProbeResult {
  devices: DiscoveredDevice[];
  /** The local interfaces probed from. */
  interfaces: string[];
  dropped: { oversized: number; malformed: number; unrelated: number };
}

const MAX_TIMEOUT_MS = 3_600_000;
const MAX_TARGETS = 1024;
// SOAP-over-UDP retransmission timing (UDP_MIN_DELAY, UDP_MAX_DELAY, UDP_UPPER_DELAY).
const UDP_MIN_DELAY = 50;
const UDP_MAX_DELAY = 250;
const UDP_UPPER_DELAY = 500;

interface Normalized {
  timeoutMs: number;
  interface: string | undefined;
  multicast: boolean;
  group: string;
  port: number;
  targets: { host: string; port: number }[];
  resends: number;
  maxDatagramBytes: number;
  signal: AbortSignal | undefined;
  onDevice: ((d: DiscoveredDevice) => void) | undefined;
  log: DiscoveryLogger;
}

function normalize(opts: ProbeOptions): Normalized {
  if (typeof opts !== 'object' || opts === null) throw bad('probe options must be an object');
  if (typeof opts.timeoutMs !== 'number' || !Number.isFinite(opts.timeoutMs) || opts.timeoutMs < 0 || opts.timeoutMs > MAX_TIMEOUT_MS) {
    throw bad(`timeoutMs must be a number of milliseconds from 0 to ${MAX_TIMEOUT_MS} (got ${describe(opts.timeoutMs)})`);
  }
  if (opts.multicast !== undefined && typeof opts.multicast !== 'boolean') throw bad('multicast must be a boolean');
  const targets = opts.unicastTargets ?? [];
  if (!Array.isArray(targets) || targets.length > MAX_TARGETS) throw bad(`unicastTargets must be an array of at most ${MAX_TARGETS}`);
  const checkedTargets = targets.map((t, i) => {
    if (typeof t !== 'object' || t === null || typeof t.host !== 'string' || !isIPv4(t.host)) {
      throw bad(`unicastTargets[${i}].host must be an IPv4 address (got ${describe((t as { host?: unknown } | null)?.host)})`);
    }
    return { host: t.host, port: checkPort(`unicastTargets[${i}].port`, t.port) };
  });
  if (opts.onDevice !== undefined && typeof opts.onDevice !== 'function') throw bad('onDevice must be a function');
  return {
    timeoutMs: opts.timeoutMs,
    interface: checkInterfaceName(opts.interface),
    multicast: opts.multicast ?? true,
    group: opts.multicastAddress === undefined ? WSD_GROUP : checkMulticastAddress(opts.multicastAddress),
    port: opts.port === undefined ? WSD_PORT : checkPort('port', opts.port),
    targets: checkedTargets,
    resends: opts.resends === undefined ? 3 : checkInt('resends', opts.resends, 1, 10),
    maxDatagramBytes: opts.maxDatagramBytes === undefined ? 65536 : checkInt('maxDatagramBytes', opts.maxDatagramBytes, 512, 65536),
    signal: checkSignal(opts.signal),
    onDevice: opts.onDevice,
    log: checkLogger(opts.logger),
  };
}

/** A local socket and the name of the interface it sends from. */
interface Channel {
  iface: string;
  address: string;
  socket: Socket | null;
}

/** One destination: the messages sent there, again on every resend. */
interface Destination {
  channel: Channel;
  host: string;
  port: number;
  datagrams: Buffer[];
}

export async function probe(opts: ProbeOptions): Promise<ProbeResult> {
  const o = normalize(opts);
  // Named interface problems are bad options too (typed), even for a unicast-only probe.
  const selected = o.interface !== undefined || o.multicast ? selectInterfaces(o.interface) : [];
  const multicastIfaces = o.multicast ? selected : [];
  const log = o.log;

  const devices = new Map<string, DiscoveredDevice>();
  const dropped = { oversized: 0, malformed: 0, unrelated: 0 };
  const ourIds = new Set<string>();
  const result = (): ProbeResult => ({
    devices: [...devices.values()],
    interfaces: [...new Set(channels.filter((c) => c.socket).map((c) => c.iface))],
    dropped: { ...dropped },
  });

  const channels: Channel[] = [];
  const channelFor = (address: string, iface: string): Channel => {
    let c = channels.find((x) => x.address === address);
    if (!c) {
      c = { iface, address, socket: null };
      channels.push(c);
    }
    return c;
  };
  const destinations: Destination[] = [];
  const addDestination = (channel: Channel, host: string, port: number) => {
    const typed = newMessageId();
    const untyped = newMessageId();
    ourIds.add(normalizeMessageId(typed));
    ourIds.add(normalizeMessageId(untyped));
    destinations.push({
      channel,
      host,
      port,
      datagrams: [Buffer.from(buildProbe({ messageId: typed, types: 'nvt' })), Buffer.from(buildProbe({ messageId: untyped }))],
    });
  };

  if (o.signal?.aborted) return result();

  for (const i of multicastIfaces) addDestination(channelFor(i.address, i.name), o.group, o.port);
  if (o.targets.length > 0) {
    const known = listInterfaces();
    for (const t of o.targets) {
      // Send from the address the kernel routes through, so the answer names an interface.
      const local = await localAddressFor(t.host, t.port);
      if (local === null) {
        log.warn({ target: `${t.host}:${t.port}` }, 'ws-discovery: no route to unicast target, skipped');
        continue;
      }
      addDestination(channelFor(local, ifaceNameOf(known, local)), t.host, t.port);
    }
  }
  if (destinations.length === 0) {
    log.warn({ interface: o.interface ?? null }, 'ws-discovery: nothing to probe (no usable interface or target)');
    return result();
  }

  const onMessage = (channel: Channel, msg: Buffer, from: string) => {
    const parsed = parseDiscoveryMessage(msg, { maxBytes: o.maxDatagramBytes });
    if (!parsed.ok) {
      dropped[parsed.reason] += 1;
      log.debug({ from, reason: parsed.reason, detail: parsed.detail }, 'ws-discovery: datagram dropped');
      return;
    }
    const m = parsed.message;
    if (m.kind !== 'probe_matches') {
      dropped.unrelated += 1;
      if (m.kind === 'fault') log.debug({ from, code: m.code, reason: m.reason }, 'ws-discovery: SOAP fault in answer to a probe');
      else log.debug({ from, kind: m.kind }, 'ws-discovery: not a ProbeMatches, dropped');
      return;
    }
    if (m.relatesTo !== null && !ourIds.has(normalizeMessageId(m.relatesTo))) {
      dropped.unrelated += 1;
      log.debug({ from, relatesTo: m.relatesTo }, 'ws-discovery: ProbeMatches for another probe, dropped');
      return;
    }
    for (const match of m.matches) {
      const key = deviceKey(match.urn);
      const known = devices.get(key);
      if (known) {
        mergeInto(known, match, from, channel.iface);
        continue;
      }
      if (devices.size >= LIMITS.devices) {
        // More endpoints than any site has: a flood, counted with what is not ours.
        dropped.unrelated += 1;
        continue;
      }
      const d = newDevice(match, from, channel.iface);
      devices.set(key, d);
      log.debug({ urn: d.urn, from, interface: channel.iface, xaddrs: d.xaddrs }, 'ws-discovery: device found');
      if (o.onDevice) {
        try {
          o.onDevice(d);
        } catch (err) {
          log.warn({ err: (err as Error)?.message ?? String(err) }, 'ws-discovery: onDevice callback threw');
        }
      }
    }
  };

  try {
    await Promise.all(
      channels.map(async (c) => {
        try {
          const s = await openUdpSocket(c.address, 0, {
            onError: (err) => log.warn({ interface: c.iface, err: err.message }, 'ws-discovery: socket error'),
          });
          s.on('message', (msg, rinfo) => {
            try {
              onMessage(c, msg, `${rinfo.address}:${rinfo.port}`);
            } catch (err) {
              // parseDiscoveryMessage does not throw; this is a bug guard, not a path.
              dropped.malformed += 1;
              log.warn({ err: (err as Error)?.message ?? String(err) }, 'ws-discovery: datagram handler failed');
            }
          });
          if (destinations.some((d) => d.channel === c && d.host === o.group)) {
            try {
              s.setMulticastInterface(c.address);
              s.setMulticastTTL(1); // discovery stays on the local link (WS-Discovery: TTL 1 recommended)
              s.setMulticastLoopback(true); // software on this box (a VMS, a simulator) hears it too
            } catch (err) {
              log.warn({ interface: c.iface, err: (err as Error).message }, 'ws-discovery: multicast setup failed');
            }
          }
          c.socket = s;
        } catch (err) {
          log.warn({ interface: c.iface, address: c.address, err: (err as Error).message }, 'ws-discovery: cannot open socket');
        }
      }),
    );
    const live = destinations.filter((d) => d.channel.socket);
    if (live.length === 0) return result();
    await listen(o, live, log);
    return result();
  } finally {
    await Promise.all(channels.map((c) => closeUdpSocket(c.socket)));
  }
}

/** Sends every round, then waits until timeoutMs after the first send or the abort. */
function listen(o: Normalized, live: Destination[], log: DiscoveryLogger): Promise<void> {
  return new Promise<void>((resolve) => {
    const timers = new Set<NodeJS.Timeout>();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      o.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const sendRound = (round: number) => {
      if (done) return;
      for (const d of live) {
        for (const dg of d.datagrams) {
          void sendUdp(d.channel.socket!, dg, d.port, d.host).then((err) => {
            if (err) log.debug({ interface: d.channel.iface, to: `${d.host}:${d.port}`, round, err: err.message }, 'ws-discovery: send failed');
          });
        }
      }
    };
    o.signal?.addEventListener('abort', finish, { once: true });
    if (o.signal?.aborted) return finish();
    sendRound(0);
    timers.add(setTimeout(finish, o.timeoutMs));
    let at = 0;
    let interval = UDP_MIN_DELAY + Math.random() * (UDP_MAX_DELAY - UDP_MIN_DELAY);
    for (let round = 1; round < o.resends; round++) {
      at += interval;
      interval = Math.min(interval * 2, UDP_UPPER_DELAY);
      if (at >= o.timeoutMs) break;
      timers.add(setTimeout(() => sendRound(round), at));
    }
  });
}

function ifaceNameOf(known: LocalInterface[], address: string): string {
  return known.find((i) => i.addresses.some((a) => a.address === address))?.name ?? address;
}
