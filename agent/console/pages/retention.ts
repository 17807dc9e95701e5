// Retention: storage per camera, the capacity forecast against the floor, holds (an admin
// adds and releases them, with a reason; everyone sees them).
import type { PageRequest, PageResponse } from '../contract.js';
import { retentionView } from '../queries.js';
import { HoldError } from '../../retention/holds.js';
import { formatBytes } from '../../retention/policy.js';
import { alarmText } from '../../i18n/retention.js';
import { startOfLocalDay } from '../../calendar/index.js';
import { roleAtLeast } from '../contract.js';
import { daysBars } from './charts.js';
import { html } from './html.js';
import { csrfField, page, t, when } from './layout.js';

/** A datetime-local value (YYYY-MM-DDTHH:mm) in the site's zone → ms; null when malformed. */
export function parseLocalDateTime(text: string | null, timeZone: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})$/.exec(text?.trim() ?? '');
  if (!m) return null;
  try {
    const day = startOfLocalDay(m[1] as string, timeZone).getTime();
    return day + Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000;
  } catch {
    return null;
  }
}

export function retentionPage(req: PageRequest, notice: { ok?: string; error?: string } = {}): PageResponse {
  const tr = t(req);
  const { services } = req;
  const cfg = services.config;
  const nowMs = services.now().getTime();
  const v = retentionView(services.db, cfg, nowMs);
  const f = v.forecast;
  const isAdmin = roleAtLeast(req.user.role, 'admin');
  const names = new Map(cfg.cameras.map((c) => [c.id, c.name]));
  const camIds = Object.keys(f.cameras);
  const short = f.daysRetainable !== null && !f.ok;
  const done = req.query.get('done');
  const okText = notice.ok ?? (done === 'added' ? tr('retention.holdAdded') : done === 'released' ? tr('retention.holdReleasedOk') : null);
  const camOptions = cfg.cameras.filter((c) => !c.prohibited).map((c) => html`<option value="${c.id}">${c.name} (${c.id})</option>`);

  const body = html`
${okText ? html`<p class="notice ok" role="status">${okText}</p>` : ''}
${notice.error ? html`<p class="notice bad" role="alert">${notice.error}</p>` : ''}
<p>${tr('retention.floor', { floor: cfg.retention.floorDays, ceiling: cfg.retention.ceilingDays })}</p>
<h2>${tr('retention.forecast')}</h2>
<div class="panel">
  <p>${f.daysRetainable === null ? tr('retention.forecastUnknown') : tr('retention.forecastOk', { days: f.daysRetainable.toFixed(1), floor: f.floorDays })}
  ${short ? html` <span class="badge bad">${tr('retention.forecastShort')}</span>` : ''}
  ${f.daysUntilAtRisk !== null ? html` <span class="badge bad">${tr('retention.atRisk', { days: f.daysUntilAtRisk.toFixed(1) })}</span>` : ''}</p>
  <p class="muted">${tr('retention.used', { used: formatBytes(v.recordingBytes), usable: v.usableBytes === null ? '—' : formatBytes(v.usableBytes), rate: formatBytes(f.bytesPerDay) })}</p>
  ${daysBars({
    title: tr('retention.forecast'),
    rows: [
      { label: tr('retention.chartRetainable'), days: f.daysRetainable },
      ...camIds.map((id) => ({ label: names.get(id) ?? id, days: f.cameras[id]?.days ?? 0 })),
    ],
    floorDays: f.floorDays,
    marginDays: f.marginDays,
    floorLabel: tr('retention.chartFloor'),
    marginLabel: tr('retention.chartMargin'),
  })}
</div>
${v.alarms.length > 0 ? html`<h2>${tr('retention.alarms')}</h2><ul>${v.alarms.map((a) => html`<li><span class="badge ${a.severity === 'critical' ? 'bad' : 'warn'}">${tr(`alarm.${a.type}`)}</span> <span class="muted">${alarmText(a, req.lang, cfg.site.timezone)}</span></li>`)}</ul>` : ''}
<h2>${tr('retention.perCamera')}</h2>
${camIds.length === 0
  ? html`<p class="muted">${tr('retention.noRecordings')}</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${tr('retention.camera')}</th><th scope="col" class="num">${tr('retention.bytes')}</th><th scope="col" class="num">${tr('retention.rate')}</th><th scope="col" class="num">${tr('retention.days')}</th><th scope="col">${tr('retention.oldest')}</th></tr></thead>
<tbody>${camIds.map((id) => {
      const c = f.cameras[id];
      if (!c) return '';
      return html`<tr><td><a href="/cameras/${encodeURIComponent(id)}">${names.get(id) ?? id}</a></td><td class="num">${formatBytes(c.bytes)}</td><td class="num">${formatBytes(c.bytesPerDay)}</td><td class="num">${c.days < f.floorDays ? html`<span class="badge warn">${c.days.toFixed(1)}</span>` : c.days.toFixed(1)}</td><td>${c.oldest ? when(req, Date.parse(c.oldest)) : '—'}</td></tr>`;
    })}</tbody></table></div>`}
<h2>${tr('retention.holds')}</h2>
${v.holds.length === 0
  ? html`<p class="muted">${tr('retention.noHolds')}</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${tr('retention.camera')}</th><th scope="col">${tr('retention.holdPeriod')}</th><th scope="col">${tr('retention.holdKind')}</th><th scope="col">${tr('retention.holdReason')}</th><th scope="col">${tr('retention.holdBy')}</th><th scope="col">${tr('retention.holdState')}</th></tr></thead>
<tbody>${v.holds.map(
      (h) => html`<tr data-hold="${h.id}"><td>${names.get(h.camera) ?? h.camera}</td><td>${when(req, Date.parse(h.from))} – ${when(req, Date.parse(h.to))}</td><td>${tr(`retention.holdKind.${h.kind}`)}</td><td>${h.reason}</td><td>${h.createdBy}<br><span class="muted">${when(req, Date.parse(h.createdAt))}</span></td>
<td>${h.released
        ? tr('retention.holdReleased', { at: when(req, Date.parse(h.released.at)), by: h.released.by ?? '—' })
        : h.active
          ? html`<span class="badge ok">${tr('retention.holdActive')}</span>${isAdmin
              ? html`<form method="post" action="/retention/holds/${encodeURIComponent(h.id)}/release" class="form-row">${csrfField(req)}<label>${tr('retention.releaseReason')}<input name="reason" required maxlength="500"></label><button type="submit" class="secondary">${tr('retention.release')}</button></form>`
              : ''}`
          : tr('retention.holdExpired')}</td></tr>`,
    )}</tbody></table></div>`}
${isAdmin
  ? html`<section class="panel" aria-labelledby="addhold"><h2 id="addhold">${tr('retention.addHold')}</h2>
<form method="post" action="/retention/holds">${csrfField(req)}
<div class="form-row">
<label>${tr('retention.camera')}<select name="camera" required>${camOptions}</select></label>
<label>${tr('retention.from')}<input type="datetime-local" name="from" required></label>
<label>${tr('retention.to')}<input type="datetime-local" name="to" required></label>
</div>
<div class="form-row"><label class="grow">${tr('retention.holdReason')}<input name="reason" required maxlength="500" class="wide"></label><button type="submit">${tr('retention.addHold')}</button></div>
</form></section>`
  : html`<p class="muted">${tr('retention.adminOnly')}</p>`}`;
  return page(req, { title: tr('retention.title'), section: 'retention', body, status: notice.error ? 400 : 200 });
}

