// Inventory decisions, pure: no I/O, no clock (time comes in as arguments).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/** What an interrogation learned about a camera, minus everything that changes by itself. */
export interface InventoryRecord {
  identity: { manufacturer: string; model: string; firmware: string; serial: string; hardwareId: string };
  hostname: string | null;
  network: { name: string | null; mac: string | null; ipv4: string[]; dhcp: boolean | null; enabled: boolean }[];
  scopes: string[];
  profiles: {
    token: string;
    name: string;
    videoSourceToken: string | null;
    encoder: { encoding: string; width: number; height: number; fps: number | null; bitrate: number | null; gop: number | null; quality: number | null; profile: string | null } | null;
    streamUri: string | null;
    snapshotUri: string | null;
  }[];
  imaging: Record<string, Record<string, string | number | boolean>>;
}

/**
 * Canonical, ordered form of a record: lists sorted where their order carries no meaning
 * (scopes, interfaces, addresses), so the same camera always hashes the same.
 */
export function canonicalRecord(r: InventoryRecord): InventoryRecord {
  return {
    identity: { ...r.identity },
    hostname: r.hostname,
    network: [...r.network]
      .map((n) => ({ ...n, ipv4: [...n.ipv4].sort() }))
      .sort((a, b) => `${a.mac}|${a.name}`.localeCompare(`${b.mac}|${b.name}`)),
    scopes: [...new Set(r.scopes)].sort(),
    profiles: [...r.profiles].sort((a, b) => a.token.localeCompare(b.token)),
    imaging: r.imaging,
  };
}

/** sha256 of the RFC 8785 canonical JSON of the canonical record. */
export function recordHash(r: InventoryRecord): string {
  return createHash('sha256').update(canonicalJson(canonicalRecord(r))).digest('hex');
}

/**
 * The inventory's own view of a camera between interrogations: it paces re-checks and
 * tells a refused password apart. Presence as the platform sees it (camera.offline /
 * camera.online, the uptime ledger) belongs to agent/uptime, which hears these results.
 */
export interface PresenceState {
  online: boolean | null; // null = not yet known
  consecutiveFailures: number;
  authFailed: boolean;
}

export type InterrogationOutcome =
  | { ok: true }
  | { ok: false; code: 'unreachable' | 'timeout' | 'unauthorized' | 'protocol' | 'too_large' | 'fault' };

export interface InterrogationDecision {
  next: PresenceState;
  /** Events to raise for this result (at most one per kind). */
  events: ('camera.auth_failed' | 'camera.auth_restored')[];
}

/** A camera that refuses our password or sends a SOAP fault answered: it is reachable. */
export function answered(outcome: InterrogationOutcome): boolean {
  return outcome.ok || outcome.code === 'unauthorized' || outcome.code === 'fault';
}

/**
 * After `offlineAfter` consecutive failures the inventory counts the camera as failing
 * (re-checked at the monitor pace); the first answer ends that. A refused password is an
 * authentication problem for the technician, not an outage: raised once, cleared once.
 */
export function decideInterrogation(prev: PresenceState, outcome: InterrogationOutcome, offlineAfter: number): InterrogationDecision {
  if (answered(outcome)) {
    const authFailed = !outcome.ok && outcome.code === 'unauthorized';
    const events: InterrogationDecision['events'] = [];
    if (authFailed && !prev.authFailed) events.push('camera.auth_failed');
    if (!authFailed && prev.authFailed) events.push('camera.auth_restored');
    return { next: { online: true, consecutiveFailures: 0, authFailed }, events };
  }
  const failures = prev.consecutiveFailures + 1;
  const online = failures >= offlineAfter ? false : prev.online;
  return { next: { ...prev, online, consecutiveFailures: failures }, events: [] };
}

/** When to interrogate a camera next: failing cameras are re-checked at the monitor pace. */
export function nextInterrogationDelayMs(state: PresenceState, intervals: { inventoryMs: number; retryMs: number }): number {
  return state.online === false || state.consecutiveFailures > 0 ? intervals.retryMs : intervals.inventoryMs;
}

