// The ONVIF camera simulator: SOAP 1.2 cameras on 127.0.0.1 plus a WS-Discovery responder.
export { SimulatedCamera } from './camera.js';
export { cameraUrn } from './identity.js';
export { startFleet, type Fleet, type FleetOptions } from './fleet.js';
export { DiscoveryResponder, WSD, type DiscoveryOptions, type DiscoveryTarget } from './discovery-responder.js';
export {
  CONDITIONS,
  FAILURE_SWITCHES,
  type CameraConfig,
  type CameraOptions,
  type Condition,
  type ConfigPatch,
  type FailureOptions,
  type FailureSwitch,
  type Logger,
  type SimulatedCameraSpec,
} from './types.js';
