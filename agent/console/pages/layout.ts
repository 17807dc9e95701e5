// The frame every page shares: skip link, navigation, the signed-in user, sign-out form.
import type { PageRequest, PageResponse } from '../contract.js';
import { consoleCatalog } from '../../i18n/console.js';
import { dossierCatalog } from '../../i18n/dossier.js';
import { formatDateTime, translator, type Translator } from '../../i18n/index.js';
import { html, type Html, type HtmlValue } from './html.js';

export const CSS_PATH = '/assets/console.css';
export type T = Translator<typeof consoleCatalog>;

export function t(req: PageRequest): T {
  return translator(consoleCatalog, req.lang);
}

export type Section = 'overview' | 'retention' | 'compliance' | 'register' | 'diagnostics';

const NAV: { section: Section; href: string }[] = [
  { section: 'overview', href: '/' },
  { section: 'retention', href: '/retention' },
  { section: 'compliance', href: '/compliance' },
  { section: 'register', href: '/register' },
  { section: 'diagnostics', href: '/diagnostics' },
];

/** The site's local time, as every page shows it (formatDateTime keeps its Intl formatters: the overview shows 256 times). */
export function when(req: PageRequest, ms: number, seconds = false): string {
  return formatDateTime(ms, req.services.config.site.timezone, { seconds });
}

export function csrfField(req: PageRequest): Html {
  return html`<input type="hidden" name="_csrf" value="${req.csrfToken}">`;
}

export function page(req: PageRequest, opts: { title: string; section: Section | null; body: HtmlValue; status?: number; head?: HtmlValue }): PageResponse {
  const tr = t(req);
  const cfg = req.services.config;
  const nav = NAV.map(
    (n) => html`<li><a href="${n.href}"${n.section === opts.section ? html` aria-current="page"` : ''}>${tr(`nav.${n.section}`)}</a></li>`,
  );
  const other = req.lang === 'en' ? 'zh-CN' : 'en';
  // Back to this page after switching; a POST's page is not repeatable, so its section instead.
  const here = req.method === 'GET' ? req.path + (req.query.toString() ? `?${req.query.toString()}` : '') : (NAV.find((n) => n.section === opts.section)?.href ?? '/');
  const doc = html`<!doctype html>
<html lang="${req.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · ${cfg.site.name}</title>
<link rel="stylesheet" href="${CSS_PATH}">
${opts.head}
</head>
<body>
<a class="skip" href="#main">${tr('nav.skip')}</a>
<header class="top">
  <div class="brand"><strong>${cfg.site.name}</strong> <span class="muted">${tr('app.title')}</span></div>
  <nav aria-label="${tr('nav.label')}"><ul>${nav}</ul></nav>
  <div class="who">
    <span>${tr('user.as', { name: req.user.name, role: tr(`role.${req.user.role}`) })}</span>
    <form method="post" action="/language" class="inline">${csrfField(req)}<input type="hidden" name="lang" value="${other}"><input type="hidden" name="next" value="${here}"><button type="submit" class="link" lang="${other}">${other === 'en' ? 'English' : '中文'}</button></form>
    <form method="post" action="/logout" class="inline">${csrfField(req)}<button type="submit" class="link">${tr('nav.logout')}</button></form>
  </div>
</header>
<main id="main" tabindex="-1">
<h1>${opts.title}</h1>
${opts.body}
</main>
<footer class="muted">${tr('site.zone', { zone: cfg.site.timezone })} · ${when(req, req.services.now().getTime())}</footer>
</body>
</html>
`;
  return { kind: 'html', status: opts.status ?? 200, html: doc.text };
}

/** A percentage for people: 99.9 %, or — when unknown. */
export function percent(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const p = x * 100;
  return `${p >= 99.95 || p === 0 ? p.toFixed(0) : p.toFixed(1)} %`;
}

export function notFound(req: PageRequest, message?: string): PageResponse {
  const tr = t(req);
  return page(req, { title: tr('error.notFound'), section: null, status: 404, body: html`<p>${message ?? tr('error.notFound')}</p><p><a href="/">${tr('common.back')}</a></p>` });
}

/** A location kind (config code) in the reader's language, from the dossier's place names; the code when unknown. */
export function placeName(req: PageRequest, kind: string): string {
  const entry = (dossierCatalog as Record<string, { 'zh-CN': unknown; en: unknown } | undefined>)[`place.${kind}`];
  const text = entry?.[req.lang];
  return typeof text === 'string' ? text : kind;
}
