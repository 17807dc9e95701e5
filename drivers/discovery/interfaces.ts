// Which local IPv4 interfaces WS-Discovery can use. os.networkInterfaces() lists addresses
// but not link flags, so "up" and "multicast" come from /sys/class/net/<name>/flags
// (Linux). Where /sys cannot be read (other OS, a sandbox), an interface that has an
// address is taken as up, and multicast-capable unless it is the loopback.
import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { DiscoveryError } from './errors.js';

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_MULTICAST = 0x1000;

export interface LocalInterface {
  name: string;
  /** The first IPv4 address: sockets bind to it and multicast leaves through it. */
  address: string;
  netmask: string;
  /** Every IPv4 address of the interface (aliases), with netmasks. */
  addresses: { address: string; netmask: string }[];
  up: boolean;
  multicast: boolean;
  loopback: boolean;
  /** Where up/multicast came from: the kernel's flags, or the fallback guess. */
  flagsFrom: 'sysfs' | 'guess';
}

/** Injection points for tests. */
export interface InterfaceSource {
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** The flags word of an interface, or null when it cannot be read. */
  readFlags(name: string): number | null;
}

export const systemInterfaceSource: InterfaceSource = {
  networkInterfaces,
  readFlags(name) {
    // Names come from the OS, but keep them from walking the filesystem all the same.
    if (!/^[\w.:@-]{1,64}$/.test(name)) return null;
    try {
      const raw = readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim();
      const n = Number.parseInt(raw, 16);
      return Number.isFinite(n) ? n : null;
    } catch {
      return null;
    }
  },
};

/** Every interface with an IPv4 address, with its state. */
export function listInterfaces(src: InterfaceSource = systemInterfaceSource): LocalInterface[] {
  const out: LocalInterface[] = [];
  for (const [name, infos] of Object.entries(src.networkInterfaces())) {
    // Node 18.0–18.3 reported family as a number; accept both spellings.
    const v4 = (infos ?? []).filter((i) => i.family === 'IPv4' || (i.family as unknown) === 4);
    const first = v4[0];
    if (!first) continue;
    const flags = src.readFlags(name);
    const loopback = flags !== null ? (flags & IFF_LOOPBACK) !== 0 : first.internal;
    out.push({
      name,
      address: first.address,
      netmask: first.netmask,
      addresses: v4.map((i) => ({ address: i.address, netmask: i.netmask })),
      up: flags !== null ? (flags & IFF_UP) !== 0 : true,
      multicast: flags !== null ? (flags & IFF_MULTICAST) !== 0 : !first.internal,
      loopback,
      flagsFrom: flags !== null ? 'sysfs' : 'guess',
    });
  }
  return out;
}

/**
 * The interfaces to use: the named one (it must exist with IPv4 and be up; it is used
 * even without IFF_MULTICAST, since Linux loopback carries multicast to local sockets
 * without the flag and a technician who names an interface means it), else every
 * up, multicast-capable, non-loopback IPv4 interface.
 */
export function selectInterfaces(name: string | undefined, src: InterfaceSource = systemInterfaceSource): LocalInterface[] {
  const all = listInterfaces(src);
  if (name !== undefined) {
    const found = all.find((i) => i.name === name);
    if (!found) {
      const known = all.map((i) => i.name).join(', ') || 'none';
      throw new DiscoveryError('unknown_interface', `no IPv4 interface named ${name} (IPv4 interfaces: ${known})`);
    }
    if (!found.up) throw new DiscoveryError('interface_down', `interface ${name} is down`);
    return [found];
  }
  return all.filter((i) => i.up && i.multicast && !i.loopback);
}

/** The interface whose subnet holds this IPv4 address (to name where a datagram came from). */
export function interfaceForAddress(ifaces: readonly LocalInterface[], address: string): LocalInterface | undefined {
  const a = ipv4ToInt(address);
  if (a === null) return undefined;
  for (const i of ifaces) {
    for (const { address: own, netmask } of i.addresses) {
      const o = ipv4ToInt(own);
      const m = ipv4ToInt(netmask);
      if (o !== null && m !== null && ((a ^ o) & m) >>> 0 === 0) return i;
    }
  }
  return undefined;
}

export function ipv4ToInt(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}
