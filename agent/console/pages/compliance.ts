// Compliance: change reports with their deadlines counted down in working days (Liaoning
// Art. 12: three working days), the filing dossier's status and missing documents, and
// the cameras in prohibited places.
import type { PageRequest, PageResponse } from '../contract.js';
import { changeReports, dossier } from '../queries.js';
import { classify } from '../../changes/policy.js';
import type { ChangeReport } from '../../changes/store.js';
import { localDate, workingDaysBetween, type WorkingDayCalendar } from '../../calendar/index.js';
import { html, type Html } from './html.js';
import { page, placeName, t, when, type T } from './layout.js';
import { filingStatusText, missingLines } from '../../filing/render.js';

export function countdown(tr: T, cal: WorkingDayCalendar, report: ChangeReport, today: string): Html {
  if (report.state === 'acknowledged') return html`${report.receiptNo ? tr('compliance.receipt', { no: report.receiptNo }) : ''}`;
  const unknown = report.calendarKnown ? '' : html` <span class="muted">${tr('compliance.calendarUnknown')}</span>`;
  if (today > report.deadline) return html`<span class="badge bad">${tr('compliance.overdueBy', { n: Math.max(1, workingDaysBetween(cal, report.deadline, today)) })}</span>${unknown}`;
  if (today === report.deadline) return html`<span class="badge warn">${tr('compliance.lastDay')}</span>${unknown}`;
  const left = workingDaysBetween(cal, today, report.deadline);
  return html`<span class="badge ${left <= 1 ? 'warn' : 'ok'}">${tr('compliance.left', { n: left })}</span>${unknown}`;
}

export async function compliancePage(req: PageRequest, calendar: () => WorkingDayCalendar): Promise<PageResponse> {
  const tr = t(req);
  const { services } = req;
  const cfg = services.config;
  const now = services.now();
  const cal = calendar();
  const today = localDate(now, cfg.site.timezone);
  const reports = changeReports(services.db);
  const d = await dossier(services.db, cfg, now);
  const names = new Map(cfg.cameras.map((c) => [c.id, c.name]));
  const open = reports.filter((r) => r.state !== 'acknowledged');
  const overdue = open.filter((r) => r.state === 'overdue' || today > r.deadline);
  const prohibited = cfg.cameras.filter((c) => c.prohibited);
  const filing = d.filing;
  const filingCls = filing.status === 'filed' ? 'ok' : filing.status === 'overdue' ? 'bad' : filing.status === 'due' ? 'warn' : 'none';
  const filingLine = html`<span class="badge ${filingCls}" data-filing="${filing.status}">${filingStatusText(filing, req.lang)}</span>`;

  const body = html`
<div class="panel summary">
  <span>${tr('compliance.reports')}: <span class="badge ${open.length ? 'warn' : 'ok'}">${tr('compliance.state.pending')} ${open.length - overdue.length}</span> <span class="badge ${overdue.length ? 'bad' : 'ok'}">${tr('compliance.state.overdue')} ${overdue.length}</span> <span class="badge ok">${tr('compliance.state.acknowledged')} ${reports.length - open.length}</span></span>
  <span>${tr('compliance.filing')}: ${filingLine}</span>
  <span>${tr('compliance.prohibited')}: <span class="badge ${prohibited.length ? 'bad' : 'ok'}">${prohibited.length}</span></span>
</div>
<h2>${tr('compliance.reports')}</h2>
${reports.length === 0
  ? html`<p class="muted">${tr('compliance.noReports')}</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${tr('compliance.number')}</th><th scope="col">${tr('compliance.detected')}</th><th scope="col">${tr('compliance.cameras')}</th><th scope="col">${tr('compliance.changes')}</th><th scope="col">${tr('compliance.deadline')}</th><th scope="col">${tr('compliance.state')}</th></tr></thead>
<tbody>${reports.map(
      (r) => html`<tr data-report="${r.id}" data-state="${r.state}"><td>${r.number}</td><td>${when(req, Date.parse(r.detectedAt))}</td>
<td>${r.cameras.length ? r.cameras.map((id, i) => html`${i ? ', ' : ''}<a href="/cameras/${encodeURIComponent(id)}">${names.get(id) ?? id}</a>`) : '—'}</td>
<td>${classify(r.changes).map((k) => k.kind).join(', ')}<br><span class="muted">${r.changes.length} × ${r.changes
        .slice(0, 3)
        .map((c) => c.path)
        .join(', ')}${r.changes.length > 3 ? ' …' : ''}</span></td>
<td>${r.deadline}<br>${countdown(tr, cal, r, today)}</td>
<td>${tr(`compliance.state.${r.state}`)}${r.acknowledgedAt ? html`<br><span class="muted">${when(req, Date.parse(r.acknowledgedAt))}</span>` : ''}</td></tr>`,
    )}</tbody></table></div>`}
<h2>${tr('compliance.filing')}</h2>
<div class="panel">
  <p>${filingLine} ${d.complete ? html`<span class="badge ok">${tr('compliance.filing.complete')}</span>` : ''}</p>
  ${d.missing.length > 0 ? html`<h3>${tr('compliance.filing.missing')}</h3><ul>${missingLines(d, req.lang).map((line) => html`<li>${line}</li>`)}</ul>` : ''}
  ${d.documents.length > 0
    ? html`<h3>${tr('compliance.filing.documents')}</h3><div class="table-wrap"><table><tbody>${d.documents.map(
        (doc) => html`<tr><td>${doc.title}</td><td class="mono">${doc.path}</td><td><span class="badge ${doc.state === 'present' ? 'ok' : 'bad'}">${tr(`compliance.doc.${doc.state}`)}</span></td><td class="mono">${doc.sha256 ? doc.sha256.slice(0, 16) : ''}</td></tr>`,
      )}</tbody></table></div>`
    : ''}
</div>
<h2>${tr('compliance.prohibited')}</h2>
${prohibited.length === 0
  ? html`<p class="muted">${tr('compliance.noProhibited')}</p>`
  : html`<p class="notice bad">${tr('compliance.prohibitedNote')}</p><ul>${prohibited.map((c) => html`<li data-prohibited="${c.id}"><a href="/cameras/${encodeURIComponent(c.id)}">${c.name}</a> <span class="mono">${c.id}</span> — ${placeName(req, c.location.kind)}: ${c.location.description}</li>`)}</ul>`}`;
  return page(req, { title: tr('compliance.title'), section: 'compliance', body });
}
