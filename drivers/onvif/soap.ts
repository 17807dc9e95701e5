// SOAP 1.2 as ONVIF speaks it: building request envelopes, and reading an answer into
// either the expected response element or a typed OnvifError. Reading is strict about
// what matters (an Envelope, a Body, the response element by namespace URI + local name)
// and tolerant of what cameras vary in (prefixes, default namespaces, SOAP 1.1 envelopes
// from old firmware, faults carrying the wrong HTTP status).
import { XmlError, child, childText, parseXml, type NsMatch, type XmlElement } from '../xml/parse.js';
import { OnvifError, shortText } from './errors.js';

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tr2: 'http://www.onvif.org/ver20/media/wsdl',
  timg: 'http://www.onvif.org/ver20/imaging/wsdl',
  /** Imaging 1.0, still answered by some old firmware. */
  timg10: 'http://www.onvif.org/ver10/imaging/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  ter: 'http://www.onvif.org/ver10/error',
} as const;

const ENVELOPE_NS = [NS.soap12, NS.soap11] as const;

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A SOAP 1.2 request. `body` may use the prefixes tds, trt, timg, tt (declared here). */
export function buildEnvelope(body: string, securityHeader = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:timg="${NS.timg}" xmlns:tt="${NS.tt}">` +
    (securityHeader ? `<s:Header>${securityHeader}</s:Header>` : '') +
    `<s:Body>${body}</s:Body></s:Envelope>`
  );
}

export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export function soapContentType(actionUri: string): string {
  return `${SOAP_CONTENT_TYPE}; action="${actionUri}"`;
}

export interface SoapAnswer {
  status: number;
  body: Buffer | string;
}

export interface ExpectedResponse {
  /** Accepted namespace URI(s) of the response element. */
  ns: NsMatch;
  /** Its local name, e.g. GetProfilesResponse. */
  local: string;
}

export interface ParsedFault {
  /** Code chain as sent, outermost first: ['env:Sender', 'ter:NotAuthorized']. */
  codes: string[];
  reason: string;
}

/**
 * The response element of a SOAP answer, or an OnvifError: 'unauthorized' (HTTP 401/403,
 * or a fault with subcode ter:NotAuthorized whatever its HTTP status — cameras use 400, 401
 * and 500), 'fault' (any other fault), 'too_large', or 'protocol' (not XML, not an
 * envelope, no Body, an unexpected element, an HTTP error without a fault).
 */
export function decodeSoapResponse(answer: SoapAnswer, expect: ExpectedResponse, maxBytes: number): XmlElement {
  const status = answer.status;
  const httpStatus = { httpStatus: status };
  const authStatus = status === 401 || status === 403;
  const bodyLength = typeof answer.body === 'string' ? answer.body.length : answer.body.length;
  if (bodyLength === 0) {
    if (authStatus) throw new OnvifError('unauthorized', `HTTP ${status} without a SOAP body`, httpStatus);
    throw new OnvifError('protocol', `empty answer (HTTP ${status})`, httpStatus);
  }
  let root: XmlElement;
  try {
    root = parseXml(answer.body, { maxBytes });
  } catch (err) {
    if (authStatus) throw new OnvifError('unauthorized', `HTTP ${status}`, httpStatus);
    if (err instanceof XmlError) {
      if (err.kind === 'too_large') throw new OnvifError('too_large', err.message, httpStatus);
      throw new OnvifError('protocol', `not well-formed XML (HTTP ${status}): ${err.message}`, httpStatus);
    }
    throw err;
  }
  if (root.local !== 'Envelope' || !ENVELOPE_NS.includes(root.ns as (typeof ENVELOPE_NS)[number])) {
    if (authStatus) throw new OnvifError('unauthorized', `HTTP ${status}`, httpStatus);
    throw new OnvifError('protocol', `not a SOAP envelope (root <${shortText(root.local, 40)}>, HTTP ${status})`, httpStatus);
  }
  const envNs = root.ns;
  const body = child(root, envNs, 'Body');
  if (!body) throw new OnvifError('protocol', `SOAP envelope without a Body (HTTP ${status})`, httpStatus);
  const first = body.children[0];
  if (first && first.local === 'Fault' && first.ns === envNs) {
    const fault = parseFault(first, envNs);
    const faultCode = fault.codes.join('/');
    const details = { ...httpStatus, ...(faultCode ? { faultCode } : {}), faultReason: fault.reason };
    const what = `${faultCode || 'SOAP fault'}${fault.reason ? `: ${fault.reason}` : ''}`;
    if (authStatus || isNotAuthorized(fault)) {
      throw new OnvifError('unauthorized', `not authorized (HTTP ${status}, ${what})`, details);
    }
    throw new OnvifError('fault', `${what} (HTTP ${status})`, details);
  }
  if (authStatus) throw new OnvifError('unauthorized', `HTTP ${status}`, httpStatus);
  if (status < 200 || status >= 300) throw new OnvifError('protocol', `HTTP ${status} without a SOAP fault`, httpStatus);
  if (!first) throw new OnvifError('protocol', `empty SOAP Body, expected ${expect.local}`, httpStatus);
  const nsOk = typeof expect.ns === 'string' ? expect.ns === first.ns : expect.ns.includes(first.ns);
  if (first.local !== expect.local || !nsOk) {
    throw new OnvifError(
      'protocol',
      `expected ${expect.local}, got <${shortText(first.local, 60)}> in namespace ${shortText(first.ns, 80) || '(none)'}`,
      httpStatus,
    );
  }
  return first;
}

export function parseFault(fault: XmlElement, envNs: string): ParsedFault {
  const codes: string[] = [];
  if (envNs === NS.soap11) {
    // SOAP 1.1: unqualified faultcode/faultstring.
    const code = childText(fault, '', 'faultcode');
    if (code) codes.push(shortText(code, 80));
    return { codes, reason: shortText(childText(fault, '', 'faultstring') ?? '') };
  }
  let level = child(fault, envNs, 'Code');
  for (let depth = 0; level && depth < 8; depth++) {
    const v = childText(level, envNs, 'Value');
    if (v) codes.push(shortText(v, 80));
    level = child(level, envNs, 'Subcode');
  }
  const reasonEl = child(fault, envNs, 'Reason');
  const texts = reasonEl ? reasonEl.children.filter((c) => c.local === 'Text' && c.ns === envNs) : [];
  // Prefer English when the camera sends several languages.
  const en = texts.find((t) => t.attrs.some((a) => a.local === 'lang' && /^en/i.test(a.value)));
  const reason = (en ?? texts[0])?.text ?? '';
  return { codes, reason: shortText(reason) };
}

/** ter:NotAuthorized as a subcode (whatever the prefix), or a Sender fault that says so in words. */
export function isNotAuthorized(f: ParsedFault): boolean {
  if (f.codes.some((c) => /^(?:[^:]*:)?NotAuthori[sz]ed$/i.test(c))) return true;
  const sender = f.codes.length === 0 || /(?:^|:)(Sender|Client)$/i.test(f.codes[0] ?? '');
  return sender && /\bnot\s+authori[sz]ed\b|\bunauthori[sz]ed\b/i.test(f.reason);
}
