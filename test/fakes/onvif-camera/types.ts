// Public types of the ONVIF camera simulator.

export type Condition = 'ok' | 'blur' | 'dark' | 'bright' | 'frozen' | 'signal_loss' | 'occluded';
export const CONDITIONS: readonly Condition[] = ['ok', 'blur', 'dark', 'bright', 'frozen', 'signal_loss', 'occluded'];

export type FailureSwitch = 'offline' | 'timeout' | 'garbage_xml' | 'oversized' | 'slow_drip' | 'clock_skew';
export const FAILURE_SWITCHES: readonly FailureSwitch[] = [
  'offline',
  'timeout',
  'garbage_xml',
  'oversized',
  'slow_drip',
  'clock_skew',
];

export interface SimulatedCameraSpec {
  id: string;
  name?: string;
  condition?: Condition;
  username?: string;
  password?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
  hostname?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrate?: number;
  /** Goes offline and back periodically (for the demo). */
  flap?: { offlineMs: number; onlineMs: number };
  /** Free text for the onvif://www.onvif.org/location/ scope. */
  location?: string;
  /** Scene photograph (path); default: one of test/fixtures/scene-*.jpg chosen by id. */
  scene?: string;
  /** Fixed TCP port; default 0 (random). */
  port?: number;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {} };

export interface CameraOptions {
  /** Listen address; never 0.0.0.0. Default 127.0.0.1. */
  host?: string;
  /** HTTP status of a ter:NotAuthorized fault (cameras differ). Default 400. */
  unauthorizedStatus?: 400 | 401;
  /** Accepted distance between a UsernameToken's Created and the camera clock. Default 5 min. */
  clockToleranceMs?: number;
  /**
   * Device actions allowed without credentials. Default: ONVIF Core's PRE_AUTH class
   * (GetSystemDateAndTime, GetCapabilities, GetServices, GetServiceCapabilities,
   * GetHostname, GetWsdlUrl, GetEndpointReference). GetDeviceInformation always needs auth.
   */
  publicActions?: string[];
  /** The real clock (ms); the camera clock is this plus any clock_skew. Default Date.now. */
  now?: () => number;
  logger?: Logger;
}

/** Parameters of the failure switches (setFailure's third argument). */
export interface FailureOptions {
  /** oversized: total body size in bytes. Default 300 MB. */
  bytes?: number;
  /** slow_drip: delay between bytes. Default 1000 ms. */
  intervalMs?: number;
  /** clock_skew: camera clock minus real clock. Default +10 min. */
  skewMs?: number;
}

export interface CameraConfig {
  width: number;
  height: number;
  fps: number;
  /** kbit/s */
  bitrate: number;
  firmware: string;
  hostname: string;
  /** Bumped by every setConfig that changes something. */
  version: number;
}

export type ConfigPatch = Partial<Omit<CameraConfig, 'version'>>;
