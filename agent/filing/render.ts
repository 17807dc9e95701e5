// The dossier for people and for print, in Simplified Chinese or English: a cover table
// naming the articles the filing serves, what is missing, the equipment (identity, then
// encoders), retention, documents, notes. One document model, two outputs: Markdown (the
// terminal, a repository) and a self-contained HTML page laid out for A4 paper (what the
// operator prints, seals and hands to the filing authority). Pure.
// Unknown values print as "—"; a missing document is marked MISSING, never given a hash.
// Times print in the site's time zone; the JSON dossier keeps the ISO instants.
import { dossierCatalog } from '../i18n/dossier.js';
import { formatDateTime, translator, type Language, type Translator } from '../i18n/index.js';
import type { Dossier, FilingDeadline, MissingItem } from './policy.js';

const UNKNOWN = '—';

type Inline = string | number | boolean | null | undefined | { strong: string } | { code: string };
type Text = Inline | Inline[];

type Block =
  | { kind: 'h'; level: 1 | 2 | 3; text: Text }
  | { kind: 'p'; text: Text }
  | { kind: 'table'; headers: string[]; rows: Text[][]; className?: string }
  | { kind: 'list'; items: Text[] }
  | { kind: 'signatures'; lines: string[] };

type T = Translator<typeof dossierCatalog>;

function has(key: string): key is keyof typeof dossierCatalog {
  return Object.prototype.hasOwnProperty.call(dossierCatalog, key);
}

/** A parameterless entry looked up by a computed key (checked with has() first). */
function plain(t: T, key: string): string {
  return (t as unknown as (k: string) => string)(key);
}

/** A catalog entry chosen by a code (document kind, place, problem …); the code itself when there is none. */
function byCode(t: T, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return has(key) && typeof dossierCatalog[key]['en'] === 'string' ? plain(t, key) : code;
}

