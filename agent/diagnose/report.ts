// The acceptance / inspection report of one diagnose run (`cea diagnose --report DIR`):
// DIR/<site>-inspection-<YYYYMMDD-HHmmss>/ with report.html (prints on A4, no outside
// fetches), report.md, report.json and thumbnails/<camera>.jpg. The evidence an operator
// attaches to the Datong Art. 14 acceptance and the Liaoning Art. 14 (ii) inspection records.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig, Language } from '../config/index.js';
import { formatDateTime, translator, type Translator } from '../i18n/index.js';
import { reportTexts, type ReportTexts } from '../i18n/report.js';
import { countStatuses, worstStatus, type CameraReport, type Check, type CheckStatus } from './checks.js';
import { renderHtml } from './report-html.js';
import { renderMarkdown } from './report-md.js';
import type { DiagnoseRun } from './run.js';

export interface InspectionReportInput {
  run: DiagnoseRun;
  config: AgentConfig;
  lang: Language;
  /** cli:<OS user>, a platform key id, an operator account. */
  requester: string;
  hostname: string;
  agentVersion: string;
  /** The run was limited to this camera. */
  camera?: string;
  /** How the report was made, for its footer (e.g. "cea diagnose --report"). */
  command: string;
}

export interface Regulation {
  article: 'liaoning-14-ii' | 'datong-14';
  citation: string;
  text: string;
}

/** The report's content, language applied; report.json is this document. */
export interface InspectionDocument {
  kind: 'cea.inspection-report';
  version: 1;
  language: Language;
  title: string;
  site: { id: string; name: string; timezone: string };
  profile: { id: string; name: string };
  box: { hostname: string; agentVersion: string };
  startedAt: string;
  finishedAt: string;
  /** Start time in the site's zone, YYYY-MM-DD HH:mm:ss. */
  localTime: string;
  requester: string;
  camera: string | null;
  result: CheckStatus;
  counts: { total: number; pass: number; warn: number; fail: number };
  regulations: Regulation[];
  checks: Check[];
  cameras: CameraReport[];
}

export interface WrittenReport {
  dir: string;
  files: string[];
  document: InspectionDocument;
}

/** The articles the record serves, by the site's jurisdiction (both when it is neither). */
export function regulationsFor(profileId: string, t: Translator<ReportTexts>): Regulation[] {
  const liaoning: Regulation = { article: 'liaoning-14-ii', citation: t('regLiaoningCite'), text: t('regLiaoningText') };
  const datong: Regulation = { article: 'datong-14', citation: t('regDatongCite'), text: t('regDatongText') };
  if (profileId.startsWith('datong')) return [datong];
  if (profileId.startsWith('liaoning')) return [liaoning];
  return [datong, liaoning];
}

/** A name safe as a file name on every filesystem the box may write a report to. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';
}

export function buildDocument(x: InspectionReportInput): InspectionDocument {
  const t = translator(reportTexts, x.lang);
  const { report, startedMs, finishedMs } = x.run;
  const counts = { total: report.checks.length, ...countStatuses(report.checks) };
  const cameras = (report.cameras ?? []).map((c) => (x.run.thumbnails.has(c.id) ? { ...c, thumbnail: `thumbnails/${safeName(c.id)}.jpg` } : { ...c }));
  return {
    kind: 'cea.inspection-report',
    version: 1,
    language: x.lang,
    title: t('title'),
    site: { id: x.config.site.id, name: x.config.site.name, timezone: x.config.site.timezone },
    profile: { id: x.config.profile.id, name: x.config.profile.name },
    box: { hostname: x.hostname, agentVersion: x.agentVersion },
    startedAt: new Date(startedMs).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    localTime: formatDateTime(startedMs, x.config.site.timezone, { seconds: true }),
    requester: x.requester,
    camera: x.camera ?? null,
    result: worstStatus(report.checks.map((c) => c.status)),
    counts,
    regulations: regulationsFor(x.config.profile.id, t),
    checks: report.checks,
    cameras,
  };
}

/** Writes the report into a new dated directory under `parent`; returns where. */
export function writeInspectionReport(parent: string, x: InspectionReportInput): WrittenReport {
  const doc = buildDocument(x);
  const stamp = doc.localTime.replace(/[-:]/g, '').replace(' ', '-');
  const base = `${safeName(doc.site.id)}-inspection-${stamp}`;
  mkdirSync(parent, { recursive: true });
  // Two runs in the same second must not overwrite each other's evidence.
  let dir = join(parent, base);
  for (let i = 2; existsSync(dir); i += 1) dir = join(parent, `${base}-${i}`);
  mkdirSync(join(dir, 'thumbnails'), { recursive: true });
  const files: string[] = [];
  for (const c of doc.cameras) {
    const jpeg = x.run.thumbnails.get(c.id);
    if (jpeg && c.thumbnail) {
      writeFileSync(join(dir, c.thumbnail), jpeg);
      files.push(c.thumbnail);
    }
  }
  const t = translator(reportTexts, x.lang);
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(doc, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), renderMarkdown(doc, t, x.command));
  writeFileSync(join(dir, 'report.html'), renderHtml(doc, t, x.command));
  files.push('report.json', 'report.md', 'report.html');
  return { dir, files, document: doc };
}

