// Gathering a dossier's facts: the inventory from the agent's database (open, or read-only
// by `cea dossier`; null with the reason when there is none) and the documents' facts from
// the disk. One place for `cea dossier`, `cea register` and the console's compliance page.
import type { AgentConfig } from '../config/types.js';
import type { Database } from '../../drivers/store/index.js';
import { InventoryStore } from '../inventory/store.js';
import { documentsFacts } from './documents.js';
import { buildDossier, type CameraInventory, type Dossier, type InventoryFacts } from './policy.js';

function hasTables(db: Database, names: string[]): boolean {
  const row = db
    .prepare<string[], { n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN (${names.map(() => '?').join(', ')})`)
    .get(...names);
  return row?.n === names.length;
}

export function readInventoryFacts(config: AgentConfig, db: Database | null, problem: string | null): InventoryFacts {
  const none: InventoryFacts = { source: 'config_only', cameras: new Map(), unconfiguredDevices: [], problem };
  if (db === null) return none;
  if (!hasTables(db, ['camera_state', 'inventory_snapshots', 'devices'])) return { ...none, problem: 'the database holds no inventory yet' };
  const store = new InventoryStore(db);
  const cameras = new Map<string, CameraInventory>();
  for (const c of config.cameras) {
    const snapshot = store.latestSnapshot(c.id);
    cameras.set(c.id, { record: snapshot?.record ?? null, recordTakenAt: snapshot?.takenAt ?? null, lastSeen: store.cameraState(c.id).lastSeen });
  }
  const unconfiguredDevices = store
    .devices()
    .filter((d) => d.cameraId === null)
    .map((d) => ({ urn: d.urn, xaddrs: d.xaddrs, firstSeen: d.firstSeen, lastSeen: d.lastSeen }));
  return { source: 'database', cameras, unconfiguredDevices, problem: null };
}

/** Everything the dossier needs, gathered: inventory from the database, document facts (SHA-256) from the disk. */
export async function gatherDossier(config: AgentConfig, db: Database | null, dbProblem: string | null, now: Date): Promise<Dossier> {
  const inventory = readInventoryFacts(config, db, dbProblem);
  const documents = await documentsFacts(config.filing.documents.map((d) => d.path));
  return buildDossier({ config, inventory, documents, now });
}
