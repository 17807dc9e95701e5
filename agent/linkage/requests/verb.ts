// The shape of one platform request verb (DESIGN.md "MQTT linkage contract"). The router
// (agent/linkage/requests/) parses, authenticates, deduplicates and answers; a verb only
// validates its args and does its work.
import type { ZodType } from 'zod';

export type VerbErrorCode = 'bad_request' | 'not_found' | 'forbidden' | 'unauthorized' | 'busy' | 'internal';

/** A failure the platform can act on; becomes `{"status":"error","error":{code,message}}`. */
export class VerbError extends Error {
  override name = 'VerbError';
  constructor(
    readonly code: VerbErrorCode,
    message: string,
    /** Extra fields for the error object (e.g. `reason` for unauthorized). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface RequestContext {
  verb: string;
  id: string;
  /** The platform key that signed the request, or null (unsigned requests allowed by config). */
  keyId: string | null;
  receivedAt: Date;
}

export interface VerbHandler<A = unknown> {
  verb: string;
  /** Validates `args`; a failure answers bad_request with the issues. */
  args: ZodType<A>;
  run(args: A, ctx: RequestContext): Promise<unknown>;
}