/** A device found by WS-Discovery. */
export interface SeenDevice {
  urn: string;
  xaddrs: string[];
}

/** A configured camera, as far as matching it to a discovered device needs. */
export interface ConfiguredCamera {
  id: string;
  url: string;
  /** The device URN learned from an earlier match, if any. */
  urn: string | null;
}

function endpoint(url: string): string | null {
  try {
    const u = new URL(url);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return `${u.hostname.toLowerCase()}:${port}`;
  } catch {
    return null;
  }
}

/**
 * Matches discovered devices to configured cameras: by the URN learned before, else by
 * the host:port of a device service address. Returns the camera id per URN, or null for
 * a device nobody configured (a camera the operator has not filed — worth reporting).
 */
export function matchDevices(devices: SeenDevice[], cameras: ConfiguredCamera[]): Map<string, string | null> {
  const byUrn = new Map(cameras.filter((c) => c.urn).map((c) => [c.urn as string, c.id]));
  const byEndpoint = new Map<string, string>();
  for (const c of cameras) {
    const e = endpoint(c.url);
    if (e) byEndpoint.set(e, c.id);
  }
  const out = new Map<string, string | null>();
  for (const d of devices) {
    let id = byUrn.get(d.urn) ?? null;
    if (!id) {
      for (const x of d.xaddrs) {
        const e = endpoint(x);
        const hit = e ? byEndpoint.get(e) : undefined;
        if (hit) {
          id = hit;
          break;
        }
      }
    }
    out.set(d.urn, id);
  }
  return out;
}

/** Field-level differences between two records, for the log and the change report. */
export function diffRecords(before: unknown, after: unknown, path = ''): { path: string; before: unknown; after: unknown }[] {
  if (Object.is(before, after)) return [];
  const bothObjects = typeof before === 'object' && before !== null && typeof after === 'object' && after !== null;
  if (!bothObjects || Array.isArray(before) !== Array.isArray(after)) return [{ path: path || '.', before, after }];
  const keys = new Set([...Object.keys(before as object), ...Object.keys(after as object)]);
  const out: { path: string; before: unknown; after: unknown }[] = [];
  for (const k of [...keys].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const sub = Array.isArray(before) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    out.push(...diffRecords((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], sub));
  }
  return out;
}

// Words that name a place where cameras are forbidden (Liaoning Art. 9, Datong Art. 9), in
// English and Chinese, as they appear in ONVIF name/location scopes.
const PROHIBITED_WORDS = [
  'bathroom', 'toilet', 'restroom', 'washroom', 'lavatory', 'shower', 'changing room', 'changing-room', 'changingroom',
  'locker room', 'dressing room', 'fitting room', 'dormitory', 'dorm', 'hotel room', 'guest room', 'guestroom', 'bedroom', 'residence',
  '卫生间', '厕所', '洗手间', '盥洗室', '浴室', '淋浴', '更衣室', '试衣间', '宿舍', '客房', '卧室', '住宅', '住户',
];

/**
 * A discovered device whose name or location scope names a prohibited place: flagged for
 * the operator to confirm (a scope is free text someone typed; it proves nothing alone).
 */
export function prohibitedPlaceHint(scopes: readonly string[]): { scope: string; word: string } | null {
  for (const scope of scopes) {
    const m = /^onvif:\/\/www\.onvif\.org\/(name|location)\/(.*)$/i.exec(scope);
    if (!m) continue;
    let text: string;
    try {
      text = decodeURIComponent((m[2] ?? '').replace(/\+/g, ' '));
    } catch {
      text = m[2] ?? '';
    }
    const lower = text.toLowerCase().replace(/[_/]+/g, ' ');
    const word = PROHIBITED_WORDS.find((w) => (/^[a-z -]+$/.test(w) ? new RegExp(`\\b${w}s?\\b`).test(lower) : lower.includes(w)));
    if (word) return { scope, word };
  }
  return null;
}
