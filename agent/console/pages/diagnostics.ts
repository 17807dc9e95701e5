// Diagnostics: run `diagnose` from the console (an operator; recorded as an inspection
// with source "console" by the service) and the history of inspections. Check details and
// advice are rendered in the reader's language from their codes (agent/i18n/diagnose.ts).
import type { PageRequest, PageResponse } from '../contract.js';
import { roleAtLeast } from '../contract.js';
import { listInspections } from '../../diagnose/inspections.js';
import { checkText, type Check, type DiagnoseReport } from '../../diagnose/checks.js';
import type { Language } from '../../i18n/index.js';
import { html, type Html } from './html.js';
import { csrfField, page, t, when, type T } from './layout.js';
import { consoleRequester } from './views.js';

function statusBadge(tr: T, status: string): Html {
  const known = status === 'pass' || status === 'warn' || status === 'fail';
  return html`<span class="badge ${status}">${known ? tr(`diag.status.${status as 'pass'}`) : status}</span>`;
}

function isReport(v: unknown): v is DiagnoseReport {
  return typeof v === 'object' && v !== null && Array.isArray((v as { checks?: unknown }).checks);
}

function resultHtml(tr: T, lang: Language, report: DiagnoseReport): Html {
  const order: Record<string, number> = { fail: 0, warn: 1, pass: 2 };
  const checks = [...report.checks].sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3));
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${tr('diag.check')}</th><th scope="col">${tr('diag.status')}</th><th scope="col">${tr('diag.detail')}</th><th scope="col">${tr('diag.advice')}</th></tr></thead>
<tbody>${checks.map((c: Check) => {
    const said = checkText(c, lang);
    return html`<tr data-check="${c.name}" data-status="${c.status}"><td class="mono">${c.name}</td><td>${statusBadge(tr, c.status)}</td><td>${said.detail}</td><td>${said.advice ?? ''}</td></tr>`;
  })}</tbody>
</table></div>`;
}

export function diagnosticsPage(req: PageRequest, result: Html | null = null, status = 200): PageResponse {
  const tr = t(req);
  const history = listInspections(req.services.db, { limit: 50 });
  const canRun = roleAtLeast(req.user.role, 'operator');
  const body = html`
${canRun
  ? html`<form method="post" action="/diagnostics/run" class="panel">${csrfField(req)}<p>${tr('diag.runNote')}</p><button type="submit">${tr('diag.run')}</button></form>`
  : html`<p class="muted">${tr('diag.operatorOnly')}</p>`}
${result ? html`<h2>${tr('diag.result')}</h2>${result}` : ''}
<h2>${tr('diag.history')}</h2>
${history.length === 0
  ? html`<p class="muted">${tr('diag.noHistory')}</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${tr('diag.when')}</th><th scope="col">${tr('diag.source')}</th><th scope="col">${tr('diag.by')}</th><th scope="col">${tr('diag.status')}</th><th scope="col" class="num">${tr('diag.counts')}</th><th scope="col">${tr('diag.detail')}</th></tr></thead>
<tbody>${history.map(
      (i) => html`<tr data-inspection="${i.id}"><td>${when(req, Date.parse(i.at))}</td><td>${i.source}</td><td class="mono">${i.requester}</td><td>${statusBadge(tr, i.result)}</td><td class="num">${i.pass} / ${i.warn} / ${i.fail}</td>
<td>${i.summary.slice(0, 5).map((s) => html`<div><span class="mono">${s.name}</span>: ${checkText(s, req.lang).detail}</div>`)}${i.summary.length > 5 ? html`<div class="muted">+${i.summary.length - 5}</div>` : ''}</td></tr>`,
    )}</tbody></table></div>`}`;
  return page(req, { title: tr('diag.title'), section: 'diagnostics', body, status });
}

export async function runDiagnoseAction(req: PageRequest): Promise<PageResponse> {
  const tr = t(req);
  try {
    const report = await req.services.diagnose(consoleRequester(req));
    if (!isReport(report)) return diagnosticsPage(req, html`<p class="notice bad">${tr('diag.failed', { message: 'no checks' })}</p>`, 500);
    return diagnosticsPage(req, resultHtml(tr, req.lang, report));
  } catch (err) {
    return diagnosticsPage(req, html`<p class="notice bad" role="alert">${tr('diag.failed', { message: (err as Error).message })}</p>`, 500);
  }
}
