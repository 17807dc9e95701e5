// report.md: the same report as Markdown (for a ticket, an e-mail, or pandoc to PDF/DOCX).
import type { Translator } from '../i18n/index.js';
import type { ReportTexts } from '../i18n/report.js';
import { checkText } from './checks.js';
import { cameraRows, checksOf, resultWord, statusWord, type InspectionDocument } from './report.js';

/**
 * Text from the config or a camera, made inert: no raw HTML (`<`) and no links (`[`) when
 * the Markdown is rendered (pandoc passes raw HTML through); code spans stay.
 */
function text(s: string): string {
  return s.replace(/([\\<[])/g, '\\$1');
}

/** A table cell: inert text, no line breaks, pipes escaped. */
function cell(s: string): string {
  return text(s).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

export function renderMarkdown(doc: InspectionDocument, t: Translator<ReportTexts>, command: string): string {
  const out: string[] = [];
  out.push(`# ${doc.title}`, '');
  out.push(`| | |`, `|---|---|`);
  out.push(`| ${t('site')} | ${cell(`${doc.site.name} (${doc.site.id})`)} |`);
  out.push(`| ${t('profile')} | ${cell(`${doc.profile.name} (${doc.profile.id})`)} |`);
  out.push(`| ${t('box')} | ${cell(`${t('hostname')} ${doc.box.hostname}; ${t('agentVersion')} ${doc.box.agentVersion}`)} |`);
  out.push(`| ${t('startedAt')} | ${cell(`${doc.localTime} (${doc.site.timezone})`)} |`);
  out.push(`| ${t('requester')} | ${cell(doc.requester)} |`);
  out.push(`| ${t('scope')} | ${cell(doc.camera ? t('scopeOne', { id: doc.camera }) : t('scopeAll', { n: doc.cameras.length }))} |`, '');
  out.push(`**${t('result')}: ${resultWord(doc.result, t)}** — ${t('summary', doc.counts)}`, '');
  out.push(`## ${t('regulations')}`, '');
  for (const r of doc.regulations) out.push(`**${r.citation}**`, '', `> ${r.text}`, '');
  out.push(`_${t('regulationNote')}_`, '');
  out.push(`## ${t('checks')}`, '');
  out.push(`| ${t('colCheck')} | ${t('colStatus')} | ${t('colDetail')} | ${t('colAdvice')} |`, '|---|---|---|---|');
  for (const c of doc.checks) {
    const said = checkText(c, doc.language);
    out.push(`| ${cell(c.name)} | ${statusWord(c.status, t)} | ${cell(said.detail)} | ${cell(said.advice ?? '')} |`);
  }
  out.push('');
  out.push(`## ${t('cameras')}`, '');
  for (const c of doc.cameras) {
    out.push(`### ${text(c.id)} — ${statusWord(c.status, t)}`, '');
    if (c.prohibited) out.push(`**${t('prohibited')}**`, '');
    else out.push(c.thumbnail ? `![${text(c.id).replace(/]/g, '\\]')}](${c.thumbnail})` : `_${t('noPicture')}_`, '');
    out.push('| | |', '|---|---|');
    for (const [k, v] of cameraRows(c, t)) out.push(`| ${cell(k)} | ${cell(v)} |`);
    out.push('');
    const own = checksOf(doc, c.id);
    if (own.length > 0) {
      for (const k of own) out.push(`- ${statusWord(k.status, t)} — ${text(k.name.slice(`camera ${c.id}: `.length))}: ${text(checkText(k, doc.language).detail.replace(/\r?\n/g, ' '))}`);
      out.push('');
    }
  }
  out.push(`## ${t('signatures')}`, '');
  out.push(`${t('signInspector')}: ____________  ${t('signDate')}: ________`, '');
  out.push(`${t('signOperator')}: ____________  ${t('signDate')}: ________`, '');
  out.push(`${t('signPolice')}: ____________  ${t('signDate')}: ________`, '');
  out.push('---', '', `${t('generated', { cmd: command })} ${doc.startedAt}`, '');
  return out.join('\n');
}
