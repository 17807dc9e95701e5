// Fingerprints: the canonical description of a camera and of the site whose change the
// law wants reported (Liaoning Art. 12, 14 (v)). Pure. Volatile facts — uptime, clock
// offset, time stamps, session ids — are left out, so a reboot is not a change.
import type { CameraConfig } from '../config/types.js';
import type { InventoryRecord } from '../inventory/policy.js';

export interface CameraFingerprint {
  configured: { name: string; locationKind: string; locationDescription: string; purpose: string | null; record: boolean; url: string };
  identity: InventoryRecord['identity'] | null;
  network: { hostname: string | null; interfaces: { mac: string | null; ipv4: string[] }[] } | null;
  profiles:
    | {
        token: string;
        name: string;
        encoding: string | null;
        resolution: string | null;
        fps: number | null;
        bitrate: number | null;
        gop: number | null;
        streamUri: string | null;
        snapshotUri: string | null;
      }[]
    | null;
  imaging: InventoryRecord['imaging'] | null;
}

export interface SiteFacts {
  siteId: string;
  siteName: string;
  timezone: string;
  profile: string;
  retention: { floorDays: number; ceilingDays: number };
  storage: { maxBytes: number | null; filesystemGiB: number | null };
  agentVersion: string;
  /** camera id → serial (null when never interrogated): adds, removals and swaps show here. */
  cameras: Record<string, string | null>;
}

export type SiteFingerprint = SiteFacts;

/** Interrogated facts come from the latest inventory record; configured ones from the config. */
export function cameraFingerprint(camera: CameraConfig, record: InventoryRecord | null): CameraFingerprint {
  const url = redactUserInfo(camera.onvif.url);
  return {
    configured: {
      name: camera.name,
      locationKind: camera.location.kind,
      locationDescription: camera.location.description,
      purpose: camera.purpose ?? null,
      record: camera.record,
      url,
    },
    identity: record ? { ...record.identity } : null,
    network: record
      ? {
          hostname: record.hostname,
          interfaces: record.network
            .filter((n) => n.enabled)
            .map((n) => ({ mac: n.mac?.toLowerCase() ?? null, ipv4: [...n.ipv4].sort() }))
            .sort((a, b) => String(a.mac).localeCompare(String(b.mac))),
        }
      : null,
    profiles: record
      ? [...record.profiles]
          .sort((a, b) => a.token.localeCompare(b.token))
          .map((p) => ({
            token: p.token,
            name: p.name,
            encoding: p.encoder?.encoding ?? null,
            resolution: p.encoder ? `${p.encoder.width}x${p.encoder.height}` : null,
            fps: p.encoder?.fps ?? null,
            bitrate: p.encoder?.bitrate ?? null,
            gop: p.encoder?.gop ?? null,
            streamUri: p.streamUri ? stripVolatileQuery(p.streamUri) : null,
            snapshotUri: p.snapshotUri ? stripVolatileQuery(p.snapshotUri) : null,
          }))
      : null,
    imaging: record ? record.imaging : null,
  };
}

export function siteFingerprint(facts: SiteFacts): SiteFingerprint {
  const cameras = Object.fromEntries(Object.entries(facts.cameras).sort(([a], [b]) => a.localeCompare(b)));
  return { ...facts, cameras };
}

function redactUserInfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}

// Some cameras put a session or token parameter in the URIs they hand out: it changes on
// every request and means nothing about the configuration.
const VOLATILE_PARAMS = /^(session|sessionid|token|auth|nonce|t|ts|timestamp|_)$/i;
const SECRET_PARAMS = /pass|pwd|secret|key|sig|login/i;

function stripVolatileQuery(uri: string): string {
  try {
    const u = new URL(uri);
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) if (VOLATILE_PARAMS.test(key)) u.searchParams.delete(key);
    // Some firmwares put the camera's password in the query (…?user=admin&password=…). The
    // fingerprint feeds change diffs, config.changed and the register export: the value
    // never goes there (a constant keeps the fingerprint stable, so a password change is no report).
    for (const key of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(key)) u.searchParams.set(key, 'REDACTED');
    return u.href;
  } catch {
    return uri;
  }
}
