// The filing dossier (Liaoning Art. 12, Datong Art. 15), pure: given the config, what the
// cameras reported over ONVIF, the facts of the document files and "now", decide what
// the dossier says, when it is due and what is still missing. No I/O, no clock.
import type { AgentConfig, FilingConfig, FilingDocumentKind } from '../config/types.js';
import type { InventoryRecord } from '../inventory/policy.js';
import { addDays, daysBetween, siteDate } from './dates.js';

/**
 * Datong Art. 15 (1)-(3) name these documents; (4), the equipment's model, performance
 * and technical parameters, is the equipment table generated from ONVIF, so an
 * `equipment_list` file is welcome but not required. Liaoning Art. 12 names no list;
 * the same three are what a filing authority asks for there too.
 */
export const REQUIRED_DOCUMENT_KINDS: readonly FilingDocumentKind[] = ['design_scheme', 'contract', 'acceptance_report'];

export type FilingStatus = 'not_due' | 'due' | 'overdue' | 'filed';

export interface FilingDeadline {
  /** The period that applies: profile filing.days, or filing.daysExistingSystem for a system built before the measures. */
  days: number;
  /** Which date the period is counted from, and that date; null when neither is configured. */
  countsFrom: 'acceptance' | 'in_use' | null;
  from: string | null;
  /** Last day to file, YYYY-MM-DD in the site calendar. */
  deadline: string | null;
  status: FilingStatus;
  /** Days from today to the deadline (negative when overdue); null when filed or no deadline. */
  daysLeft: number | null;
  filed: { date: string; receiptNo: string | null; inTime: boolean | null } | null;
}

/**
 * Calendar days, counted from the day after the start date (so acceptance on 05-20 with
 * 30 days → 06-19), and not moved off weekends or holidays: an early deadline is never
 * a late filing.
 *
 * Which date: Datong Art. 15 counts from completion and acceptance, Liaoning Art. 12
 * from the system's use. The profile does not say which, so acceptance is used when
 * configured, else first use: acceptance always comes first (Datong Art. 14: no use
 * before acceptance), so the deadline is never later than either article's.
 * For a system built before the measures, both articles count from the measures'
 * entry into force, a date the profile does not carry; the earlier acceptance / use
 * date again gives a deadline no later than the law's.
 */
export function filingDeadline(filing: FilingConfig, profile: AgentConfig['profile']['filing'], today: string): FilingDeadline {
  const days = filing.existingSystem ? profile.daysExistingSystem : profile.days;
  const countsFrom = filing.acceptedOn !== null ? 'acceptance' : filing.inUseSince !== null ? 'in_use' : null;
  const from = filing.acceptedOn ?? filing.inUseSince;
  const deadline = from === null ? null : addDays(from, days);
  if (filing.filed) {
    const inTime = deadline === null ? null : filing.filed.date <= deadline;
    return { days, countsFrom, from, deadline, status: 'filed', daysLeft: null, filed: { ...filing.filed, inTime } };
  }
  if (from === null || deadline === null) return { days, countsFrom, from, deadline, status: 'not_due', daysLeft: null, filed: null };
  const daysLeft = daysBetween(today, deadline);
  const status: FilingStatus = today < from ? 'not_due' : daysLeft < 0 ? 'overdue' : 'due';
  return { days, countsFrom, from, deadline, status, daysLeft, filed: null };
}

/** "due in 12 days", "overdue by 3 days", … for people. */
export function describeFilingStatus(d: FilingDeadline): string {
  const plural = (n: number) => `${n} day${n === 1 ? '' : 's'}`;
  switch (d.status) {
    case 'filed': {
      const f = d.filed;
      if (!f) return 'filed';
      const receipt = f.receiptNo ? `, receipt ${f.receiptNo}` : '';
      const late = f.inTime === false ? ` (after the deadline ${d.deadline ?? ''})` : '';
      return `filed on ${f.date}${receipt}${late}`;
    }
    case 'not_due':
      return d.from === null ? 'not due: no acceptance or in-use date configured' : `not due yet: counts from ${d.from}`;
    case 'due':
      return d.daysLeft === 0 ? 'due today' : `due in ${plural(d.daysLeft ?? 0)}`;
    case 'overdue':
      return `overdue by ${plural(-(d.daysLeft ?? 0))}`;
  }
}

