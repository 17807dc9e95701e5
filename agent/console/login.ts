// The pages the console server answers by itself: the login form and the small refusal
// and error pages. No inline script or style (the CSP forbids both): one stylesheet,
// /login.css, served without a session.
import type { Language } from '../config/index.js';
import { consoleAuthTexts } from '../i18n/console-auth.js';
import { translator } from '../i18n/index.js';
import { CSRF_FIELD } from './csrf.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(lang: Language, title: string, body: string): string {
  const t = translator(consoleAuthTexts, lang);
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${escapeHtml(t('product'))}</title><link rel="stylesheet" href="/login.css"></head>
<body class="cea-auth"><main>
<p class="cea-product">${escapeHtml(t('product'))}</p>
${body}
</main></body></html>
`;
}

export interface LoginPage {
  lang: Language;
  csrfToken: string;
  next: string;
  /** The name typed last time (after a failure), never the password. */
  name?: string;
  message?: { kind: 'error' | 'info'; text: string } | undefined;
  /** No account exists yet: say how to make one (in both languages: whoever reads it). */
  noUsers: boolean;
}

export function loginPage(p: LoginPage): string {
  const t = translator(consoleAuthTexts, p.lang);
  const other: Language = p.lang === 'en' ? 'zh-CN' : 'en';
  const message = p.message ? `<p class="cea-${p.message.kind}" role="${p.message.kind === 'error' ? 'alert' : 'status'}">${escapeHtml(p.message.text)}</p>\n` : '';
  const howTo = p.noUsers
    ? `<section class="cea-setup">${(['zh-CN', 'en'] as const)
        .map((l) => {
          const tl = translator(consoleAuthTexts, l);
          return `<p lang="${l}">${escapeHtml(tl('noUsers'))}</p><pre lang="${l}">cea user add admin --role admin --password-stdin</pre><p lang="${l}">${escapeHtml(tl('noUsersAfter'))}</p>`;
        })
        .join('\n')}</section>\n`
    : '';
  const langHref = `/login?lang=${encodeURIComponent(other)}${p.next !== '/' ? `&next=${encodeURIComponent(p.next)}` : ''}`;
  return page(
    p.lang,
    t('loginTitle'),
    `<h1>${escapeHtml(t('loginTitle'))}</h1>
${message}${howTo}<form method="post" action="/login" class="cea-login">
<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(p.csrfToken)}">
<input type="hidden" name="next" value="${escapeHtml(p.next)}">
<input type="hidden" name="lang" value="${p.lang}">
<label>${escapeHtml(t('userName'))}<input name="name" autocomplete="username" required maxlength="64" value="${escapeHtml(p.name ?? '')}"${p.name ? '' : ' autofocus'}></label>
<label>${escapeHtml(t('password'))}<input type="password" name="password" autocomplete="current-password" required maxlength="1024"${p.name ? ' autofocus' : ''}></label>
<button type="submit">${escapeHtml(t('signIn'))}</button>
</form>
<p class="cea-lang"><a href="${escapeHtml(langHref)}" lang="${other}">${escapeHtml(t('switchLanguage'))}</a></p>`,
  );
}

export type ErrorKind = 400 | 403 | 404 | 405 | 413 | 415 | 421 | 429 | 500;

/** A small page for a refusal or an error: a title, one sentence, a way back. Never a stack trace. */
export function errorPage(lang: Language, status: ErrorKind, text?: string, link: 'home' | 'login' | null = 'home'): string {
  const t = translator(consoleAuthTexts, lang);
  const titles: Record<ErrorKind, string> = {
    400: t('badRequestTitle'),
    403: t('forbiddenTitle'),
    404: t('notFoundTitle'),
    405: t('methodTitle'),
    413: t('tooLargeTitle'),
    415: t('unsupportedTitle'),
    421: t('misdirectedTitle'),
    429: t('tooManyTitle'),
    500: t('internalTitle'),
  };
  const defaults: Partial<Record<ErrorKind, string>> = {
    400: t('badRequest'),
    404: t('notFound'),
    405: t('method'),
    413: t('tooLarge'),
    415: t('unsupported'),
    421: t('misdirected'),
    500: t('internal'),
  };
  const sentence = text ?? defaults[status] ?? '';
  const back = link === 'home' ? `<p><a href="/">${escapeHtml(t('backHome'))}</a></p>` : link === 'login' ? `<p><a href="/login">${escapeHtml(t('toLogin'))}</a></p>` : '';
  return page(lang, titles[status], `<h1>${status} · ${escapeHtml(titles[status])}</h1>\n<p>${escapeHtml(sentence)}</p>\n${back}`);
}

/** The only style of the login and error pages (the console's pages bring their own). */
export const LOGIN_CSS = `:root{color-scheme:light dark;font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif}
body.cea-auth{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f3f4f6;color:#111}
@media (prefers-color-scheme:dark){body.cea-auth{background:#111827;color:#e5e7eb}body.cea-auth main{background:#1f2937}}
.cea-auth main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 1px 4px #0003;max-width:28rem;width:100%}
.cea-product{margin:0;color:#6b7280;font-size:.9rem}
.cea-auth h1{font-size:1.4rem;margin:.3rem 0 1.2rem}
.cea-login label{display:block;margin:0 0 1rem;font-size:.95rem}
.cea-login input{display:block;width:100%;box-sizing:border-box;margin-top:.3rem;padding:.5rem;font-size:1rem;border:1px solid #9ca3af;border-radius:4px}
.cea-login button{padding:.55rem 1.4rem;font-size:1rem;border:0;border-radius:4px;background:#1d4ed8;color:#fff;cursor:pointer}
.cea-error{color:#b91c1c;font-weight:600}.cea-info{color:#047857}
.cea-setup{border:1px solid #f59e0b;border-radius:4px;padding:.2rem 1rem;margin-bottom:1rem;font-size:.9rem}
.cea-setup pre{white-space:pre-wrap;background:#0001;padding:.4rem;border-radius:4px}
.cea-lang{margin-top:1.2rem;font-size:.9rem}
`;
