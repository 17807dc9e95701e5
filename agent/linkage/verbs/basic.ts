// The platform's housekeeping verbs (DESIGN.md verb table): ping, status, cameras, rebirth.
import { z } from 'zod';
import type { ChangeReport } from '../../changes/store.js';
import type { CameraConfig } from '../../config/types.js';
import type { SnapshotRow } from '../../inventory/store.js';
import type { VerbHandler } from '../requests/verb.js';

export interface BasicVerbsDeps {
  site: { id: string; name: string; timezone: string };
  cameras: CameraConfig[];
  now: () => Date;
  agentVersion: string;
  /** The retained status payload of one camera (CameraStatusService.status). */
  cameraStatus: (camera: CameraConfig) => Record<string, unknown>;
  /** Storage facts (retention status, free space …), whatever the wiring has. */
  storage: () => unknown;
  /** All change reports; the verb answers the ones not yet acknowledged. */
  reports: () => ChangeReport[];
  /** The latest inventory snapshot of a camera (InventoryStore.latestSnapshot). */
  latestSnapshot: (cameraId: string) => SnapshotRow | null;
  /** Republishes birth and the retained topics; returns what it published (e.g. the birth seq). */
  rebirth: () => Promise<Record<string, unknown>>;
}

// Verbs without arguments still accept (and ignore) extra keys: the platform may add some later.
const noArgs = z.object({}).passthrough();

/** The configured camera without its credentials: a request answer must never carry a password. */
export function publicCamera(c: CameraConfig): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    onvifUrl: c.onvif.url,
    location: { ...c.location },
    ...(c.purpose !== undefined ? { purpose: c.purpose } : {}),
    record: c.record,
    prohibited: c.prohibited,
  };
}

export function basicVerbs(deps: BasicVerbsDeps): VerbHandler<Record<string, unknown>>[] {
  return [
    {
      verb: 'ping',
      args: noArgs,
      run: async () => ({ ts: deps.now().toISOString(), agentVersion: deps.agentVersion }),
    },
    {
      verb: 'status',
      args: noArgs,
      run: async () => ({
        ts: deps.now().toISOString(),
        site: { ...deps.site },
        agentVersion: deps.agentVersion,
        cameras: deps.cameras.map((c) => ({ id: c.id, ...deps.cameraStatus(c) })),
        storage: deps.storage() ?? null,
        pendingReports: deps
          .reports()
          .filter((r) => r.state !== 'acknowledged')
          .map((r) => ({ id: r.id, number: r.number, state: r.state, detectedAt: r.detectedAt, deadline: r.deadline, cameras: r.cameras })),
      }),
    },
    {
      verb: 'cameras',
      args: noArgs,
      run: async () => ({
        cameras: deps.cameras.map((c) => {
          const snap = deps.latestSnapshot(c.id);
          return { ...publicCamera(c), inventory: snap ? { takenAt: snap.takenAt, hash: snap.hash, record: stripUserInfo(snap.record) } : null };
        }),
      }),
    },
    {
      verb: 'rebirth',
      args: noArgs,
      run: async () => deps.rebirth(),
    },
  ];
}

/** Stream/snapshot URIs as a camera reports them may embed credentials; those stay on the box. */
function stripUserInfo<T>(record: T): T {
  return JSON.parse(JSON.stringify(record), (_k, v: unknown) =>
    typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*@/i.test(v) ? v.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1') : v,
  ) as T;
}
