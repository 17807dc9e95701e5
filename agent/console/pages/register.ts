// The access register: search (camera, requester, use, date range), the hash chain's
// verification, CSV export (the export is itself a use, registered first).
import type { PageRequest, PageResponse } from '../contract.js';
import { registerEntries, registerVerbs, registerVerdict, type RegisterFilter } from '../queries.js';
import { accessRow } from '../../access/register.js';
import { registerCsv } from '../../register/csv.js';
import { calendarDaysAfter, isDate, startOfLocalDay } from '../../calendar/index.js';
import { html } from './html.js';
import { csrfField, page, t, when } from './layout.js';
import { consoleRequester } from './views.js';

const SHOWN = 500;

export function registerFilter(params: URLSearchParams, timeZone: string): RegisterFilter {
  const text = (k: string) => {
    const v = params.get(k)?.trim();
    return v ? v : null;
  };
  const day = (k: string, plus: number) => {
    const v = text(k);
    return v && isDate(v) ? startOfLocalDay(calendarDaysAfter(v, plus), timeZone).getTime() : null;
  };
  return { camera: text('camera'), requester: text('requester'), verb: text('verb'), fromMs: day('from', 0), toMs: day('to', 1) };
}

function filterFields(req: PageRequest, params: URLSearchParams, verbs: string[]) {
  const tr = t(req);
  const v = (k: string) => params.get(k) ?? '';
  return html`<label>${tr('register.camera')}<select name="camera"><option value="">${tr('register.any')}</option>${req.services.config.cameras.map(
    (c) => html`<option value="${c.id}"${v('camera') === c.id ? html` selected` : ''}>${c.name} (${c.id})</option>`,
  )}</select></label>
<label>${tr('register.requester')}<input name="requester" value="${v('requester')}" size="14"></label>
<label>${tr('register.verb')}<select name="verb"><option value="">${tr('register.any')}</option>${verbs.map((x) => html`<option${v('verb') === x ? html` selected` : ''}>${x}</option>`)}</select></label>
<label>${tr('register.from')}<input type="date" name="from" value="${v('from')}"></label>
<label>${tr('register.to')}<input type="date" name="to" value="${v('to')}"></label>`;
}

export function registerPage(req: PageRequest): PageResponse {
  const tr = t(req);
  const { services } = req;
  const tz = services.config.site.timezone;
  const filter = registerFilter(req.query, tz);
  const all = registerEntries(services.db, filter);
  const rows = all.slice(Math.max(0, all.length - SHOWN)).reverse();
  const verdict = registerVerdict(services.db);
  const verbs = registerVerbs(services.db);
  const names = new Map(services.config.cameras.map((c) => [c.id, c.name]));
  const chain = verdict.ok
    ? html`<p class="notice ok" role="status" data-chain="ok">${tr('register.chainOk', { n: verdict.rows })}</p>`
    : html`<p class="notice bad" role="alert" data-chain="bad">${tr('register.chainBad', { problem: verdict.problem ?? '', seq: String(verdict.firstBadSeq ?? '?') })}</p>`;
  const body = html`
${chain}
<form method="get" action="/register" class="panel" role="search"><div class="form-row">${filterFields(req, req.query, verbs)}<button type="submit">${tr('register.search')}</button></div></form>
<form method="post" action="/register/export" class="form-row">${csrfField(req)}${['camera', 'requester', 'verb', 'from', 'to'].map((k) => html`<input type="hidden" name="${k}" value="${req.query.get(k) ?? ''}">`)}<button type="submit" class="secondary">${tr('register.export')}</button> <span class="muted">${tr('register.exportNote')}</span></form>
${all.length > SHOWN ? html`<p class="muted">${tr('register.shown', { shown: SHOWN, total: all.length })}</p>` : ''}
${rows.length === 0
  ? html`<p>${tr('register.none')}</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col" class="num">#</th><th scope="col">${tr('register.time')}</th><th scope="col">${tr('register.verb')}</th><th scope="col">${tr('register.camera')}</th><th scope="col">${tr('register.requester')}</th><th scope="col">${tr('register.purpose')}</th><th scope="col">${tr('register.result')}</th></tr></thead>
<tbody>${rows.map(
      (e) => html`<tr data-seq="${e.seq}"><td class="num">${e.seq}</td><td>${when(req, e.atMs, true)}</td><td class="mono">${e.verb}</td>
<td>${e.cameras.length > 6 ? html`${e.cameras.slice(0, 6).map((id) => names.get(id) ?? id).join(', ')} <span class="muted">+${e.cameras.length - 6}</span>` : e.cameras.map((id) => names.get(id) ?? id).join(', ')}${e.fromMs !== null || e.toMs !== null ? html`<br><span class="muted">${tr('register.period')}: ${e.fromMs !== null ? when(req, e.fromMs) : '…'} – ${e.toMs !== null ? when(req, e.toMs) : '…'}</span>` : ''}</td>
<td class="mono">${e.requester}${e.staff.length ? html`<br><span class="muted">${e.staff.join(', ')}</span>` : ''}</td><td>${e.purpose ?? '—'}</td>
<td><span class="badge ${e.result === 'granted' ? 'ok' : 'bad'}">${e.result}</span></td></tr>`,
    )}</tbody></table></div>`}`;
  return page(req, { title: tr('register.title'), section: 'register', body });
}

export function registerExport(req: PageRequest): PageResponse {
  const { services } = req;
  const tz = services.config.site.timezone;
  const filter = registerFilter(req.form, tz);
  const rows = registerEntries(services.db, filter);
  const cameras = [...new Set(rows.flatMap((r) => r.cameras))].sort();
  // The export carries who viewed what: itself a use of the register (cli.export precedent).
  services.registerAccess({
    verb: 'console.export',
    cameras,
    requester: consoleRequester(req),
    purpose: null,
    detail: { filter: { ...filter }, rows: rows.length, format: 'csv' },
  });
  const stamp = when(req, services.now().getTime()).replace(/[: ]/g, '-');
  return {
    kind: 'bytes',
    contentType: 'text/csv; charset=utf-8',
    body: registerCsv(rows.map(accessRow), { lang: req.lang }),
    headers: { 'content-disposition': `attachment; filename="access-register-${services.config.site.id}-${stamp}.csv"`, 'cache-control': 'no-store' },
  };
}