export function addHoldAction(req: PageRequest): PageResponse {
  const tr = t(req);
  const tz = req.services.config.site.timezone;
  const fromMs = parseLocalDateTime(req.form.get('from'), tz);
  const toMs = parseLocalDateTime(req.form.get('to'), tz);
  if (fromMs === null || toMs === null) return retentionPage(req, { error: tr('retention.badTime') });
  const cameraId = req.form.get('camera') ?? '';
  if (!req.services.config.cameras.some((c) => c.id === cameraId)) return retentionPage(req, { error: tr('camera.notFound') });
  try {
    req.services.addHold({ cameraId, fromMs, toMs, reason: req.form.get('reason') ?? '', by: `console:${req.user.name}` });
  } catch (err) {
    if (err instanceof HoldError) return retentionPage(req, { error: tr('error.bad', { message: err.message }) });
    throw err;
  }
  return { kind: 'redirect', location: '/retention?done=added' };
}

export function releaseHoldAction(req: PageRequest): PageResponse {
  const tr = t(req);
  try {
    req.services.releaseHold(req.params.id ?? '', `console:${req.user.name}`, req.form.get('reason') ?? '');
  } catch (err) {
    if (err instanceof HoldError) return retentionPage(req, { error: tr('error.bad', { message: err.message }) });
    throw err;
  }
  return { kind: 'redirect', location: '/retention?done=released' };
}
