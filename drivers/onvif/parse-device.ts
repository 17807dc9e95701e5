// Device service answers (ONVIF Core, ver10/device/wsdl + ver10/schema) → plain values.
// Each takes the response element that decodeSoapResponse returned and either returns a
// value or throws OnvifError('protocol'); nothing else escapes.
import { attr, child, childText, children, path, type XmlElement } from '../xml/parse.js';
import { OnvifError } from './errors.js';
import { boundedText, optionalText, requiredText, xsBoolean, xsCount } from './parse-values.js';
import { NS } from './soap.js';
import type { DeviceIdentity, DeviceTime, NetworkInterfaceInfo } from './types.js';

const { tds, tt } = NS;

export const DEVICE_RESPONSES = {
  GetDeviceInformation: { ns: tds, local: 'GetDeviceInformationResponse' },
  GetSystemDateAndTime: { ns: tds, local: 'GetSystemDateAndTimeResponse' },
  GetCapabilities: { ns: tds, local: 'GetCapabilitiesResponse' },
  GetServices: { ns: tds, local: 'GetServicesResponse' },
  GetScopes: { ns: tds, local: 'GetScopesResponse' },
  GetHostname: { ns: tds, local: 'GetHostnameResponse' },
  GetNetworkInterfaces: { ns: tds, local: 'GetNetworkInterfacesResponse' },
} as const;

/**
 * Identity strings exactly as sent, trimmed at the ends only: "5.50" stays "5.50" and
 * "00012345678901234567" keeps every digit (the npm onvif package coerced both).
 * HardwareId is tolerated missing (some firmware omits it); the rest is required.
 */
export function parseDeviceInformation(el: XmlElement): DeviceIdentity {
  const what = 'GetDeviceInformationResponse';
  return {
    manufacturer: requiredText(el, tds, 'Manufacturer', what),
    model: requiredText(el, tds, 'Model', what),
    firmware: requiredText(el, tds, 'FirmwareVersion', what),
    serial: requiredText(el, tds, 'SerialNumber', what),
    hardwareId: childText(el, tds, 'HardwareId') ?? '',
  };
}

/**
 * The device clock. UTCDateTime is preferred; without it (seen on cheap firmware) the
 * LocalDateTime is converted with the POSIX TZ offset when that can be read.
 * `localMidMs` is our clock halfway through the exchange. Devices send whole seconds
 * (truncated), so half a second is added to centre the estimate.
 */
export function parseSystemDateAndTime(el: XmlElement, localMidMs: number): DeviceTime {
  const sdt = child(el, tds, 'SystemDateAndTime');
  if (!sdt) throw new OnvifError('protocol', 'GetSystemDateAndTimeResponse: missing SystemDateAndTime');
  const type = childText(sdt, tt, 'DateTimeType');
  const tz = optionalText(child(sdt, tt, 'TimeZone'), tt, 'TZ');
  let deviceMs: number | null = null;
  const utc = child(sdt, tt, 'UTCDateTime');
  if (utc) deviceMs = dateTimeMs(utc);
  else {
    const local = child(sdt, tt, 'LocalDateTime');
    const tzOffset = tz ? posixTzOffsetMs(tz) : null;
    if (local && tzOffset !== null) deviceMs = dateTimeMs(local) - tzOffset;
  }
  if (deviceMs === null) throw new OnvifError('protocol', 'GetSystemDateAndTimeResponse: no usable UTCDateTime');
  const at = deviceMs + 500;
  return {
    deviceUtc: new Date(deviceMs).toISOString(),
    offsetMs: at - localMidMs,
    ntp: type === 'NTP' ? true : type === 'Manual' ? false : null,
    timezone: tz ? boundedText(tz, 256) : null,
  };
}

/** tt:DateTime → ms since epoch; protocol error for out-of-range parts or impossible dates. */
function dateTimeMs(dt: XmlElement): number {
  const time = child(dt, tt, 'Time');
  const date = child(dt, tt, 'Date');
  const n = (el: XmlElement | undefined, local: string, max: number) => {
    const v = xsCount(childText(el, tt, local), max);
    if (v === null) throw new OnvifError('protocol', `GetSystemDateAndTimeResponse: bad or missing ${local}`);
    return v;
  };
  const year = n(date, 'Year', 9999);
  const month = n(date, 'Month', 12);
  const day = n(date, 'Day', 31);
  const hour = n(time, 'Hour', 23);
  const minute = n(time, 'Minute', 59);
  const second = Math.min(n(time, 'Second', 60), 59); // a leap second reads as :59
  if (month < 1 || day < 1 || year < 1970) throw new OnvifError('protocol', 'GetSystemDateAndTimeResponse: impossible date');
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (d.getUTCDate() !== day) throw new OnvifError('protocol', 'GetSystemDateAndTimeResponse: impossible date');
  return ms;
}