function when(iso: string | null | undefined, zone: string): string | null {
  if (iso === null || iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatDateTime(ms, zone);
}

/** "due in 12 days", "已逾期 3 日", … */
export function filingStatusText(d: FilingDeadline, lang: Language): string {
  const t = translator(dossierCatalog, lang);
  switch (d.status) {
    case 'filed':
      return d.filed
        ? t('status.filedOn', { date: d.filed.date, receipt: d.filed.receiptNo, lateAfter: d.filed.inTime === false ? (d.deadline ?? '') : null })
        : t('status.filed');
    case 'not_due':
      return d.from === null ? t('status.notDueNoDate') : t('status.notDueYet', { from: d.from });
    case 'due':
      return d.daysLeft === 0 ? t('status.dueToday') : t('status.dueIn', { n: d.daysLeft ?? 0 });
    case 'overdue':
      return t('status.overdue', { n: -(d.daysLeft ?? 0) });
  }
}

function missingText(m: MissingItem, d: Dossier, t: T): Text {
  let detail = m.detail;
  if (m.what === 'document') {
    const doc = d.documents.find((x) => x.kind === m.ref && x.state !== 'present' && `${x.path}: ${x.problem ?? x.state}` === m.detail);
    detail = doc ? `${doc.path}${t('colon')}${byCode(t, 'problem', doc.problem ?? doc.state)}` : t('missing.notListed', { kind: byCode(t, 'doc', m.ref) });
  } else if (m.what === 'inventory') detail = t('missing.neverInterrogated');
  else if (m.ref === 'cameras') detail = t('missing.noCameras');
  else if (m.ref === 'filing.operator') detail = t('missing.noOperator');
  return [{ strong: byCode(t, 'missing', m.what) }, ' ', { code: m.ref }, t('colon'), detail];
}

/** The register's one-row summary of the filing (agent/register/rows.ts dossierRow), in one language. */
export function dossierSummaryText(d: Dossier, lang: Language): string {
  const t = translator(dossierCatalog, lang);
  const head = `${t('cover.status')}${t('colon')}${filingStatusText(d.filing, lang)}`;
  return [head, d.complete ? t('complete') : t('incomplete', { n: d.missing.length }), ...missingLines(d, lang)].join('\n');
}

/** What the dossier still lacks, one plain line each (the command's stderr). */
export function missingLines(d: Dossier, lang: Language): string[] {
  const t = translator(dossierCatalog, lang);
  const plainText = (x: Text): string => (Array.isArray(x) ? x : [x]).map((i) => (i !== null && typeof i === 'object' ? ('strong' in i ? i.strong : i.code) : String(i ?? ''))).join('');
  return d.missing.map((m) => plainText(missingText(m, d, t)));
}

function bytes(n: number | null, t: T): string | null {
  if (n === null) return null;
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return t('bytes', { size: `${v.toFixed(1)} ${units[i] ?? ''}`, n });
}

function notes(d: Dossier, t: T): string[] {
  const out: string[] = [];
  if (d.inventorySource === 'config_only') out.push(t('note.configOnly', { problem: d.inventoryProblem ?? t('note.noDatabase') }));
  if (d.filing.countsFrom === 'acceptance' && d.filing.inUseSince !== null) out.push(t('note.acceptanceFirst'));
  if (d.filing.existingSystem && d.filing.from !== null) {
    out.push(t('note.existing', { days: d.filing.days, from: d.filing.countsFrom === 'in_use' ? 'in_use' : 'acceptance' }));
  }
  for (const e of d.equipment.filter((x) => x.prohibited)) out.push(t('note.prohibited', { id: e.id, kind: byCode(t, 'place', e.location.kind) }));
  if (d.unconfiguredDevices.length > 0) out.push(t('note.unconfigured', { n: d.unconfiguredDevices.length }));
  return out;
}

/** The regulation's title and the articles the filing serves, for the profile; null for an unknown profile. */
function regulation(d: Dossier, t: T): { title: string; articles: string | null; retention: string } {
  const id = d.profile.id;
  return {
    title: has(`regulation.${id}`) ? plain(t, `regulation.${id}`) : d.profile.name,
    articles: has(`articles.${id}`) ? plain(t, `articles.${id}`) : null,
    retention: has(`retentionBasis.${id}`) ? plain(t, `retentionBasis.${id}`) : t('retentionBasis.other', { profile: id }),
  };
}

/** The dossier as a document model, in one language. */
export function dossierBlocks(d: Dossier, lang: Language): Block[] {
  const t = translator(dossierCatalog, lang);
  const f = d.filing;
  const zone = d.site.timezone;
  const paren = (a: string, b: string) => (lang === 'zh-CN' ? `${a}（${b}）` : `${a} (${b})`);
  const law = regulation(d, t);
  const out: Block[] = [];

  out.push({ kind: 'h', level: 1, text: t('title', { site: paren(d.site.name, d.site.id) }) });
  out.push({ kind: 'p', text: t('subtitle', { regulation: law.title, profile: d.profile.id }) });
  if (law.articles !== null) out.push({ kind: 'p', text: t('basis', { articles: law.articles }) });

  const period =
    f.countsFrom === null
      ? t('period.noDate', { days: f.days })
      : t(f.countsFrom === 'acceptance' ? 'period.fromAcceptance' : 'period.fromUse', { days: f.days, from: f.from ?? UNKNOWN });
  out.push({
    kind: 'table',
    className: 'cover',
    headers: [t('cover.item'), t('cover.value')],
    rows: [
      [t('cover.site'), t('cover.siteValue', { name: d.site.name, id: d.site.id, zone })],
      [t('cover.operator'), f.operator],
      [t('cover.contact'), f.contact],
      [t('cover.authority'), f.authority],
      [t('cover.acceptedOn'), f.acceptedOn],
      [t('cover.inUseSince'), f.inUseSince],
      [t('cover.existingSystem'), f.existingSystem ? t('yes') : t('no')],
      [t('cover.period'), period],
      [t('cover.deadline'), f.deadline],
      [t('cover.status'), { strong: filingStatusText(f, lang) }],
      [t('cover.generated'), t('cover.generatedValue', { at: when(d.generatedAt, zone) ?? d.generatedAt, zone })],
    ],
  });

  out.push({ kind: 'h', level: 2, text: d.complete ? t('complete') : t('incomplete', { n: d.missing.length }) });
  if (d.complete) out.push({ kind: 'p', text: t('completeText') });
  else out.push({ kind: 'list', items: d.missing.map((m) => missingText(m, d, t)) });

  out.push({ kind: 'h', level: 2, text: t('equipment', { n: d.equipment.length }) });
  out.push({ kind: 'p', text: t('equipmentText') });
  out.push({
    kind: 'table',
    className: 'equipment',
    headers: t('equipment.headers').split('|'),
    rows: d.equipment.map((e) => [
      e.prohibited ? `${e.id}${t('prohibitedPlace')}` : e.id,
      e.name,
      `${byCode(t, 'place', e.location.kind)}${t('colon')}${e.location.description}`,
      e.purpose,
      e.manufacturer,
      e.model,
      e.firmware,
      e.serial,
      when(e.lastSeen, zone) ?? (e.interrogated ? null : t('neverInterrogated')),
    ]),
  });
  const encoders = d.equipment.flatMap((e) =>
    e.profiles.map((p): Text[] => [
      e.id,
      `${p.name} (${p.token})`,
      p.encoding,
      p.width !== null && p.height !== null ? `${p.width}×${p.height}` : null,
      p.fps,
      p.bitrate,
      p.gop,
    ]),
  );
  out.push({ kind: 'h', level: 3, text: t('encoders') });
  out.push(encoders.length > 0 ? { kind: 'table', headers: t('encoders.headers').split('|'), rows: encoders } : { kind: 'p', text: t('encoders.none') });

  out.push({ kind: 'h', level: 2, text: t('retention') });
  out.push({
    kind: 'table',
    className: 'retention',
    headers: t('retention.headers').split('|'),
    rows: [
      [t('retention.floor'), d.retention.floorDays],
      [t('retention.legal', { basis: law.retention }), d.retention.profileFloorDays],
      [t('retention.ceiling'), d.retention.ceilingDays],
      [t('retention.vital', { basis: law.retention }), d.retention.vitalHoldDays],
    ],
  });

  out.push({ kind: 'h', level: 2, text: t('documents') });
  out.push(
    d.documents.length > 0
      ? {
          kind: 'table',
          className: 'documents',
          headers: t('documents.headers').split('|'),
          rows: d.documents.map((doc) =>
            doc.state === 'present'
              ? [byCode(t, 'doc', doc.kind), doc.title, doc.path, bytes(doc.bytes, t), doc.sha256 === null ? null : { code: doc.sha256 }, when(doc.modifiedAt, zone)]
              : [byCode(t, 'doc', doc.kind), doc.title, doc.path, [{ strong: t('documents.missing') }, `${t('colon')}${byCode(t, 'problem', doc.problem ?? doc.state)}`], null, null],
          ),
        }
      : { kind: 'p', text: t('documents.none') },
  );

  if (d.unconfiguredDevices.length > 0) {
    out.push({ kind: 'h', level: 2, text: t('unconfigured') });
    out.push({
      kind: 'table',
      headers: t('unconfigured.headers').split('|'),
      rows: d.unconfiguredDevices.map((u) => [u.urn, u.xaddrs.join(' '), when(u.firstSeen, zone), when(u.lastSeen, zone)]),
    });
  }

  const n = notes(d, t);
  if (n.length > 0) {
    out.push({ kind: 'h', level: 2, text: t('notes') });
    out.push({ kind: 'list', items: n });
  }
  out.push({ kind: 'signatures', lines: [t('signature.operator'), t('signature.authority')] });
  return out;
}

// ---- Markdown ----

function mdText(text: Text): string {
  const parts = Array.isArray(text) ? text : [text];
  const one = (i: Inline): string => {
    if (i === null || i === undefined || i === '') return '';
    if (typeof i === 'object') return 'strong' in i ? `**${mdEscape(i.strong)}**` : `\`${i.code}\``;
    return mdEscape(String(i));
  };
  return parts.map(one).join('');
}

/** Pipes and line breaks would break a table; '<' would start HTML. */
function mdEscape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, '<br>');
}

