// ConsoleServices from the agent's parts, so agent/main.ts wires the console in a few
// lines (and the browser test wires it the same way). The access register, holds, live
// tokens and diagnose are the agent's own; this only adapts them to the pages' seam.
import type { AgentConfig } from '../../config/types.js';
import type { Database } from '../../../drivers/store/index.js';
import type { AccessRegister } from '../../access/register.js';
import type { HoldStore } from '../../retention/holds.js';
import type { ConsoleServices } from '../contract.js';
import type { ThumbnailCache } from '../thumbnails.js';

export interface ConsoleServicesDeps {
  config: AgentConfig;
  db: Database;
  now: () => Date;
  thumbnails: ThumbnailCache;
  register: AccessRegister;
  holds: HoldStore;
  /** Runs diagnose and records the inspection (source console, requester = the account). */
  diagnose: (requester: string) => Promise<unknown>;
  /** The live relay's tokens and where the browser reaches it; null when live view is off. */
  live: { issue: (camera: string, keyId: string | null, expiresAt: Date) => { token: string }; advertise: { host: string; port: number }; tokenTtlSeconds: number } | null;
}

export function consoleServices(deps: ConsoleServicesDeps): ConsoleServices {
  const { config } = deps;
  const camera = (id: string) => config.cameras.find((c) => c.id === id);
  return {
    config,
    db: deps.db,
    now: deps.now,
    // A prohibited place has no picture, even if a snapshot slipped into the cache.
    thumbnail: (id) => (camera(id)?.prohibited === false ? deps.thumbnails.get(id) : null),
    registerAccess: (e) => {
      deps.register.record({ verb: e.verb, cameras: e.cameras, fromMs: null, toMs: null, requester: e.requester, staff: [], approvalDoc: null, lawDoc: null, purpose: e.purpose, result: 'granted', detail: e.detail });
    },
    addHold: (h) => {
      // The console's holds are legal holds (kept until released); vital material is the profile's period, set by the platform.
      const hold = deps.holds.add({ cameraId: h.cameraId, fromMs: h.fromMs, toMs: h.toMs, kind: h.kind ?? 'legal', reason: h.reason, createdBy: h.by }, deps.now().getTime(), config.profile.retention.vitalHoldDays);
      return { id: hold.id };
    },
    releaseHold: (id, by, reason) => {
      deps.holds.release(id, by, reason, deps.now().getTime());
    },
    diagnose: deps.diagnose,
    openLive: (cameraId, requester) => {
      const c = camera(cameraId);
      if (!deps.live || !c || c.prohibited) return null;
      const expiresAtMs = deps.now().getTime() + deps.live.tokenTtlSeconds * 1000;
      // The token's key id names the console account (the relay logs it on connect).
      const { token } = deps.live.issue(c.id, requester, new Date(expiresAtMs));
      const host = deps.live.advertise.host.includes(':') ? `[${deps.live.advertise.host}]` : deps.live.advertise.host;
      return { url: `ws://${host}:${deps.live.advertise.port}/live/${encodeURIComponent(c.id)}?token=${token}`, expiresAtMs };
    },
  };
}
