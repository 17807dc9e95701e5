// Site overview: every camera as a card (picture, online state, clarity verdict and faults,
// availability, recording days against the floor).
import type { PageRequest, PageResponse } from '../contract.js';
import { overview, type CameraCard } from '../queries.js';
import { html, type Html } from './html.js';
import { page, percent, t, when, type T } from './layout.js';
import { registerView, type ViewGrants } from './views.js';

export function thumbUrl(cameraId: string, viewId: string | null, atMs: number): string {
  const q = new URLSearchParams();
  if (viewId) q.set('view', viewId);
  q.set('at', String(atMs));
  return `/cameras/${encodeURIComponent(cameraId)}/thumbnail.jpg?${q.toString()}`;
}

export function onlineBadge(tr: T, online: boolean | null): Html {
  return online === true
    ? html`<span class="badge ok">${tr('card.online')}</span>`
    : online === false
      ? html`<span class="badge bad">${tr('card.offline')}</span>`
      : html`<span class="badge unknown">${tr('card.unknown')}</span>`;
}

export function verdictBadge(tr: T, card: CameraCard): Html {
  if (card.camera.prohibited) return html`<span class="badge bad">${tr('verdict.prohibited')}</span>`;
  if (card.verdict === null) return html`<span class="badge none">${tr('verdict.none')}</span>`;
  return html`<span class="badge ${card.verdict}" data-verdict="${card.verdict}">${tr(`verdict.${card.verdict}`)}</span>`;
}

export function faultNames(tr: T, faults: readonly string[]): string {
  return faults.map((f) => (`fault.${f}` in FAULT_KEYS ? tr(`fault.${f}` as FaultKey) : f)).join(tr('common.listSep'));
}

type FaultKey = `fault.${'blur' | 'too_dark' | 'too_bright' | 'low_contrast' | 'color_cast' | 'noise' | 'signal_loss' | 'occlusion' | 'frozen' | 'scene_change' | 'stripe' | 'decode_error'}`;
const FAULT_KEYS: Record<string, true> = Object.fromEntries(
  ['blur', 'too_dark', 'too_bright', 'low_contrast', 'color_cast', 'noise', 'signal_loss', 'occlusion', 'frozen', 'scene_change', 'stripe', 'decode_error'].map((f) => [`fault.${f}`, true]),
);

function recordingText(tr: T, card: CameraCard, floorDays: number): Html {
  if (!card.camera.record || card.camera.prohibited) return html`<span class="muted">${tr('card.notRecorded')}</span>`;
  const days = card.recordingDays;
  const short = (days ?? 0) < floorDays;
  return html`<span class="${short ? 'badge warn' : ''}">${tr('card.recordingVsFloor', { days: days === null ? '0' : days.toFixed(1), floor: floorDays })}</span>`;
}

function cardHtml(req: PageRequest, tr: T, card: CameraCard, floorDays: number, viewId: string | null): Html {
  const c = card.camera;
  const thumb = c.prohibited ? null : req.services.thumbnail(c.id);
  const picture = c.prohibited
    ? html`<div class="thumb prohibited">${tr('card.prohibitedThumb')}</div>`
    : thumb
      ? html`<div class="thumb"><img src="${thumbUrl(c.id, viewId, thumb.atMs)}" alt="${tr('card.thumbAlt', { name: c.name, at: when(req, thumb.atMs) })}" width="320" height="180" loading="lazy" decoding="async"></div>`
      : html`<div class="thumb">${tr('card.noThumb')}</div>`;
  const state = card.camera.prohibited ? 'prohibited' : card.online === false ? 'offline' : (card.verdict ?? 'none');
  return html`<li class="card ${state}" data-camera="${c.id}">
  ${picture}
  <div class="card-body">
    <h2><a href="/cameras/${encodeURIComponent(c.id)}">${c.name}</a> <span class="muted mono">${c.id}</span></h2>
    <div>${onlineBadge(tr, card.online)} ${verdictBadge(tr, card)}</div>
    ${card.faults.length > 0 ? html`<p class="faults">${faultNames(tr, card.faults)}</p>` : ''}
    <dl class="facts">
      <dt>${tr('card.availability')}</dt><dd>${tr('card.h24')} ${percent(card.availability?.h24)} · ${tr('card.d7')} ${percent(card.availability?.d7)}</dd>
      <dt>${tr('card.recording')}</dt><dd>${recordingText(tr, card, floorDays)}</dd>
    </dl>
  </div>
</li>`;
}

export function overviewPage(req: PageRequest, grants: ViewGrants): PageResponse {
  const tr = t(req);
  const { services } = req;
  const nowMs = services.now().getTime();
  const o = overview(services.db, services.config, nowMs);
  const onlyProblems = req.query.get('only') === 'problems';
  const cards = onlyProblems
    ? o.cards.filter((c) => c.camera.prohibited || c.online === false || (c.verdict !== null && c.verdict !== 'ok') || (c.camera.record && (c.recordingDays ?? 0) < o.floorDays))
    : o.cards;
  // One register row for every picture this page shows (views.ts).
  const shown = cards.filter((c) => !c.camera.prohibited && services.thumbnail(c.camera.id) !== null).map((c) => c.camera.id);
  const viewId = registerView(req, grants, shown, '/');
  const body = html`
<div class="panel summary">
  <span>${tr('overview.summary', o.counts)}</span>
  ${o.counts.short > 0 ? html`<span class="badge warn">${tr('overview.short', { n: o.counts.short, floor: o.floorDays })}</span>` : ''}
  <span>${tr('overview.filter')}: ${onlyProblems ? html`<a href="/">${tr('overview.filter.all')}</a>` : html`<a href="/?only=problems">${tr('overview.filter.problems')}</a>`}</span>
</div>
${shown.length > 0 ? html`<p class="muted">${tr('overview.viewNote')}</p>` : ''}
${o.cards.length === 0 ? html`<p>${tr('overview.none')}</p>` : html`<ul class="cards">${cards.map((c) => cardHtml(req, tr, c, o.floorDays, viewId))}</ul>`}`;
  return page(req, { title: tr('overview.title'), section: 'overview', body });
}
