// live.open (DESIGN.md verbs): {camera, requester:{staff, purpose}} → {url, token, expiresAt}.
// The access register is written before the token exists (Liaoning Art. 14 (iv), 18):
// if it cannot be written, no token is issued. A prohibited-place camera is never streamed.
import { z } from 'zod';
import { CAMERA_ID_PATTERN } from '../../config/schema.js';
import { VerbError, type RequestContext, type VerbHandler } from '../requests/verb.js';

export interface LiveOpenArgs {
  camera: string;
  requester: { staff: string[]; purpose: string };
}

/** What live.open asks the access register to record, before the token is issued. */
export interface LiveAccessEntry {
  /** The request id (the platform's). */
  id: string;
  verb: 'live.open';
  at: Date;
  cameras: [string];
  /** The platform key that signed the request; null when unsigned requests are allowed. */
  keyId: string | null;
  staff: string[];
  purpose: string;
  result: 'granted';
  detail: { expiresAt: string; tokenTtlSeconds: number };
}

export interface LiveOpenDeps {
  /** The configured camera by id, or undefined. */
  camera: (id: string) => { id: string; prohibited: boolean } | undefined;
  /** Must resolve before a token is issued; a rejection refuses the request. */
  registerAccess: (entry: LiveAccessEntry) => Promise<void>;
  /** Issues the token (LiveTokens.issue). */
  issueToken: (camera: string, keyId: string | null, expiresAt: Date) => { token: string; expiresAt: Date };
  /** Host the platform reaches the relay at (IPv6 unbracketed) and its port. */
  advertise: { host: string; port: number };
  tokenTtlSeconds: number;
}

const liveOpenArgs: z.ZodType<LiveOpenArgs> = z.strictObject({
  camera: z.string().regex(CAMERA_ID_PATTERN, { message: 'is not a camera id' }),
  requester: z.strictObject({
    staff: z.array(z.string().min(1).max(128)).min(1).max(32),
    purpose: z.string().min(1).max(1000),
  }),
});

export function liveOpenVerb(deps: LiveOpenDeps): VerbHandler<LiveOpenArgs> {
  return {
    verb: 'live.open',
    args: liveOpenArgs,
    async run(args: LiveOpenArgs, ctx: RequestContext) {
      const camera = deps.camera(args.camera);
      if (!camera) throw new VerbError('not_found', `no camera "${args.camera}"`);
      if (camera.prohibited) throw new VerbError('forbidden', `camera "${args.camera}" is in a prohibited place and is never streamed`);
      // The expiry is fixed before the register is written, so the register states the token's real lifetime.
      const expiresAt = new Date(ctx.receivedAt.getTime() + deps.tokenTtlSeconds * 1000);
      try {
        await deps.registerAccess({
          id: ctx.id,
          verb: 'live.open',
          at: ctx.receivedAt,
          cameras: [camera.id],
          keyId: ctx.keyId,
          staff: args.requester.staff,
          purpose: args.requester.purpose,
          result: 'granted',
          detail: { expiresAt: expiresAt.toISOString(), tokenTtlSeconds: deps.tokenTtlSeconds },
        });
      } catch (err) {
        if (err instanceof VerbError) throw err;
        throw new VerbError('internal', 'the access register could not be written; no live view without it');
      }
      const issued = deps.issueToken(camera.id, ctx.keyId, expiresAt);
      const host = deps.advertise.host.includes(':') ? `[${deps.advertise.host}]` : deps.advertise.host;
      const url = `ws://${host}:${deps.advertise.port}/live/${encodeURIComponent(camera.id)}?token=${issued.token}`;
      return { url, token: issued.token, expiresAt: issued.expiresAt.toISOString() };
    },
  };
}
