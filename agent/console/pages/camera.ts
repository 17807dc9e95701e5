// One camera: its picture, clarity trends (24 h, 7 d), uptime timeline, configuration
// history with field-level diffs, and the live view through the token relay.
import type { PageRequest, PageResponse } from '../contract.js';
import { cameraDetail, type TrendPoint } from '../queries.js';
import { DAY_MS } from '../../retention/policy.js';
import { formatDate, formatDateTime } from '../../i18n/index.js';
import { lineChart, timeline, timeTicks, type Series } from './charts.js';
import { html, type Html } from './html.js';
import { csrfField, notFound, page, percent, placeName, t, when, type T } from './layout.js';
import { faultNames, onlineBadge, thumbUrl, verdictBadge } from './overview.js';
import { registerView, type ViewGrants } from './views.js';
import { LIVE_PLAYER_PATH } from './assets.js';

const HOUR_MS = 3_600_000;

function trendCharts(req: PageRequest, tr: T, trend: TrendPoint[], fromMs: number, toMs: number, title: string, gapMs: number): Html {
  const tz = req.services.config.site.timezone;
  const points = trend.filter((p) => p.atMs >= fromMs);
  if (points.length === 0) return html`<p class="muted">${tr('camera.noTrend')}</p>`;
  const span = toMs - fromMs;
  const label = (ms: number) => (span <= DAY_MS ? formatDateTime(ms, tz).slice(11) : formatDate(ms, tz).slice(5));
  const ticks = timeTicks(fromMs, toMs, span <= DAY_MS ? 6 : 7, label).slice(1, -1);
  const series = (key: string, cls: string): Series => ({
    label: tr(`metric.${key}` as 'metric.sharpness'),
    cls,
    points: points.filter((p) => typeof p.metrics[key] === 'number').map((p) => ({ x: p.atMs, y: p.metrics[key] as number })),
  });
  return html`<div class="charts">
${lineChart({ title: `${title} — ${tr('metric.sharpness')}`, fromMs, toMs, series: [series('sharpness', 's1')], ticks, yMin: 0, yMax: 0.8, gapMs })}
${lineChart({ title: `${title} — ${tr('metric.brightness')} / ${tr('metric.contrast')}`, fromMs, toMs, series: [series('brightness', 's2'), series('contrast', 's3')], ticks, yMin: 0, yMax: 255, gapMs })}
</div>`;
}

function shortValue(v: unknown): string {
  if (v === undefined) return '—';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 159)}…` : s;
}

export function cameraPage(req: PageRequest, grants: ViewGrants): PageResponse {
  const tr = t(req);
  const { services } = req;
  const nowMs = services.now().getTime();
  const id = req.params.id ?? '';
  const d = cameraDetail(services.db, services.config, id, nowMs);
  if (!d) return notFound(req, tr('camera.notFound'));
  const c = d.card.camera;
  const tz = services.config.site.timezone;
  const thumb = c.prohibited ? null : services.thumbnail(c.id);
  const viewId = thumb ? registerView(req, grants, [c.id], `/cameras/${c.id}`) : null;
  const ident = d.inventory?.record.identity;
  const stateLabels = { online: tr('state.online'), offline: tr('state.offline'), unknown: tr('state.unknown') };
  const tl = (fromMs: number, title: string, count: number, label: (ms: number) => string) =>
    timeline({ title, fromMs, toMs: nowMs, nowMs, intervals: d.intervals, ticks: timeTicks(fromMs, nowMs, count, label).slice(1, -1), labels: stateLabels });

  const body = html`
<div class="two">
  <section class="panel" aria-labelledby="pic">
    <h2 id="pic">${tr('camera.picture')}</h2>
    ${c.prohibited
      ? html`<div class="thumb prohibited">${tr('card.prohibitedThumb')}</div>`
      : thumb
        ? html`<div class="thumb"><img src="${thumbUrl(c.id, viewId, thumb.atMs)}" alt="${tr('card.thumbAlt', { name: c.name, at: when(req, thumb.atMs) })}" width="320" height="180"></div>`
        : html`<div class="thumb">${tr('card.noThumb')}</div>`}
  </section>
  <section class="panel" aria-label="${c.name}">
    <p>${onlineBadge(tr, d.card.online)} ${d.card.sinceMs !== null ? html`<span class="muted">${tr('card.since', { at: when(req, d.card.sinceMs) })}</span>` : ''} ${verdictBadge(tr, d.card)}</p>
    ${d.card.faults.length > 0 ? html`<p class="faults">${faultNames(tr, d.card.faults)}</p>` : ''}
    <dl class="facts">
      <dt>ID</dt><dd class="mono">${c.id}</dd>
      <dt>${tr('camera.location')}</dt><dd>${c.location.description} <span class="muted">(${placeName(req, c.location.kind)})</span></dd>
      ${c.purpose ? html`<dt>${tr('camera.purpose')}</dt><dd>${c.purpose}</dd>` : ''}
      <dt>${tr('camera.identity')}</dt><dd>${ident ? `${ident.manufacturer} ${ident.model} · ${ident.firmware} · ${ident.serial}` : tr('camera.notInterrogated')}</dd>
      <dt>${tr('card.availability')}</dt><dd>${tr('card.h24')} ${percent(d.card.availability?.h24)} · ${tr('card.d7')} ${percent(d.card.availability?.d7)}</dd>
      <dt>${tr('card.recording')}</dt><dd>${c.record && !c.prohibited ? tr('card.recordingVsFloor', { days: (d.card.recordingDays ?? 0).toFixed(1), floor: services.config.retention.floorDays }) : tr('card.notRecorded')}</dd>
      ${Object.keys(d.metrics).length > 0
        ? html`<dt>${tr('metric.sharpness')} / ${tr('metric.brightness')} / ${tr('metric.contrast')}</dt><dd class="mono">${[d.metrics.sharpness, d.metrics.brightness, d.metrics.contrast].map((v) => (v === undefined ? '—' : String(v))).join(' / ')}</dd>`
        : ''}
    </dl>
    <h2>${tr('camera.live')}</h2>
    ${c.prohibited
      ? html`<p>${tr('camera.liveProhibited')}</p>`
      : html`<form method="post" action="/cameras/${encodeURIComponent(c.id)}/live">${csrfField(req)}<button type="submit">${tr('camera.liveOpen')}</button> <span class="muted">${tr('camera.liveNote')}</span></form>`}
  </section>
