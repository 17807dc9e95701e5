import { z } from 'zod';
import { parseListen } from './listen.js';

// The YAML config as written. Every object is strict: an unknown key (usually a typo,
// e.g. `pasword`) is an error, never silently ignored. Defaults here are the ones the
// YAML may leave out; defaults that depend on other values (retention from the
// profile, mqtt.url from the broker) are applied in resolve.ts. Cross-field and
// file-system checks live there too: the schema only judges each value by itself.

/** Places where cameras are forbidden (Liaoning Art. 9, Datong Art. 9). */
export const PROHIBITED_LOCATION_KINDS = [
  'residence',
  'hotel_room',
  'bathroom',
  'toilet',
  'changing_room',
  'dormitory',
] as const;

export const DEFAULT_KEEPALIVE_SECONDS = 30;

export const CAMERA_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A site id is one MQTT topic level: no '/', '+', '#', and not starting with '$'. */
export const SITE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const PROFILE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Lower-case words joined by '_' so that "Hotel Room" or "hotel-room" cannot slip past the prohibited list. */
const LOCATION_KIND_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const text = () => z.string().min(1, { message: 'must not be empty' });
const count = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

function isIanaTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A URL with one of the given schemes and a host; credentials belong in their own keys, not the URL. */
function urlWithScheme(schemes: readonly string[]) {
  const list = schemes.map((s) => `${s}://`).join(', ');
  return z
    .string()
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a URL (expected ${list})` });
        return;
      }
      const scheme = url.protocol.slice(0, -1);
      if (!schemes.includes(scheme)) {
        ctx.addIssue({ code: 'custom', message: `unsupported scheme "${scheme}" (expected ${list})` });
      } else if (url.hostname === '') {
        ctx.addIssue({ code: 'custom', message: `"${value}" has no host` });
      } else if (url.username !== '' || url.password !== '') {
        ctx.addIssue({
          code: 'custom',
          message: 'credentials in the URL would end up in logs; use username and password / passwordFile / passwordEnv',
        });
      }
    })
    .meta({ pattern: `^(${schemes.join('|')})://` });
}