// ---- shared by the two renderers ----

export function statusWord(s: CheckStatus, t: Translator<ReportTexts>): string {
  return s === 'pass' ? t('statusPass') : s === 'warn' ? t('statusWarn') : t('statusFail');
}

export function resultWord(s: CheckStatus, t: Translator<ReportTexts>): string {
  return s === 'pass' ? t('resultPass') : s === 'warn' ? t('resultWarn') : t('resultFail');
}

export function verdictWord(v: 'ok' | 'degraded' | 'fault', t: Translator<ReportTexts>): string {
  return v === 'ok' ? t('verdictOk') : v === 'degraded' ? t('verdictDegraded') : t('verdictFault');
}

export function faultWord(code: string, t: Translator<ReportTexts>): string {
  const key = `fault_${code}` as keyof ReportTexts;
  return key in reportTexts ? (t as (k: keyof ReportTexts) => string)(key) : code;
}

/** The label/value rows of one camera section. */
export function cameraRows(c: CameraReport, t: Translator<ReportTexts>): [string, string][] {
  const rows: [string, string][] = [
    [t('cameraName'), c.name],
    [t('location'), `${c.location.description} (${c.location.kind})`],
  ];
  if (c.prohibited) return rows;
  if (c.identity) {
    rows.push([t('manufacturer'), c.identity.manufacturer], [t('model'), c.identity.model], [t('firmware'), c.identity.firmware], [t('serial'), c.identity.serial]);
  } else rows.push([t('model'), t('identityUnknown')]);
  if (c.stream) {
    const s = c.stream;
    const enc = [s.encoding, s.width !== null && s.height !== null ? `${s.width}x${s.height}` : null, s.fps !== null ? `${s.fps} fps` : null, s.bitrateKbps !== null ? `${s.bitrateKbps} kbit/s` : null]
      .filter((v): v is string => v !== null)
      .join(', ');
    rows.push([t('stream'), `${s.profile}: ${s.uri}${enc ? ` (${enc})` : ''}`]);
  }
  if (c.rtsp) rows.push([t('rtsp'), `${c.rtsp.codec} ${c.rtsp.width}x${c.rtsp.height}${c.rtsp.fps !== null ? ` @${c.rtsp.fps.toFixed(1)} fps` : ''}, ${Math.round(c.rtsp.bitrate / 1000)} kbit/s`]);
  if (c.clockOffsetMs !== null) rows.push([t('clock'), t('clockValue', { s: (Math.abs(c.clockOffsetMs) / 1000).toFixed(1), ahead: c.clockOffsetMs >= 0 })]);
  if (c.snapshot) rows.push([t('snapshot'), `${c.snapshot.width}x${c.snapshot.height} JPEG, ${c.snapshot.bytes} bytes`]);
  if (c.clarity) {
    const k = c.clarity;
    const against = k.judgedAgainst === 'baseline' ? t('judgedBaseline', { mode: k.mode }) : t('judgedDefaults');
    rows.push([t('clarity'), `${verdictWord(k.verdict, t)}; ${against}`]);
    if (k.faults.length > 0) rows.push([t('faults'), k.faults.map((f) => `${faultWord(f, t)} (${f})`).join(', ')]);
  }
  return rows;
}

/** A camera's own checks (by the "camera <id>: " prefix). */
export function checksOf(doc: InspectionDocument, id: string): Check[] {
  return doc.checks.filter((c) => c.name.startsWith(`camera ${id}: `));
}
