// Listening for Hello and Bye while the agent runs: a camera that boots or joins the
// network announces itself (Hello), one that leaves politely says Bye.
//
// One socket bound to the group address on the discovery port (reuseAddr, so other
// WS-Discovery software on the box can bind it too; bound to the group rather than
// 0.0.0.0 so unicast traffic to the port is not ours to read and a local target may
// still bind its own unicast address on it), joined on each interface.
// Failures are typed: start() rejects when nothing can be heard; later socket errors
// go to 'error' listeners, or to the log when there are none (never an unhandled 'error').
import type { Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { newDevice, type DiscoveredDevice } from './devices.js';
import { DiscoveryError } from './errors.js';
import { interfaceForAddress, selectInterfaces, type LocalInterface } from './interfaces.js';
import { normalizeMessageId, parseDiscoveryMessage, WSD_GROUP, WSD_PORT } from './messages.js';
import { checkInt, checkInterfaceName, checkLogger, checkMulticastAddress, checkPort, type DiscoveryLogger } from './options.js';
import { closeUdpSocket, openUdpSocket } from './sockets.js';

export interface DiscoveryListenerOptions {
  /** Only this interface; default: all up, multicast-capable IPv4 ones. */
  interface?: string;
  /** Default 3702. */
  port?: number;
  /** Default 239.255.255.250. */
  multicastAddress?: string;
  /** Default 65536. */
  maxDatagramBytes?: number;
  logger?: DiscoveryLogger;
}

export interface ByeEvent {
  urn: string;
  /** Source address (ip:port) of the Bye. */
  from: string;
}

export interface ListenerStats {
  hello: number;
  bye: number;
  /** Retransmissions recognised by MessageID and not emitted again. */
  duplicates: number;
  dropped: { oversized: number; malformed: number; unrelated: number };
}

/** SOAP-over-UDP repeats each multicast message; remember enough MessageIDs to drop repeats. */
const SEEN_IDS = 512;

export class DiscoveryListener extends EventEmitter {
  private readonly opts: Required<Omit<DiscoveryListenerOptions, 'interface' | 'logger'>> & { interface: string | undefined };
  private readonly log: DiscoveryLogger;
  private socket: Socket | null = null;
  private joined: LocalInterface[] = [];
  private starting: Promise<void> | null = null;
  private readonly seen = new Set<string>();
  private readonly counters: ListenerStats = { hello: 0, bye: 0, duplicates: 0, dropped: { oversized: 0, malformed: 0, unrelated: 0 } };

  constructor(opts: DiscoveryListenerOptions = {}) {
    super();
    this.opts = {
      interface: checkInterfaceName(opts.interface),
      port: opts.port === undefined ? WSD_PORT : checkPort('port', opts.port),
      multicastAddress: opts.multicastAddress === undefined ? WSD_GROUP : checkMulticastAddress(opts.multicastAddress),
      maxDatagramBytes: opts.maxDatagramBytes === undefined ? 65536 : checkInt('maxDatagramBytes', opts.maxDatagramBytes, 512, 65536),
    };
    this.log = checkLogger(opts.logger);
  }

  override on(event: 'hello', l: (d: DiscoveredDevice) => void): this;
  override on(event: 'bye', l: (d: ByeEvent) => void): this;
  override on(event: 'error', l: (e: Error) => void): this;
  override on(event: string | symbol, l: (...args: any[]) => void): this {
    return super.on(event, l);
  }

  /** The interfaces the group was joined on (after start()). */
  get interfaces(): string[] {
    return this.joined.map((i) => i.name);
  }

  get stats(): ListenerStats {
    return { ...this.counters, dropped: { ...this.counters.dropped } };
  }

  /** Rejects with a DiscoveryError (no_interface, unknown_interface, bind_failed, multicast_unavailable). */
  start(): Promise<void> {
    if (this.socket) return Promise.resolve();
    this.starting ??= this.open().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => {});
    const s = this.socket;
    this.socket = null;
    if (!s) return;
    for (const i of this.joined) {
      try {
        s.dropMembership(this.opts.multicastAddress, i.address);
      } catch {
        // already gone with the interface; closing releases it anyway
      }
    }
    this.joined = [];
    await closeUdpSocket(s);
  }

  private async open(): Promise<void> {
    const { multicastAddress: group, port } = this.opts;
    const ifaces = selectInterfaces(this.opts.interface);
    if (ifaces.length === 0) throw new DiscoveryError('no_interface', 'no up, multicast-capable IPv4 interface to listen on');
    const s = await openUdpSocket(group, port, {
      reuseAddr: true,
      onError: (err) => this.reportError(new DiscoveryError('socket_error', `ws-discovery listener socket: ${err.message}`, { cause: err })),
    });
    const joined: LocalInterface[] = [];
    const failures: string[] = [];
    for (const i of ifaces) {
      try {
        s.addMembership(group, i.address);
        joined.push(i);
      } catch (err) {
        failures.push(`${i.name}: ${(err as Error).message}`);
      }
    }
    if (joined.length === 0) {
      await closeUdpSocket(s);
      throw new DiscoveryError('multicast_unavailable', `cannot join ${group} on any interface (${failures.join('; ')})`);
    }
    if (failures.length > 0) {
      this.reportError(new DiscoveryError('multicast_unavailable', `cannot join ${group} on ${failures.join('; ')}`));
    }
    s.on('message', (msg, rinfo) => {
      try {
        this.onMessage(msg, rinfo.address, rinfo.port);
      } catch (err) {
        // A throwing 'hello'/'bye' listener must not take the socket down.
        this.log.warn({ err: (err as Error)?.message ?? String(err) }, 'ws-discovery: announcement handler threw');
      }
    });
    this.socket = s;
    this.joined = joined;
    this.log.debug({ group, port, interfaces: this.interfaces }, 'ws-discovery: listening for Hello/Bye');
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    const from = `${address}:${port}`;
    const parsed = parseDiscoveryMessage(msg, { maxBytes: this.opts.maxDatagramBytes });
    if (!parsed.ok) {
      this.counters.dropped[parsed.reason] += 1;
      this.log.debug({ from, reason: parsed.reason, detail: parsed.detail }, 'ws-discovery: announcement dropped');
      return;
    }
    const m = parsed.message;
    if (m.kind !== 'hello' && m.kind !== 'bye') {
      // Probes of other clients, ProbeMatches sent to the group by odd devices, faults.
      this.counters.dropped.unrelated += 1;
      return;
    }
    if (m.messageId !== null && this.isRepeat(m.messageId)) {
      this.counters.duplicates += 1;
      return;
    }
    if (m.kind === 'hello') {
      this.counters.hello += 1;
      const iface = interfaceForAddress(this.joined, address) ?? (this.joined.length === 1 ? this.joined[0] : undefined);
      const d = newDevice(m.target, from, iface?.name ?? null);
      this.log.debug({ urn: d.urn, from, xaddrs: d.xaddrs }, 'ws-discovery: Hello');
      this.emit('hello', d);
    } else {
      this.counters.bye += 1;
      this.log.debug({ urn: m.urn, from }, 'ws-discovery: Bye');
      this.emit('bye', { urn: m.urn, from } satisfies ByeEvent);
    }
  }

  private isRepeat(messageId: string): boolean {
    // Absurdly long ids are not remembered (they would make the memory of ids costly).
    if (messageId.length > 256) return false;
    const id = Buffer.from(normalizeMessageId(messageId), 'utf8').toString('utf8');
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return false;
  }

  private reportError(err: DiscoveryError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.log.warn({ code: err.code, err: err.message }, 'ws-discovery listener error');
  }
}
