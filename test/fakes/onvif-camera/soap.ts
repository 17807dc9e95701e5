// SOAP 1.2 envelopes and faults as ONVIF devices send them (ONVIF Core 5.11 faults),
// and reading a request: its envelope, header, and the action (first Body child).
import { XmlError, child, esc, parseXml, type XmlElement } from './xml.js';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  tt: 'http://www.onvif.org/ver10/schema',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  timg: 'http://www.onvif.org/ver20/imaging/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wstop: 'http://docs.oasis-open.org/wsn/t-1',
  tns1: 'http://www.onvif.org/ver10/topics',
  ter: 'http://www.onvif.org/ver10/error',
  xs: 'http://www.w3.org/2001/XMLSchema',
} as const;

/** The prefixes every response declares on its Envelope, so bodies can use them freely. */
const ENVELOPE_XMLNS = Object.entries(NS)
  .map(([p, uri]) => `xmlns:${p === 'soap' ? 'env' : p}="${uri}"`)
  .join(' ');

export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export function envelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<env:Envelope ${ENVELOPE_XMLNS}>` +
    (header ? `<env:Header>${header}</env:Header>` : '') +
    `<env:Body>${body}</env:Body></env:Envelope>`
  );
}

export interface Fault {
  /** env:Sender (the request is wrong) or env:Receiver (the device cannot do it). */
  code: 'Sender' | 'Receiver' | 'VersionMismatch';
  /** ter: subcodes, outermost first, e.g. ['NotAuthorized'] or ['InvalidArgVal', 'NoProfile']. */
  subcodes: string[];
  reason: string;
  /** HTTP status; SOAP 1.2 HTTP binding: Sender → 400, Receiver → 500. */
  status?: number;
}

export function faultXml(f: Fault): string {
  let sub = '';
  for (const s of [...f.subcodes].reverse()) {
    sub = `<env:Subcode><env:Value>ter:${s}</env:Value>${sub}</env:Subcode>`;
  }
  return envelope(
    `<env:Fault><env:Code><env:Value>env:${f.code}</env:Value>${sub}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${esc(f.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

export function faultStatus(f: Fault): number {
  return f.status ?? (f.code === 'Sender' ? 400 : 500);
}

/** A fault thrown by a handler; the HTTP layer turns it into a response. */
export class SoapFault extends Error {
  constructor(readonly fault: Fault) {
    super(fault.reason);
  }
}

export const faults = {
  notAuthorized: (): Fault => ({ code: 'Sender', subcodes: ['NotAuthorized'], reason: 'Sender not Authorized' }),
  actionNotSupported: (): Fault => ({
    code: 'Receiver',
    subcodes: ['ActionNotSupported'],
    reason: 'Optional Action Not Implemented',
  }),
  wellFormed: (detail: string): Fault => ({
    code: 'Sender',
    subcodes: ['WellFormed'],
    reason: `Well-formed Error: ${detail}`,
  }),
  invalidArg: (sub: string, reason: string): Fault => ({ code: 'Sender', subcodes: ['InvalidArgVal', sub], reason }),
};

export interface SoapRequest {
  envelope: XmlElement;
  header: XmlElement | undefined;
  /** The operation element: the first child of env:Body. */
  operation: XmlElement;
  /** The action URI from the Content-Type `action` parameter, if any. */
  contentTypeAction: string | undefined;
}

/** Parse a request body; throws SoapFault (ter:WellFormed) when it is not a SOAP 1.2 envelope. */
export function parseSoapRequest(body: string, contentType: string | undefined): SoapRequest {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (err) {
    throw new SoapFault(faults.wellFormed(err instanceof XmlError ? err.message : 'unreadable body'));
  }
  if (root.local !== 'Envelope') throw new SoapFault(faults.wellFormed('root element is not an Envelope'));
  if (root.ns !== NS.soap) {
    // A SOAP 1.1 (or other) envelope: SOAP 1.2 part 1, 5.4.7 says env:VersionMismatch.
    throw new SoapFault({ code: 'VersionMismatch', subcodes: [], reason: 'Wrong SOAP Envelope namespace' });
  }
  const bodyEl = child(root, NS.soap, 'Body');
  const operation = bodyEl?.children[0];
  if (!operation) throw new SoapFault(faults.wellFormed('empty or missing env:Body'));
  return {
    envelope: root,
    header: child(root, NS.soap, 'Header'),
    operation,
    contentTypeAction: actionFromContentType(contentType),
  };
}

/** `application/soap+xml; charset=utf-8; action="http://…/GetProfiles"` → the action URI. */
export function actionFromContentType(contentType: string | undefined): string | undefined {
  const m = /;\s*action\s*=\s*"?([^";]+)"?/i.exec(contentType ?? '');
  return m?.[1];
}