/** What the latest interrogation of a configured camera left in the store. */
export interface CameraInventory {
  record: InventoryRecord | null;
  /** When that record was taken (the inventory snapshot row). */
  recordTakenAt: string | null;
  lastSeen: string | null;
}

/** A device WS-Discovery heard that no configured camera matches: an unfiled camera. */
export interface UnconfiguredDevice {
  urn: string;
  xaddrs: string[];
  firstSeen: string;
  lastSeen: string;
}

export interface InventoryFacts {
  /** 'config_only' when there is no database yet (or it cannot be read): identity fields are then null. */
  source: 'database' | 'config_only';
  cameras: ReadonlyMap<string, CameraInventory>;
  unconfiguredDevices: UnconfiguredDevice[];
  /** Why the source is config_only, for the notes. */
  problem: string | null;
}

export type DocumentState = 'present' | 'missing' | 'unreadable';

/** What documents.ts learned about one file. */
export interface DocumentFacts {
  path: string;
  state: DocumentState;
  bytes: number | null;
  sha256: string | null;
  modifiedAt: string | null;
  problem: string | null;
}

export interface EncoderRow {
  token: string;
  name: string;
  encoding: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrate: number | null;
  gop: number | null;
}

export interface EquipmentRow {
  id: string;
  name: string;
  location: { kind: string; description: string };
  purpose: string | null;
  record: boolean;
  prohibited: boolean;
  interrogated: boolean;
  /** Exactly as the camera sent them ("5.50" stays "5.50"); null when never interrogated. */
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  hardwareId: string | null;
  profiles: EncoderRow[];
  inventoryAt: string | null;
  lastSeen: string | null;
}

export interface DossierDocument {
  kind: FilingDocumentKind;
  title: string;
  path: string;
  state: DocumentState;
  bytes: number | null;
  sha256: string | null;
  modifiedAt: string | null;
  problem: string | null;
}

export interface MissingItem {
  /** document: a required kind absent or a listed file not there; inventory: a camera never interrogated; config: a fact the filing needs. */
  what: 'document' | 'inventory' | 'config';
  /** The document kind, camera id or config key concerned. */
  ref: string;
  detail: string;
}

export interface Dossier {
  dossierVersion: 1;
  generatedAt: string;
  /** The site-calendar date the status is judged on. */
  today: string;
  site: { id: string; name: string; timezone: string };
  profile: { id: string; name: string; filingDays: number; filingDaysExistingSystem: number };
  filing: {
    authority: string | null;
    operator: string | null;
    contact: string | null;
    acceptedOn: string | null;
    inUseSince: string | null;
    existingSystem: boolean;
  } & FilingDeadline;
  equipment: EquipmentRow[];
  unconfiguredDevices: UnconfiguredDevice[];
  retention: { floorDays: number; ceilingDays: number; profileFloorDays: number; vitalHoldDays: number };
  documents: DossierDocument[];
  inventorySource: InventoryFacts['source'];
  /** Why the inventory came from the config alone (null when from the database): the renderers' notes say it in each language. */
  inventoryProblem: string | null;
  complete: boolean;
  missing: MissingItem[];
  notes: string[];
}

export interface DossierInput {
  config: Pick<AgentConfig, 'site' | 'profile' | 'retention' | 'cameras' | 'filing'>;
  inventory: InventoryFacts;
  /** Facts per document path (config.filing.documents[].path); a path without facts counts as missing. */
  documents: ReadonlyMap<string, DocumentFacts>;
  now: Date;
}

