// What the inventory service needs from the outside, as structural types: drivers/onvif
// and drivers/discovery satisfy them, and tests can hand in whole peers (the simulator).
import type { InventoryRecord } from './policy.js';

export type CameraErrorCode = 'unreachable' | 'timeout' | 'unauthorized' | 'protocol' | 'too_large' | 'fault';

/** A full interrogation of one device (drivers/onvif DeviceReport). */
export interface InterrogationReport {
  xaddr: string;
  identity: InventoryRecord['identity'];
  time: { offsetMs: number };
  hostname: string | null;
  network: { name: string | null; enabled: boolean; mac: string | null; ipv4: string[]; dhcp: boolean | null }[];
  scopes: string[];
  profiles: {
    token: string;
    name: string;
    videoSourceToken: string | null;
    encoder: {
      encoding: string;
      width: number;
      height: number;
      fps: number | null;
      bitrate: number | null;
      gop: number | null;
      quality: number | null;
      profile: string | null;
    } | null;
    streamUri: string | null;
    snapshotUri: string | null;
  }[];
  imaging: Record<string, Record<string, string | number | boolean>>;
  partial: { part: string; code: string; message: string }[];
}

export interface CameraInterrogator {
  interrogate(): Promise<InterrogationReport>;
}

/** A device heard by WS-Discovery (drivers/discovery DiscoveredDevice). */
export interface HeardDevice {
  urn: string;
  xaddrs: string[];
  scopes: string[];
  types: string[];
}

/** Error shape of drivers/onvif (OnvifError): a code the policy can act on. */
export function cameraErrorCode(err: unknown): CameraErrorCode {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : null;
  switch (code) {
    case 'unreachable':
    case 'timeout':
    case 'unauthorized':
    case 'protocol':
    case 'too_large':
    case 'fault':
      return code;
    default:
      return 'protocol';
  }
}

/** The record kept in history: everything but what changes by itself (clock offset, partial-failure notes). */
export function recordFromReport(r: InterrogationReport): InventoryRecord {
  return {
    identity: { ...r.identity },
    hostname: r.hostname,
    network: r.network.map((n) => ({ name: n.name, mac: n.mac, ipv4: [...n.ipv4], dhcp: n.dhcp, enabled: n.enabled })),
    scopes: [...r.scopes],
    profiles: r.profiles.map((p) => ({
      token: p.token,
      name: p.name,
      videoSourceToken: p.videoSourceToken,
      encoder: p.encoder
        ? {
            encoding: p.encoder.encoding,
            width: p.encoder.width,
            height: p.encoder.height,
            fps: p.encoder.fps,
            bitrate: p.encoder.bitrate,
            gop: p.encoder.gop,
            quality: p.encoder.quality,
            profile: p.encoder.profile,
          }
        : null,
      streamUri: p.streamUri,
      snapshotUri: p.snapshotUri,
    })),
    imaging: r.imaging,
  };
}
