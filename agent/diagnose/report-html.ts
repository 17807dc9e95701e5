// report.html: one self-contained page (inline CSS, thumbnails as files beside it,
// referenced relatively; nothing fetched from elsewhere) that prints on A4.
import type { Translator } from '../i18n/index.js';
import type { ReportTexts } from '../i18n/report.js';
import { checkText } from './checks.js';
import { cameraRows, checksOf, resultWord, statusWord, type InspectionDocument } from './report.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
@page { size: A4; margin: 15mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif;
  font-size: 10pt; line-height: 1.4; color: #111; margin: 0 auto; max-width: 182mm; }
h1 { font-size: 15pt; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 0.4mm solid #333; padding-bottom: 1mm; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 0 0 2mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.2mm solid #888; padding: 1mm 1.5mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.checks, table.own { table-layout: fixed; }
td.name { overflow-wrap: break-word; hyphens: none; }
th { background: #eee; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
table.meta th { width: 32mm; }
.result { font-size: 13pt; font-weight: bold; padding: 2mm 3mm; border: 0.5mm solid; display: inline-block; margin: 2mm 0; }
.s-pass { color: #11612b; border-color: #11612b; }
.s-warn { color: #8a5a00; border-color: #8a5a00; }
.s-fail { color: #a4161a; border-color: #a4161a; }
td.st { white-space: nowrap; font-weight: bold; }
td.advice { color: #333; }
.camera { border: 0.3mm solid #888; padding: 3mm; margin: 0 0 4mm; break-inside: avoid; page-break-inside: avoid; }
.camera .grid { display: flex; gap: 4mm; }
.camera .pic { flex: 0 0 62mm; }
.camera .pic img { width: 62mm; height: auto; border: 0.2mm solid #888; display: block; }
.camera .pic .none { width: 62mm; height: 35mm; border: 0.2mm dashed #888; display: flex; align-items: center; justify-content: center; color: #666; }
.camera .facts { flex: 1; }
.camera .facts th { width: 26mm; }
.prohibited { color: #a4161a; font-weight: bold; }
blockquote { margin: 1mm 0 3mm 4mm; padding-left: 3mm; border-left: 0.6mm solid #888; }
.note { color: #555; font-size: 9pt; }
.sign { display: flex; gap: 6mm; margin-top: 6mm; break-inside: avoid; page-break-inside: avoid; }
.sign div { flex: 1; border-top: 0.3mm solid #333; padding-top: 1mm; min-height: 16mm; }
footer { margin-top: 6mm; color: #555; font-size: 8.5pt; }
@media screen { body { padding: 10mm; } }
`;

export function renderHtml(doc: InspectionDocument, t: Translator<ReportTexts>, command: string): string {
  const e = escapeHtml;
  const meta: [string, string][] = [
    [t('site'), `${doc.site.name} (${doc.site.id})`],
    [t('profile'), `${doc.profile.name} (${doc.profile.id})`],
    [t('box'), `${t('hostname')} ${doc.box.hostname}; ${t('agentVersion')} ${doc.box.agentVersion}`],
    [t('startedAt'), `${doc.localTime} (${doc.site.timezone})`],
    [t('requester'), doc.requester],
    [t('scope'), doc.camera ? t('scopeOne', { id: doc.camera }) : t('scopeAll', { n: doc.cameras.length })],
  ];
  const checks = doc.checks
    .map((c) => {
      const said = checkText(c, doc.language);
      return `<tr><td class="name">${e(c.name)}</td><td class="st s-${c.status}">${e(statusWord(c.status, t))}</td><td>${e(said.detail)}</td><td class="advice">${e(said.advice ?? '')}</td></tr>`;
    })
    .join('\n');
  const cameras = doc.cameras
    .map((c) => {
      const pic = c.prohibited
        ? ''
        : `<div class="pic">${c.thumbnail ? `<img src="${e(c.thumbnail)}" alt="${e(c.id)}">` : `<div class="none">${e(t('noPicture'))}</div>`}</div>`;
      const rows = cameraRows(c, t)
        .map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`)
        .join('');
      const own = checksOf(doc, c.id)
        .map((k) => `<tr><td class="name">${e(k.name.slice(`camera ${c.id}: `.length))}</td><td class="st s-${k.status}">${e(statusWord(k.status, t))}</td><td>${e(checkText(k, doc.language).detail)}</td></tr>`)
        .join('');
      return `<section class="camera" data-camera="${e(c.id)}">
<h3>${e(c.id)} — <span class="s-${c.status}">${e(statusWord(c.status, t))}</span></h3>
${c.prohibited ? `<p class="prohibited">${e(t('prohibited'))}</p>` : ''}
<div class="grid">${pic}<div class="facts"><table>${rows}</table></div></div>
${own ? `<table class="own" style="margin-top:2mm"><colgroup><col style="width:22mm"><col style="width:15mm"><col></colgroup><tbody>${own}</tbody></table>` : ''}
</section>`;
    })
    .join('\n');
  const regs = doc.regulations.map((r) => `<p><strong>${e(r.citation)}</strong></p><blockquote>${e(r.text)}</blockquote>`).join('\n');
  return `<!DOCTYPE html>
<html lang="${e(doc.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(`${doc.site.name} — ${t('shortTitle')} ${doc.localTime}`)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${e(doc.title)}</h1>
<table class="meta">${meta.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>
<div class="result s-${doc.result}">${e(t('result'))}: ${e(resultWord(doc.result, t))}</div>
<p>${e(t('summary', doc.counts))}</p>
<h2>${e(t('regulations'))}</h2>
${regs}
<p class="note">${e(t('regulationNote'))}</p>
<h2>${e(t('checks'))}</h2>
<table class="checks">
<colgroup><col style="width:33mm"><col style="width:15mm"><col><col style="width:49mm"></colgroup>
<thead><tr><th>${e(t('colCheck'))}</th><th>${e(t('colStatus'))}</th><th>${e(t('colDetail'))}</th><th>${e(t('colAdvice'))}</th></tr></thead>
<tbody>
${checks}
</tbody>
</table>
<h2>${e(t('cameras'))}</h2>
${cameras}
<h2>${e(t('signatures'))}</h2>
<div class="sign"><div>${e(t('signInspector'))}</div><div>${e(t('signOperator'))}</div><div>${e(t('signPolice'))}</div></div>
<div class="sign"><div>${e(t('signDate'))}</div><div>${e(t('signDate'))}</div><div>${e(t('signDate'))}</div></div>
<footer>${e(t('generated', { cmd: command }))} ${e(doc.startedAt)}</footer>
</body>
</html>
`;
}