function isEmpty(text: Text): boolean {
  return Array.isArray(text) ? text.every(isEmpty) : text === null || text === undefined || text === '';
}

function mdCell(text: Text): string {
  return isEmpty(text) ? UNKNOWN : mdText(text);
}

export function renderDossierMarkdown(d: Dossier, lang: Language = 'en'): string {
  const out: string[] = [];
  for (const b of dossierBlocks(d, lang)) {
    if (b.kind === 'h') out.push(`${'#'.repeat(b.level)} ${mdText(b.text)}`, '');
    else if (b.kind === 'p') out.push(mdText(b.text), '');
    else if (b.kind === 'list') out.push(...b.items.map((i) => `- ${mdText(i)}`), '');
    else if (b.kind === 'table') {
      out.push(`| ${b.headers.join(' | ')} |`, `|${b.headers.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), '');
    }
    // The signature lines are for paper: the HTML carries them.
  }
  return `${out.join('\n').trimEnd()}\n`;
}

// ---- HTML for A4 ----

function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlText(text: Text): string {
  const parts = Array.isArray(text) ? text : [text];
  const one = (i: Inline): string => {
    if (i === null || i === undefined || i === '') return '';
    if (typeof i === 'object') return 'strong' in i ? `<strong>${htmlEscape(i.strong)}</strong>` : `<code>${htmlEscape(i.code)}</code>`;
    // Catalog texts mark config keys as `key`; user text rarely holds backticks.
    return htmlEscape(String(i))
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\r?\n/g, '<br>');
  };
  return parts.map(one).join('');
}

/**
 * Print rules: A4 portrait, margins for binding, table headers repeated on every page,
 * rows never split across pages, long unbreakable values (hashes, paths, serials) wrap
 * inside their cell instead of running off the paper. CJK serif fonts first for zh-CN.
 */
const A4_CSS = `@page { size: A4 portrait; margin: 18mm 15mm 18mm 20mm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 175mm; font: 10.5pt/1.5 "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", serif; color: #000; }
body[lang=en] { font-family: "Noto Serif", "Times New Roman", "Noto Serif CJK SC", serif; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 6mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 2mm; break-after: avoid; page-break-after: avoid; }
p { margin: 0 0 2mm; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 0 0 3mm; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.5pt solid #333; padding: 1.2mm 1.5mm; vertical-align: top; text-align: left; overflow-wrap: anywhere; word-break: break-word; }
th { background: #eee; }
table.cover { font-size: 10pt; }
table.cover th:first-child { width: 32%; }
table.retention th:last-child { width: 15%; }
code { font: 8pt/1.3 "DejaVu Sans Mono", "Noto Sans Mono", monospace; word-break: break-all; }
ul { margin: 0 0 3mm; padding-left: 6mm; }
.signatures { margin-top: 12mm; break-inside: avoid; page-break-inside: avoid; }
.signatures p { margin: 0 0 10mm; }
.signatures span { display: inline-block; min-width: 60mm; border-bottom: 0.5pt solid #000; }`;

export function renderDossierHtml(d: Dossier, lang: Language = 'en'): string {
  const t = translator(dossierCatalog, lang);
  const body: string[] = [];
  for (const b of dossierBlocks(d, lang)) {
    if (b.kind === 'h') body.push(`<h${b.level}>${htmlText(b.text)}</h${b.level}>`);
    else if (b.kind === 'p') body.push(`<p>${htmlText(b.text)}</p>`);
    else if (b.kind === 'list') body.push(`<ul>${b.items.map((i) => `<li>${htmlText(i)}</li>`).join('')}</ul>`);
    else if (b.kind === 'table') {
      const cls = b.className ? ` class="${b.className}"` : '';
      const head = `<thead><tr>${b.headers.map((h) => `<th>${htmlEscape(h)}</th>`).join('')}</tr></thead>`;
      const rows = b.rows.map((r) => `<tr>${r.map((c) => `<td>${isEmpty(c) ? UNKNOWN : htmlText(c)}</td>`).join('')}</tr>`).join('\n');
      body.push(`<table${cls}>${head}<tbody>\n${rows}\n</tbody></table>`);
    } else {
      const date = t('signature.date');
      body.push(`<div class="signatures"><h2>${htmlEscape(t('signature'))}</h2>${b.lines.map((l) => `<p>${htmlEscape(l)} <span></span> ${htmlEscape(date)} <span style="min-width:30mm"></span></p>`).join('')}</div>`);
    }
  }
  const title = htmlEscape(t('title', { site: `${d.site.name} (${d.site.id})` }));
  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>
${A4_CSS}
</style>
</head>
<body lang="${lang}">
${body.join('\n')}
</body>
</html>
`;
}
