// The public shapes of the configuration module. The agent and the CLI code against
// these; the zod schema (schema.ts) describes the YAML that produces them.

/** Languages of human-facing texts. */
export type Language = 'zh-CN' | 'en';

/** One finding about a config file. `line`/`column` are 1-based; 0 when the config did not come from text. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted path with indices, e.g. "cameras[2].onvif.password"; "" for the document itself. */
  path: string;
  message: string;
}

/** The numbers a jurisdiction's law fixes, each traced to its article (config/profiles/*.yaml). */
export interface JurisdictionProfile {
  id: string;
  name: string;
  retention: { floorDays: number; vitalHoldDays: number };
  changeReport: { workingDays: number };
  filing: { days: number; daysExistingSystem: number };
  sources: string[];
  /** Numbers the available legal text does not state, and the default chosen instead. */
  assumptions: string[];
  /** Default language of human-facing texts in this jurisdiction. */
  language: Language;
  /** Absolute path of the profile file. */
  file: string;
}

export interface CameraConfig {
  id: string;
  name: string;
  onvif: { url: string; username?: string; password?: string };
  location: { kind: string; description: string };
  purpose?: string;
  record: boolean;
  /** Recording priority (absent = 0): lower stops first when only protected recordings fill the disk. */
  priority?: number;
  /** location.kind is a place where cameras are forbidden: never record or stream it, raise an alarm. */
  prohibited: boolean;
}

export interface AgentConfig {
  /** Absolute file path, or '<built-in demo>'. */
  source: string;
  site: { id: string; name: string; timezone: string };
  profile: JurisdictionProfile;
  /** ca/cert/key are absolute paths. */
  mqtt: {
    url: string;
    keepaliveSeconds: number;
    /** 5, or 4 for MQTT 3.1.1-only brokers. The embedded broker always uses 4. */
    protocolVersion: 4 | 5;
    username?: string;
    password?: string;
    clientId?: string;
    ca?: string;
    cert?: string;
    key?: string;
  };
  /** The embedded MQTT broker, or null when the site uses an outside broker. */
  broker: { listen: string; anonymousRead: boolean } | null;
  /** publicKey is the absolute path of a PEM file (Ed25519 SPKI). */
  /** requireSiteBinding: signed requests must carry auth.site equal to this site's id. */
  security: { requireSignedCommands: boolean; requireSiteBinding: boolean; platformKeys: { id: string; publicKey: string }[] };
  /** Absolute path of the SQLite database. */
  database: string;
  /**
   * root is absolute; maxBytes null = the whole filesystem. Watermarks are % of maxBytes
   * (or of the filesystem): deleteDownTo <= deleteAbove < stopAbove.
   */
  storage: { root: string; maxBytes: number | null; deleteAbovePercent: number; deleteDownToPercent: number; stopAbovePercent: number };
  retention: { floorDays: number; ceilingDays: number };
  /**
   * targets: extra unicast probe addresses, HOST or HOST:PORT. maxNewDevicesPerHour /
   * maxUnconfiguredDevices bound what LAN answers can make the agent store (discovery.flood).
   */
  discovery: {
    enabled: boolean;
    intervalSeconds: number;
    interface?: string;
    port: number;
    targets: string[];
    announcements: boolean;
    maxNewDevicesPerHour: number;
    maxUnconfiguredDevices: number;
  };
  cameras: CameraConfig[];
  monitor: { intervalSeconds: number; clockSkewLimitSeconds: number };
  /** Language of human-facing texts: config `language`, else the profile's (zh-CN for the Chinese profiles). */
  language: Language;
  console: { listen: string; language: Language };
  /** Live-view relay. advertise: the host in live.open URLs (default the listen host; IPv6 unbracketed). */
  live: { listen: string; advertise: string; tokenTtlSeconds: number; maxViewersPerCamera: number };
  /** file: absolute path of a calendar replacing the bundled one; null = the bundled calendar. */
  calendar: { file: string | null };
  filing: FilingConfig;
}

export type FilingDocumentKind = 'design_scheme' | 'contract' | 'acceptance_report' | 'equipment_list' | 'other';

/** The filing dossier's facts from the config. Dates are YYYY-MM-DD (site calendar); null when not given. */
export interface FilingConfig {
  acceptedOn: string | null;
  inUseSince: string | null;
  /** Built before the measures took effect (the profile's daysExistingSystem applies). */
  existingSystem: boolean;
  authority: string | null;
  operator: string | null;
  contact: string | null;
  /** path is absolute; the file may not exist (the dossier then lists it as missing). */
  documents: { kind: FilingDocumentKind; path: string; title: string | null }[];
  filed: { date: string; receiptNo: string | null } | null;
}

export type LoadResult =
  | { ok: true; config: AgentConfig; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

export interface LoadContext {
  env: NodeJS.ProcessEnv;
  /** Base of relative `database` and `storage.root`; also of the file name given to loadConfigFile. */
  cwd: string;
  /** Default: <package root>/config/profiles. */
  profilesDir?: string;
}
