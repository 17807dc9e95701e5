// Public shapes of the ONVIF driver.
import type { OnvifErrorCode } from './errors.js';

/** What the driver logs through (pino's Logger fits). Never given passwords. */
export interface OnvifLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface OnvifClientOptions {
  /** Device service XAddr, e.g. http://192.0.2.10/onvif/device_service (user:pass@ accepted). */
  url: string;
  username?: string;
  password?: string;
  /** Total deadline of each HTTP exchange, first byte out to last byte in. Default 5000. */
  timeoutMs?: number;
  /** Size cap of a SOAP answer. Default 2 MiB. */
  maxResponseBytes?: number;
  /** Injected clock (ms since epoch). Default Date.now. */
  now?: () => number;
  logger?: OnvifLogger;
  /**
   * After an 'unauthorized' answer, the device clock is re-read and the call retried once
   * when the measured offset is older than this. Default 5 min.
   */
  resyncAfterMs?: number;
  /**
   * Use the address we reached the device at for service XAddrs that name another host
   * (NAT, port forward, wrong self-reported IP). Default true.
   */
  rewriteXAddrs?: boolean;
  /** Verify TLS certificates of https:// devices. Default false (cameras ship self-signed ones). */
  verifyTls?: boolean;
}

export interface DeviceIdentity {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
}

export interface DeviceTime {
  /** The device's UTC clock, ISO 8601. */
  deviceUtc: string;
  /** Device clock minus local clock, ms. */
  offsetMs: number;
  /** DateTimeType NTP → true, Manual → false, absent → null. */
  ntp: boolean | null;
  /** POSIX TZ string as the device reports it (e.g. CST-8), or null. */
  timezone: string | null;
}

export interface NetworkInterfaceInfo {
  token: string;
  name: string | null;
  enabled: boolean;
  mac: string | null;
  /** IPv4 addresses (manual, DHCP-assigned, link-local), without prefix length. */
  ipv4: string[];
  dhcp: boolean | null;
}

export interface VideoEncoder {
  token: string;
  /** H264, H265, JPEG, MPEG4… as sent. */
  encoding: string;
  width: number;
  height: number;
  fps: number | null;
  /** kbit/s, as ONVIF's BitrateLimit. */
  bitrate: number | null;
  gop: number | null;
  quality: number | null;
  profile: string | null;
}

export interface MediaProfile {
  token: string;
  name: string;
  videoSourceToken: string | null;
  encoder: VideoEncoder | null;
  streamUri: string | null;
  snapshotUri: string | null;
}

export type ImagingSettings = Record<string, string | number | boolean>;

export interface ServiceAddresses {
  media: string | null;
  imaging: string | null;
  events: string | null;
}

export interface PartialFailure {
  part: string;
  code: OnvifErrorCode;
  message: string;
}

/** One full interrogation of a device. */
export interface DeviceReport {
  /** The device service URL, credentials removed. */
  xaddr: string;
  identity: DeviceIdentity;
  time: DeviceTime;
  hostname: string | null;
  network: NetworkInterfaceInfo[];
  scopes: string[];
  profiles: MediaProfile[];
  /** Per video source token: flattened imaging settings (Brightness, Exposure.Mode, …). */
  imaging: Record<string, ImagingSettings>;
  services: ServiceAddresses;
  /** Parts that failed without failing the whole (e.g. imaging not supported). */
  partial: PartialFailure[];
}

export interface Snapshot {
  contentType: string;
  body: Buffer;
}
