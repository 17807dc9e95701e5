// What a SOAP service handler sees of its camera, and the handler shape.
import type { EventBroker } from './event-broker.js';
import type { SoapRequest } from './soap.js';
import type { CameraConfig, Condition } from './types.js';
import type { XmlElement } from './xml.js';

export interface Identity {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
}

export interface ServiceUrls {
  /** http://host:port (no trailing slash) */
  base: string;
  device: string;
  media: string;
  imaging: string;
  events: string;
  snapshot: string;
  host: string;
}

export interface ServiceContext {
  readonly id: string;
  readonly name: string;
  readonly urn: string;
  identity(): Identity;
  config(): CameraConfig;
  condition(): Condition;
  urls(): ServiceUrls;
  /** The camera clock (ms), clock_skew included. */
  nowMs(): number;
  scopes(): { item: string; fixed: boolean }[];
  readonly events: EventBroker;
  /** Aborted when the camera stops (ends PullMessages long polls). */
  readonly stopping: AbortSignal;
}

export type Handler = (op: XmlElement, req: SoapRequest, ctx: ServiceContext, path: string) => string | Promise<string>;

export interface SoapService {
  /** The WSDL namespace of the operations (the Body child's namespace). */
  ns: string;
  handlers: Readonly<Record<string, Handler>>;
  /** wsa:Action of replies where the WSDL names one explicitly (default `<ns>/<Op>Response`). */
  responseActions?: Readonly<Record<string, string>>;
}

/** xs:dateTime in UTC, seconds precision (what most cameras send). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
