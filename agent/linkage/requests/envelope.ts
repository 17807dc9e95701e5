// The request envelope of the linkage contract (DESIGN.md): `{"id","args":{},"auth"?}` on
// `psv/v1/<site>/req/<verb>`, and the response `{"id","status","data"?|"error"?}`.

export interface RequestAuth {
  keyId: unknown;
  ts: unknown;
  nonce: unknown;
  sig: unknown;
  /** Extension: the site the request was signed for (undefined when not sent). */
  site?: unknown;
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
/**
 * Deepest array/object nesting a request may have. The contract's envelopes are 4 deep;
 * the cap keeps recursive code after the parse (RFC 8785 canonicalisation for the
 * signature, zod, the access register) from overflowing the stack on `[[[[…` — a
 * 100 000-deep payload fits in the 256 KiB size cap and went unanswered before.
 */
export const MAX_DEPTH = 64;

/** Nesting depth of JSON text, scanned without recursion (strings and escapes skipped); stops past `limit`. */
export function jsonDepth(text: string, limit = MAX_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return max;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and checks the envelope. On failure it still returns the id when one is usable,
 * so the platform can match the error to its request; otherwise id null.
 */
export function parseEnvelope(payload: Buffer): ParsedEnvelope {
  let body: unknown;
  const text = payload.toString('utf8');
  if (jsonDepth(text) > MAX_DEPTH) return { ok: false, id: null, message: `payload is nested deeper than ${MAX_DEPTH} levels` };
  try {
    body = JSON.parse(text);
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
    auth = { keyId: a.keyId, ts: a.ts, nonce: a.nonce, sig: a.sig, ...('site' in a ? { site: a.site } : {}) };
  }
  return { ok: true, envelope: { id, args, auth } };
}

export function okResponse(id: string, data: unknown): ResponsePayload {
  return { id, status: 'ok', data: data === undefined ? null : data };
}

export function errorResponse(id: string | null, code: string, message: string, extra: Record<string, unknown> = {}): ResponsePayload {
  return { id, status: 'error', error: { ...extra, code, message } };
}