export function buildDossier({ config, inventory, documents, now }: DossierInput): Dossier {
  const today = siteDate(now, config.site.timezone);
  const deadline = filingDeadline(config.filing, config.profile.filing, today);
  const equipment = config.cameras.map((c) => equipmentRow(c, inventory.cameras.get(c.id) ?? null));
  const docs = config.filing.documents.map((d): DossierDocument => {
    const facts = documents.get(d.path);
    return {
      kind: d.kind,
      title: d.title ?? baseName(d.path),
      path: d.path,
      state: facts?.state ?? 'missing',
      bytes: facts?.bytes ?? null,
      sha256: facts?.sha256 ?? null,
      modifiedAt: facts?.modifiedAt ?? null,
      problem: facts ? facts.problem : 'not examined',
    };
  });

  const missing: MissingItem[] = [];
  for (const kind of REQUIRED_DOCUMENT_KINDS) {
    const listed = docs.filter((d) => d.kind === kind);
    if (listed.length === 0) missing.push({ what: 'document', ref: kind, detail: `no ${kind} document is listed in filing.documents` });
  }
  for (const d of docs) {
    if (d.state !== 'present') missing.push({ what: 'document', ref: d.kind, detail: `${d.path}: ${d.problem ?? d.state}` });
  }
  if (config.cameras.length === 0) missing.push({ what: 'config', ref: 'cameras', detail: 'no cameras are configured: the equipment table is empty' });
  for (const e of equipment) {
    if (!e.interrogated) missing.push({ what: 'inventory', ref: e.id, detail: 'never interrogated: model, firmware and serial are unknown' });
  }
  if (config.filing.operator === null) missing.push({ what: 'config', ref: 'filing.operator', detail: 'the organisation filing the system is not named' });

  const notes: string[] = [];
  if (inventory.source === 'config_only') {
    notes.push(`Equipment from the config alone (${inventory.problem ?? 'no database'}): identity and encoder fields are unknown until the agent has interrogated the cameras.`);
  }
  if (deadline.countsFrom === 'acceptance' && config.filing.inUseSince !== null) {
    notes.push('The deadline counts from acceptance, the earlier of the two dates (Datong Art. 15); Liaoning Art. 12 counts from use, which is never earlier.');
  }
  if (config.filing.existingSystem && deadline.from !== null) {
    notes.push(
      `Existing system: the law counts the ${deadline.days} days from the measures' entry into force; the profile does not record that date, so the deadline is counted from the system's own ${deadline.countsFrom === 'in_use' ? 'in-use' : 'acceptance'} date, which is no later.`,
    );
  }
  for (const e of equipment.filter((x) => x.prohibited)) {
    notes.push(`Camera ${e.id} is configured in a prohibited place (${e.location.kind}); it is neither recorded nor streamed (Liaoning Art. 9, Datong Art. 9).`);
  }
  if (inventory.unconfiguredDevices.length > 0) {
    notes.push(`${inventory.unconfiguredDevices.length} device(s) answered WS-Discovery but are not configured; a camera of the system must be filed too.`);
  }

  return {
    dossierVersion: 1,
    generatedAt: now.toISOString(),
    today,
    site: { ...config.site },
    profile: {
      id: config.profile.id,
      name: config.profile.name,
      filingDays: config.profile.filing.days,
      filingDaysExistingSystem: config.profile.filing.daysExistingSystem,
    },
    filing: {
      authority: config.filing.authority,
      operator: config.filing.operator,
      contact: config.filing.contact,
      acceptedOn: config.filing.acceptedOn,
      inUseSince: config.filing.inUseSince,
      existingSystem: config.filing.existingSystem,
      ...deadline,
    },
    equipment,
    unconfiguredDevices: inventory.unconfiguredDevices,
    retention: {
      floorDays: config.retention.floorDays,
      ceilingDays: config.retention.ceilingDays,
      profileFloorDays: config.profile.retention.floorDays,
      vitalHoldDays: config.profile.retention.vitalHoldDays,
    },
    documents: docs,
    inventorySource: inventory.source,
    inventoryProblem: inventory.source === 'config_only' ? (inventory.problem ?? 'no database') : null,
    complete: missing.length === 0,
    missing,
    notes,
  };
}

function equipmentRow(camera: AgentConfig['cameras'][number], inv: CameraInventory | null): EquipmentRow {
  const r = inv?.record ?? null;
  return {
    id: camera.id,
    name: camera.name,
    location: { ...camera.location },
    purpose: camera.purpose ?? null,
    record: camera.record,
    prohibited: camera.prohibited,
    interrogated: r !== null,
    manufacturer: r?.identity.manufacturer ?? null,
    model: r?.identity.model ?? null,
    firmware: r?.identity.firmware ?? null,
    serial: r?.identity.serial ?? null,
    hardwareId: r?.identity.hardwareId ?? null,
    profiles: (r?.profiles ?? []).map((p) => ({
      token: p.token,
      name: p.name,
      encoding: p.encoder?.encoding ?? null,
      width: p.encoder?.width ?? null,
      height: p.encoder?.height ?? null,
      fps: p.encoder?.fps ?? null,
      bitrate: p.encoder?.bitrate ?? null,
      gop: p.encoder?.gop ?? null,
    })),
    inventoryAt: inv?.recordTakenAt ?? null,
    lastSeen: inv?.lastSeen ?? null,
  };
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