</div>
<h2>${tr('camera.trend24')}</h2>
${trendCharts(req, tr, d.trend, nowMs - DAY_MS, nowMs, tr('camera.trend24'), 30 * 60_000)}
<h2>${tr('camera.trend7')}</h2>
${trendCharts(req, tr, d.trend, nowMs - 7 * DAY_MS, nowMs, tr('camera.trend7'), 3 * HOUR_MS)}
<h2>${tr('camera.uptime24')}</h2>
${tl(nowMs - DAY_MS, tr('camera.uptime24'), 6, (ms) => formatDateTime(ms, tz).slice(11))}
<h2>${tr('camera.uptime7')}</h2>
${tl(nowMs - 7 * DAY_MS, tr('camera.uptime7'), 7, (ms) => formatDate(ms, tz).slice(5))}
<h2>${tr('camera.history')}</h2>
${d.history.length === 0
  ? html`<p class="muted">${tr('camera.noHistory')}</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${tr('compliance.number')}</th><th scope="col">${tr('compliance.detected')}</th><th scope="col">${tr('camera.field')}</th><th scope="col">${tr('camera.before')}</th><th scope="col">${tr('camera.after')}</th><th scope="col">${tr('compliance.state')}</th></tr></thead>
<tbody>${d.history.flatMap(({ report, changes }) =>
      changes.map(
        (ch, i) => html`<tr>${i === 0 ? html`<td rowspan="${changes.length}">${report.number}</td><td rowspan="${changes.length}">${when(req, Date.parse(report.detectedAt))}</td>` : ''}<td class="mono">${ch.path}</td><td class="mono diff-before">${shortValue(ch.before)}</td><td class="mono diff-after">${shortValue(ch.after)}</td>${i === 0 ? html`<td rowspan="${changes.length}">${tr(`compliance.state.${report.state}`)}</td>` : ''}</tr>`,
      ),
    )}</tbody></table></div>`}
<p><a href="/">${tr('common.back')}</a></p>`;
  return page(req, { title: tr('camera.title', { name: c.name }), section: 'overview', body });
}

export function livePage(req: PageRequest, playerAvailable: boolean): PageResponse {
  const tr = t(req);
  const { services } = req;
  const id = req.params.id ?? '';
  const c = services.config.cameras.find((x) => x.id === id);
  if (!c) return notFound(req, tr('camera.notFound'));
  const back = html`<p><a href="/cameras/${encodeURIComponent(c.id)}">${tr('common.back')}</a></p>`;
  if (c.prohibited) return page(req, { title: tr('camera.live'), section: 'overview', status: 403, body: html`<p>${tr('camera.liveProhibited')}</p>${back}` });
  const requester = `console:${req.user.name}`;
  // Registered before the relay hands out a token (the use happens when the token is used).
  services.registerAccess({
    verb: 'console.live',
    cameras: [c.id],
    requester,
    purpose: req.form.get('purpose')?.trim() || null,
    detail: { page: `/cameras/${c.id}`, role: req.user.role },
  });
  const live = services.openLive(c.id, requester);
  if (!live) return page(req, { title: tr('camera.live'), section: 'overview', status: 503, body: html`<p>${tr('camera.liveOff')}</p>${back}` });
  const player = playerAvailable
    ? html`<canvas id="live" data-url="${live.url}" width="960" height="540" aria-label="${tr('camera.liveCanvas', { name: c.name })}"></canvas>
<script src="${LIVE_PLAYER_PATH}"></script><script src="/assets/live.js"></script>`
    : html`<p>${tr('camera.livePlayerMissing')}</p><p class="mono">${live.url}</p>`;
  return page(req, {
    title: `${tr('camera.live')}: ${c.name}`,
    section: 'overview',
    body: html`<div class="live">${player}</div><p class="muted">${tr('camera.liveExpires', { at: when(req, live.expiresAtMs, true) })}</p>${back}`,
  });
}