const listen = (fallback: string, opts: { anyPort?: boolean } = {}) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const parsed = parseListen(value, opts);
      if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
    })
    .meta({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$' })
    .default(fallback);

/** username plus at most one source of the password (checked in secrets.ts). */
const credentials = {
  username: text().optional().describe('User name.'),
  password: z.string().optional().describe('Password written inline. Prefer passwordFile or passwordEnv.'),
  passwordFile: text()
    .optional()
    .describe('File holding the password (one trailing newline is dropped); relative to the config file.'),
  passwordEnv: z
    .string()
    .regex(ENV_NAME_PATTERN, { message: 'must be an environment variable name' })
    .optional()
    .describe('Environment variable holding the password.'),
};

const siteSchema = z
  .strictObject({
    id: z
      .string()
      .regex(SITE_ID_PATTERN, {
        message: 'must be 1–64 letters, digits, "_", "." or "-", starting with a letter or digit (it is an MQTT topic level)',
      })
      .describe('Site id; the MQTT topic root is psv/v1/<id>.'),
    name: text().optional().describe('Human name of the site. Default: the id.'),
    timezone: z
      .string()
      .refine(isIanaTimeZone, { message: 'is not an IANA time zone (e.g. Asia/Shanghai)' })
      .default('Asia/Shanghai')
      .describe('IANA time zone of the site: recording file names, working-day deadlines.'),
  })
  .describe('The site this box serves.');

const mqttSchema = z
  .strictObject({
    url: urlWithScheme(['mqtt', 'mqtts', 'ws', 'wss'])
      .optional()
      .describe('Broker URL. Required unless broker: is set (then default mqtt://<broker.listen>).'),
    keepaliveSeconds: count(1, 65535).default(DEFAULT_KEEPALIVE_SECONDS).describe('MQTT keepalive; the broker publishes the offline will after 1.5x this.'),
    clientId: text().max(256).optional().describe('MQTT client id. Default: chosen by the agent from the site id.'),
    protocolVersion: z
      .union([z.literal(4), z.literal(5)])
      .default(5)
      .describe('MQTT protocol: 5 (default; honours responseTopic/correlationData) or 4 for MQTT 3.1.1-only brokers.'),
    ...credentials,
    ca: text().optional().describe('PEM CA bundle for mqtts/wss; relative to the config file. Without it the system CAs are used.'),
    cert: text().optional().describe('PEM client certificate (mutual TLS); relative to the config file. Needs key.'),
    key: text().optional().describe('PEM private key of cert; relative to the config file.'),
  })
  .describe('Connection to the police platform broker.');

const brokerSchema = z
  .strictObject({
    listen: listen('127.0.0.1:1883').describe('host:port of the embedded broker. 0.0.0.0 / [::] are allowed but warned about.'),
    anonymousRead: z.boolean().default(false).describe('Let clients without credentials subscribe (read only).'),
  })
  .describe('Run an embedded MQTT broker (extension; demo and stand-alone sites).');

const securitySchema = z
  .strictObject({
    requireSignedCommands: z.boolean().default(true).describe('Platform requests must carry an Ed25519 signature.'),
    requireSiteBinding: z
      .boolean()
      .default(false)
      .describe(
        'Signed requests must name this site in auth.site (signed with the request), so a request signed for another site cannot be replayed here. Default false only for older platforms: platforms should always send auth.site and sites should turn this on.',
      ),
    platformKeys: z
      .array(
        z.strictObject({
          id: text().describe('Key id, as sent in auth.keyId.'),
          publicKey: text().describe('PEM file with the Ed25519 public key (SPKI); relative to the config file.'),
        }),
      )
      .default([])
      .describe('Keys the platform signs requests with.'),
  })
  .describe('How platform requests are authenticated.');

const storageSchema = z
  .strictObject({
    root: text().default('data/recordings').describe('Recording root; relative to the working directory.'),
    maxBytes: count(1).nullable().default(null).describe('Space the recordings may use; null = the whole filesystem.'),
    deleteAbovePercent: z
      .number()
      .gt(0)
      .max(100)
      .default(90)
      .describe('Disk pressure: above this % of maxBytes (or of the filesystem) the oldest unprotected segments are deleted. Protected ones never are.'),
    deleteDownToPercent: z.number().gt(0).max(100).default(85).describe('Disk pressure deletes until usage is back to this %.'),
    stopAbovePercent: z
      .number()
      .gt(0)
      .max(100)
      .default(97)
      .describe('Only protected segments left and usage above this %: stop recording the lowest-priority cameras rather than delete.'),
  })
  .describe('Where recordings live.');

const retentionSchema = z
  .strictObject({
    floorDays: count(1)
      .optional()
      .describe('Keep every segment at least this long (by its end time). Default and minimum: the profile floor.'),
    ceilingDays: count(1)
      .optional()
      .describe('Delete segments older than this (unless held). Default: the larger of floorDays and 30.'),
  })
  .describe('Retention of recordings.');

const discoverySchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Look for ONVIF cameras with WS-Discovery.'),
    intervalSeconds: count(1).default(300).describe('Seconds between discovery rounds.'),
    interface: text().optional().describe('Network interface to probe on. Default: all.'),
    port: count(1, 65535).default(3702).describe('WS-Discovery UDP port (3702 by the standard).'),
    targets: z
      .array(text().regex(/^\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?$/, { message: 'must be an IPv4 address, optionally with :PORT' }))
      .default([])
      .describe('IPv4 addresses (optionally :PORT) to probe by unicast too: cameras behind a router, where multicast does not reach.'),
    announcements: z.boolean().default(true).describe('Listen for Hello/Bye announcements between rounds.'),
    maxNewDevicesPerHour: count(1)
      .default(64)
      .describe('Unconfigured devices newly recorded per hour at most; beyond it answers are only counted (one discovery.flood event per hour). Configured cameras are always tracked.'),
    maxUnconfiguredDevices: count(1)
      .default(1024)
      .describe('Unconfigured device rows kept at most; new unknown devices beyond it are only counted (discovery.flood).'),
  })
  .describe('Finding cameras on the local network.');

const cameraSchema = z.strictObject({
  id: z
    .string()
    .regex(CAMERA_ID_PATTERN, {
      message: 'must be 1–64 of a-z, 0-9, "_", "-", starting with a letter or digit',
    })
    .describe('Camera id, unique on the site; used in topics and file paths.'),
  name: text().optional().describe('Human name. Default: the id.'),
  onvif: z
    .strictObject({
      url: urlWithScheme(['http', 'https']).describe('ONVIF device service URL.'),
      ...credentials,
    })
    .describe('How to reach the camera.'),
  location: z
    .strictObject({
      kind: z
        .string()
        .regex(LOCATION_KIND_PATTERN, { message: 'must be lower-case words joined by "_" (e.g. street, hotel_room)' })
        .describe(`Kind of place. Prohibited (not recorded, alarm raised): ${PROHIBITED_LOCATION_KINDS.join(', ')}.`),
      description: text().describe('Where exactly the camera is and what it faces.'),
    })
    .describe('Where the camera is; part of the change-report fingerprint.'),
  purpose: text().optional().describe('What the camera is for; part of the change-report fingerprint.'),
  record: z.boolean().default(true).describe('Record this camera.'),
  priority: z
    .number()
    .int()
    .min(-1000)
    .max(1000)
    .optional()
    .describe('Recording priority (default 0): when the disk is full of protected recordings, lower priorities stop recording first.'),
});

const monitorSchema = z
  .strictObject({
    intervalSeconds: count(1).default(10).describe('Seconds between camera health and clarity checks.'),
    // Capped at an hour so a value meant as milliseconds (5000) is caught, not obeyed.
    clockSkewLimitSeconds: count(1, 3600)
      .default(5)
      .describe('Camera clock distance from the box (seconds) above which clock.skew is raised.'),
  })
  .describe('Camera monitoring.');

