// Merging what several answers say about one device: the same camera answers every
// resend, on every interface it is reachable from, and both the typed and the untyped
// probe. One record per endpoint address, the union of what was said.
import type { TargetInfo } from './messages.js';

export interface DiscoveredDevice {
  /** wsa:EndpointReference/wsa:Address, e.g. urn:uuid:…, exactly as first sent. */
  urn: string;
  /** From XAddrs (space separated), de-duplicated, in order. */
  xaddrs: string[];
  /** QNames as sent, e.g. 'dn:NetworkVideoTransmitter'. */
  types: string[];
  /** The types as '{namespace}local' where the prefix resolved (prefixes differ by vendor). */
  expandedTypes: string[];
  scopes: string[];
  /** The highest MetadataVersion heard; null when none was a valid unsignedInt. */
  metadataVersion: number | null;
  /** Source addresses (ip:port) the answers came from. */
  from: string[];
  /** Names of the local interfaces it was heard on. */
  interfaces: string[];
}

/**
 * Bounds on what peers can make us keep during one probe: a hostile peer can send
 * thousands of 64 KiB datagrams. Real values are short (an XAddr ~50 chars, a scope
 * < 200), so longer items are dropped, and each device has a character budget:
 * at most devices × deviceChars ≈ 16 M characters in all.
 */
export const LIMITS = { devices: 1024, listItems: 256, itemChars: 2048, deviceChars: 16384 } as const;

/** Endpoint addresses compare case-insensitively when they are UUIDs (RFC 4122). */
export function deviceKey(urn: string): string {
  return /^(urn:)?uuid:/i.test(urn) ? urn.toLowerCase() : urn;
}

export function newDevice(t: TargetInfo, from: string, iface: string | null): DiscoveredDevice {
  const d: DiscoveredDevice = {
    urn: Buffer.from(t.urn, 'utf8').toString('utf8'),
    xaddrs: [],
    types: [],
    expandedTypes: [],
    scopes: [],
    metadataVersion: t.metadataVersion,
    from: [],
    interfaces: [],
  };
  mergeInto(d, t, from, iface);
  return d;
}

export function mergeInto(d: DiscoveredDevice, t: TargetInfo, from: string, iface: string | null): void {
  const budget = { left: LIMITS.deviceChars - charsOf(d) };
  union(d.from, [from], budget);
  if (iface !== null) union(d.interfaces, [iface], budget);
  union(d.xaddrs, t.xaddrs, budget);
  union(d.types, t.types, budget);
  union(d.expandedTypes, t.expandedTypes, budget);
  union(d.scopes, t.scopes, budget);
  if (t.metadataVersion !== null && (d.metadataVersion === null || t.metadataVersion > d.metadataVersion)) {
    d.metadataVersion = t.metadataVersion;
  }
}

function union(into: string[], items: readonly string[], budget: { left: number }): void {
  for (const x of items) {
    if (into.length >= LIMITS.listItems) return;
    if (x.length > LIMITS.itemChars || x.length > budget.left || into.includes(x)) continue;
    // A fresh flat copy: a substring could keep its whole 64 KiB datagram text alive.
    into.push(Buffer.from(x, 'utf8').toString('utf8'));
    budget.left -= x.length;
  }
}

function charsOf(d: DiscoveredDevice): number {
  let n = 0;
  for (const list of [d.xaddrs, d.types, d.expandedTypes, d.scopes, d.from, d.interfaces]) for (const x of list) n += x.length;
  return n;
}
