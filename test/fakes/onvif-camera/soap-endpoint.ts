// One SOAP request in, one reply out: parse the envelope, find the operation by the
// namespace and local name of the first Body child, enforce authentication unless the
// operation is public, run the handler, and wrap the result (or fault) in an envelope.
import type { IncomingMessage } from 'node:http';
import type { ServiceContext, SoapService } from './context.js';
import type { Headers } from './responses.js';
import {
  NS,
  SOAP_CONTENT_TYPE,
  SoapFault,
  envelope,
  faultStatus,
  faultXml,
  faults,
  parseSoapRequest,
  type Fault,
  type SoapRequest,
} from './soap.js';
import type { Logger } from './types.js';
import { child, esc, textOf } from './xml.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
}

export type AuthResult = { ok: true } | { ok: false; status: number; headers: Headers };

export interface SoapEndpoint {
  ctx: ServiceContext;
  services: readonly SoapService[];
  /** Device-service operations answered without credentials. */
  publicActions: ReadonlySet<string>;
  authorize(req: IncomingMessage, soap: SoapRequest): AuthResult;
  log: Logger;
}

export async function answerSoap(req: IncomingMessage, body: string, path: string, ep: SoapEndpoint): Promise<Reply> {
  let soap: SoapRequest | undefined;
  try {
    soap = parseSoapRequest(body, req.headers['content-type']);
    const op = soap.operation;
    const service = ep.services.find((s) => s.ns === op.ns);
    const handler = service?.handlers[op.local];
    // Dispatch is by the body element (what the operation is), not by the Content-Type
    // action parameter, which SOAP 1.2 makes optional and clients fill in inconsistently.
    if (!handler) throw new SoapFault(faults.actionNotSupported());
    const isPublic = op.ns === NS.tds && ep.publicActions.has(op.local);
    if (!isPublic) {
      const auth = ep.authorize(req, soap);
      if (!auth.ok) return faultReply({ ...faults.notAuthorized(), status: auth.status }, auth.headers);
    }
    const out = await handler(op, soap, ep.ctx, path);
    return {
      status: 200,
      headers: { 'Content-Type': SOAP_CONTENT_TYPE },
      body: Buffer.from(envelope(out, addressingHeader(soap, service?.responseActions?.[op.local] ?? `${op.ns}/${op.local}Response`))),
    };
  } catch (err) {
    if (err instanceof SoapFault) return faultReply(err.fault);
    ep.log.warn({ camera: ep.ctx.id, err: (err as Error).message, path }, 'soap handler failed');
    return faultReply({ code: 'Receiver', subcodes: [], reason: 'Internal error' });
  }
}

function faultReply(f: Fault, headers: Headers = {}): Reply {
  return {
    status: faultStatus(f),
    headers: { 'Content-Type': SOAP_CONTENT_TYPE, ...headers },
    body: Buffer.from(faultXml(f)),
  };
}

/** WS-Addressing reply headers when the request used WS-Addressing (event service clients do). */
function addressingHeader(soap: SoapRequest, action: string): string {
  const messageId = textOf(child(soap.header, NS.wsa, 'MessageID'));
  const usedWsa = messageId !== undefined || child(soap.header, NS.wsa, 'Action') !== undefined;
  if (!usedWsa) return '';
  return (
    `<wsa:Action>${esc(action)}</wsa:Action>` +
    (messageId ? `<wsa:RelatesTo>${esc(messageId)}</wsa:RelatesTo>` : '')
  );
}
