// WS-Discovery 2005/04 client as ONVIF Core specifies it: probe() finds devices,
// DiscoveryListener hears Hello/Bye. Never imports agent/ (drivers are leaf modules).
export { probe, type ProbeOptions, type ProbeResult } from './probe.js';
export { DiscoveryListener, type ByeEvent, type DiscoveryListenerOptions, type ListenerStats } from './listener.js';
export type { DiscoveredDevice } from './devices.js';
export { DiscoveryError, type DiscoveryErrorCode } from './errors.js';
export { listInterfaces, selectInterfaces, type LocalInterface } from './interfaces.js';
export {
  buildProbe,
  looksLikeOnvif,
  parseDiscoveryMessage,
  NS as WSD_NS,
  WSD_GROUP,
  WSD_PORT,
  type DiscoveryMessage,
  type ParseOutcome,
  type TargetInfo,
} from './messages.js';
export type { DiscoveryLogger } from './options.js';