/**
 * Offset of a POSIX TZ string from UTC in ms ("CST-8" → +8 h: POSIX signs are inverted).
 * Only the standard-time part is read; null when it cannot be.
 */
export function posixTzOffsetMs(tz: string): number | null {
  const m = /^\s*(?:[A-Za-z]{3,}|<[^>]{1,16}>)([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?/.exec(tz);
  if (!m) return null;
  const h = Number(m[2]);
  const min = Number(m[3] ?? 0);
  if (h > 24 || min > 59) return null;
  const sign = m[1] === '-' ? 1 : -1;
  return sign * (h * 3_600_000 + min * 60_000);
}

export interface ReportedXAddrs {
  media: string | null;
  imaging: string | null;
  events: string | null;
}

/** XAddrs from GetCapabilities(All): Capabilities/{Media,Imaging,Events}/XAddr. */
export function parseCapabilities(el: XmlElement): ReportedXAddrs {
  const caps = child(el, tds, 'Capabilities');
  if (!caps) throw new OnvifError('protocol', 'GetCapabilitiesResponse: missing Capabilities');
  const x = (local: string) => optionalText(child(caps, tt, local), tt, 'XAddr');
  return { media: x('Media'), imaging: x('Imaging'), events: x('Events') };
}

/** XAddrs from GetServices: the Service whose Namespace is Media 1.0, Imaging 2.0, Events. */
export function parseServices(el: XmlElement): ReportedXAddrs {
  const out: ReportedXAddrs = { media: null, imaging: null, events: null };
  const services = children(el, tds, 'Service');
  if (services.length === 0) throw new OnvifError('protocol', 'GetServicesResponse: no Service');
  for (const s of services) {
    const ns = childText(s, tds, 'Namespace');
    const xaddr = optionalText(s, tds, 'XAddr');
    if (!xaddr) continue;
    if (ns === NS.trt) out.media ??= xaddr;
    else if (ns === NS.timg || ns === NS.timg10) out.imaging ??= xaddr;
    else if (ns === NS.tev) out.events ??= xaddr;
  }
  return out;
}

export function parseScopes(el: XmlElement): string[] {
  const out: string[] = [];
  for (const s of children(el, tds, 'Scopes')) {
    const item = childText(s, tt, 'ScopeItem');
    if (item) out.push(item);
  }
  return out;
}

export function parseHostname(el: XmlElement): string | null {
  const info = child(el, tds, 'HostnameInformation');
  if (!info) throw new OnvifError('protocol', 'GetHostnameResponse: missing HostnameInformation');
  return optionalText(info, tt, 'Name');
}

export function parseNetworkInterfaces(el: XmlElement): NetworkInterfaceInfo[] {
  return children(el, tds, 'NetworkInterfaces').map((ni) => {
    const token = attr(ni, 'token');
    if (!token) throw new OnvifError('protocol', 'GetNetworkInterfacesResponse: interface without token');
    const info = child(ni, tt, 'Info');
    const cfg = path(ni, [tt, 'IPv4'], [tt, 'Config']);
    const ipv4: string[] = [];
    const add = (parent: XmlElement | undefined) => {
      const a = childText(parent, tt, 'Address');
      if (a && !ipv4.includes(a) && ipv4.length < 64) ipv4.push(boundedText(a, 64));
    };
    for (const m of children(cfg, tt, 'Manual')) add(m);
    add(child(cfg, tt, 'FromDHCP'));
    add(child(cfg, tt, 'LinkLocal'));
    return {
      token: boundedText(token, 256),
      name: optionalText(info, tt, 'Name'),
      enabled: xsBoolean(childText(ni, tt, 'Enabled')) ?? false,
      mac: optionalText(info, tt, 'HwAddress'),
      ipv4,
      dhcp: xsBoolean(childText(cfg, tt, 'DHCP')),
    };
  });
}
