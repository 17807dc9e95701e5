// Typed failures of the ONVIF driver. Callers branch on `code`, never on message text:
// a wrong password ('unauthorized') must stay distinct from a dead camera ('unreachable',
// 'timeout') and from a broken one ('protocol', 'too_large', 'fault').

export type OnvifErrorCode = 'unreachable' | 'timeout' | 'unauthorized' | 'protocol' | 'too_large' | 'fault';

export const ONVIF_ERROR_CODES: readonly OnvifErrorCode[] = [
  'unreachable',
  'timeout',
  'unauthorized',
  'protocol',
  'too_large',
  'fault',
];

export interface OnvifErrorDetails {
  /** The SOAP operation (GetProfiles…) or 'GetSnapshot'. */
  action?: string;
  /** The request URL, credentials removed. */
  url?: string;
  httpStatus?: number;
  /** The SOAP fault code chain as sent, e.g. 'env:Sender/ter:InvalidArgVal/ter:NoProfile'. */
  faultCode?: string;
  /** The fault's Reason text (trimmed, shortened). */
  faultReason?: string;
  cause?: unknown;
}

export class OnvifError extends Error {
  override name = 'OnvifError';
  readonly code: OnvifErrorCode;
  readonly action?: string;
  readonly url?: string;
  readonly httpStatus?: number;
  readonly faultCode?: string;
  readonly faultReason?: string;

  constructor(code: OnvifErrorCode, message: string, details: OnvifErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.code = code;
    if (details.action !== undefined) this.action = details.action;
    if (details.url !== undefined) this.url = details.url;
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.faultCode !== undefined) this.faultCode = details.faultCode;
    if (details.faultReason !== undefined) this.faultReason = details.faultReason;
  }

  /** The same error with call context filled in where it is missing (and named in the message). */
  withContext(ctx: { action?: string; url?: string; httpStatus?: number }): OnvifError {
    const action = this.action ?? ctx.action;
    const url = this.url ?? ctx.url;
    const httpStatus = this.httpStatus ?? ctx.httpStatus;
    if (action === this.action && url === this.url && httpStatus === this.httpStatus) return this;
    const where = [action !== this.action ? action : undefined, url !== this.url && url ? `(${url})` : undefined]
      .filter(Boolean)
      .join(' ');
    const e = new OnvifError(this.code, where ? `${where}: ${this.message}` : this.message, {
      ...(action !== undefined ? { action } : {}),
      ...(url !== undefined ? { url } : {}),
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(this.faultCode !== undefined ? { faultCode: this.faultCode } : {}),
      ...(this.faultReason !== undefined ? { faultReason: this.faultReason } : {}),
      ...(this.cause !== undefined ? { cause: this.cause } : {}),
    });
    e.stack = this.stack;
    return e;
  }
}

export function isOnvifError(e: unknown, code?: OnvifErrorCode): e is OnvifError {
  return e instanceof OnvifError && (code === undefined || e.code === code);
}

/** Device-supplied text put into a message: one line, bounded. */
export function shortText(s: string, max = 200): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
