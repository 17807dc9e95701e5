// The request envelope of the linkage contract (DESIGN.md): `{"id","args":{},"auth"?}` on
// `psv/v1/<site>/req/<verb>`, and the response `{"id","status","data"?|"error"?}`.

export interface RequestAuth {
  keyId: unknown;
  ts: unknown;
  nonce: unknown;
  sig: unknown;
}

export interface RequestEnvelope {
  id: string;
  args: Record<string, unknown>;
  /** As received; auth.ts checks every field, so nothing is trusted here. */
  auth: RequestAuth | null;
}

export interface ErrorBody {
  code: string;
  message: string;
  [extra: string]: unknown;
}

export type ResponsePayload =
  | { id: string | null; status: 'ok'; data: unknown }
  | { id: string | null; status: 'error'; error: ErrorBody };

export type ParsedEnvelope = { ok: true; envelope: RequestEnvelope } | { ok: false; id: string | null; message: string };

export const MAX_ID_LENGTH = 128;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and checks the envelope. On failure it still returns the id when one is usable,
 * so the platform can match the error to its request; otherwise id null.
 */
export function parseEnvelope(payload: Buffer): ParsedEnvelope {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, id: null, message: 'payload is not valid JSON' };
  }
  if (!isObject(body)) return { ok: false, id: null, message: 'payload must be a JSON object' };
  const rawId = body.id;
  const id = typeof rawId === 'string' && rawId.length >= 1 && rawId.length <= MAX_ID_LENGTH ? rawId : null;
  if (id === null) return { ok: false, id: null, message: `"id" must be a string of 1–${MAX_ID_LENGTH} characters` };
  const args = body.args === undefined ? {} : body.args;
  if (!isObject(args)) return { ok: false, id, message: '"args" must be an object' };
  let auth: RequestAuth | null = null;
  if (body.auth !== undefined) {
    // A malformed auth block is the authenticator's business (reason "missing"), not a bad_request.
    const a = isObject(body.auth) ? body.auth : {};
    auth = { keyId: a.keyId, ts: a.ts, nonce: a.nonce, sig: a.sig };
  }
  return { ok: true, envelope: { id, args, auth } };
}

export function okResponse(id: string, data: unknown): ResponsePayload {
  return { id, status: 'ok', data: data === undefined ? null : data };
}

export function errorResponse(id: string | null, code: string, message: string, extra: Record<string, unknown> = {}): ResponsePayload {
  return { id, status: 'error', error: { ...extra, code, message } };
}
