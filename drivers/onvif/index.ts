// ONVIF client driver: Device, Media 1.0 (Profile S), Imaging and Events (PullPoint) services of IP cameras.
//
// Raw SOAP 1.2 over node:http/https, not the npm `onvif` package: that package is weak
// exactly where the agent needs strength (no total deadline, no response size cap, type
// coercion of identity strings such as FirmwareVersion "5.50" → 5.5, connect() that
// succeeds with a wrong password, a clock offset measured once and never refreshed).
// See README.md beside this file.
export { OnvifClient, DEFAULTS } from './client.js';
export { OnvifError, isOnvifError, ONVIF_ERROR_CODES, type OnvifErrorCode } from './errors.js';
export { redactUrl } from './url.js';
export { DEFAULT_SNAPSHOT_MAX_BYTES } from './snapshot.js';
export {
  EVENTS_DEFAULTS,
  isNotSupported,
  isSubscriptionGone,
  type CallOpts,
  type OnvifNotification,
  type PullOptions,
  type PullPointOptions,
  type PullPointSubscription,
} from './events.js';
export { ONVIF_TOPICS_NS, onvifTopic } from './parse-events.js';
export {
  WATCH_DEFAULTS,
  watchEvents,
  type WatchEventsOptions,
  type WatchResult,
  type WatchState,
  type WatchStateInfo,
} from './event-watcher.js';
export type {
  DeviceIdentity,
  DeviceReport,
  DeviceTime,
  ImagingSettings,
  MediaProfile,
  NetworkInterfaceInfo,
  OnvifClientOptions,
  OnvifLogger,
  PartialFailure,
  ServiceAddresses,
  Snapshot,
  VideoEncoder,
} from './types.js';