const consoleSchema = z
  .strictObject({
    listen: listen('127.0.0.1:8080', { anyPort: true }).describe('host:port of the operator web console (port 0: any free port; the log and the demo print the URL). 0.0.0.0 / [::] are allowed but warned about.'),
    language: z.enum(['zh-CN', 'en']).optional().describe('Console language (each operator may choose their own). Default: the top-level language.'),
  })
  .describe('Operator web console.');

const liveSchema = z
  .strictObject({
    listen: listen('127.0.0.1:8090', { anyPort: true }).describe(
      'host:port of the live-view WebSocket relay (every connection needs a live.open token). Port 0: any free port (live.open URLs carry it). 0.0.0.0 / [::] are allowed but warned about.',
    ),
    advertise: text()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/, { message: 'must be a host name or IP address (IPv6 in brackets)' })
      .optional()
      .describe('Host the platform reaches the relay at, put in live.open URLs. Default: the listen host.'),
    tokenTtlSeconds: count(1, 3600).default(300).describe('Lifetime of a live.open token; a viewer is closed when its token expires.'),
    maxViewersPerCamera: count(1, 64).default(4).describe('Viewers one camera may have at once; one more is refused.'),
  })
  .describe('Live view (live.open): an authenticated WebSocket relay of MPEG-1 for jsmpeg.');

const calendarSchema = z
  .strictObject({
    file: text()
      .optional()
      .describe(
        'Working-day calendar file replacing the bundled config/calendar/cn-workdays.json (e.g. with a newer State Council notice); relative to the config file. A bad file is reported and the bundled calendar is used.',
      ),
  })
  .describe('Working days for change-report deadlines (Liaoning Art. 12): public holidays and make-up working days.');

/** What the filing dossier attaches (Datong Art. 15 (1)-(5)); the equipment table itself comes from ONVIF. */
export const FILING_DOCUMENT_KINDS = ['design_scheme', 'contract', 'acceptance_report', 'equipment_list', 'other'] as const;

const isoDay = () => z.iso.date({ message: 'must be a date YYYY-MM-DD' });

const filingSchema = z
  .strictObject({
    acceptedOn: isoDay().optional().describe('Date of completion and acceptance (Datong Art. 15 counts the filing period from it).'),
    inUseSince: isoDay().optional().describe('Date the system went into use (Liaoning Art. 12 counts the filing period from it).'),
    existingSystem: z
      .boolean()
      .default(false)
      .describe("Built before the measures took effect: the profile's filing.daysExistingSystem applies."),
    authority: text().optional().describe('The public security organ the system is filed with.'),
    operator: text().optional().describe('Organisation that builds and uses the system (the filing party).'),
    contact: text().optional().describe('Contact person and phone for the filing.'),
    documents: z
      .array(
        z.strictObject({
          kind: z.enum(FILING_DOCUMENT_KINDS).describe(`One of ${FILING_DOCUMENT_KINDS.join(', ')}.`),
          path: text().describe('The document file; relative to the config file. A missing file is listed as missing in the dossier.'),
          title: text().optional().describe('Title shown in the dossier. Default: the file name.'),
        }),
      )
      .default([])
      .describe('Documents attached to the filing dossier by path and SHA-256.'),
    filed: z
      .strictObject({
        date: isoDay().describe('Date the dossier was filed.'),
        receiptNo: text().optional().describe('Receipt number given by the authority.'),
      })
      .optional()
      .describe('A filing already made.'),
  })
  .describe('The filing dossier (Liaoning Art. 12, Datong Art. 15): dates, filing party, documents.');

export const configSchema = z
  .strictObject({
    site: siteSchema,
    language: z
      .enum(['zh-CN', 'en'])
      .optional()
      .describe('Language of human-facing texts: console, CLI output, dossier, reports, register export headers. Default: the profile\'s (zh-CN for liaoning-2008 and datong).'),
    profile: z
      .string()
      .regex(PROFILE_ID_PATTERN, { message: 'must be a profile name such as liaoning-2008' })
      .describe('Jurisdiction profile: the name of a file in config/profiles/ (without .yaml).'),
    mqtt: mqttSchema.optional(),
    broker: brokerSchema.optional(),
    security: securitySchema.prefault({}),
    database: text().default('data/agent.db').describe('SQLite database file; relative to the working directory.'),
    storage: storageSchema.prefault({}),
    retention: retentionSchema.prefault({}),
    discovery: discoverySchema.prefault({}),
    cameras: z.array(cameraSchema).default([]).describe('The cameras of the site; may be empty.'),
    monitor: monitorSchema.prefault({}),
    console: consoleSchema.prefault({}),
    live: liveSchema.prefault({}),
    calendar: calendarSchema.prefault({}),
    filing: filingSchema.prefault({}),
  })
  .meta({ title: 'camera-edge-agent configuration' });

export type RawConfig = z.output<typeof configSchema>;
export type RawCamera = RawConfig['cameras'][number];
export type RawCredentials = {
  username?: string | undefined;
  password?: string | undefined;
  passwordFile?: string | undefined;
  passwordEnv?: string | undefined;
};
