// Human-facing texts in Simplified Chinese and English. Each domain keeps its own
// catalog file (agent/i18n/<domain>.ts) so that texts live next to nothing else and two
// people can translate different parts without touching one file; this module only
// picks the language and formats.
import type { Language } from '../config/types.js';

export type { Language } from '../config/types.js';
export const LANGUAGES: readonly Language[] = ['zh-CN', 'en'];

/** One text in both languages; a function when it has parameters. */
export type Entry<P = void> = P extends void ? { 'zh-CN': string; en: string } : { 'zh-CN': (p: P) => string; en: (p: P) => string };

/** A catalog: key → entry. Both languages are required by the type, so none can be missing. */
export type Catalog = Record<string, { 'zh-CN': string | ((p: never) => string); en: string | ((p: never) => string) }>;

export type Translator<C extends Catalog> = <K extends keyof C>(
  key: K,
  ...params: C[K]['en'] extends (p: infer P) => string ? [P] : []
) => string;

/** A translator for one catalog in one language. */
export function translator<C extends Catalog>(catalog: C, lang: Language): Translator<C> {
  return ((key: keyof C, params?: unknown) => {
    const entry = catalog[key];
    if (entry === undefined) return String(key);
    const v = entry[lang] as string | ((p: unknown) => string);
    return typeof v === 'function' ? v(params) : v;
  }) as Translator<C>;
}

export function isLanguage(v: unknown): v is Language {
  return v === 'zh-CN' || v === 'en';
}

/** Accepts zh, zh-CN, zh_CN.UTF-8, en, en-US …; null when unknown. */
export function parseLanguage(v: string | undefined | null): Language | null {
  if (!v) return null;
  const s = v.trim().toLowerCase();
  if (s.startsWith('zh')) return 'zh-CN';
  if (s.startsWith('en')) return 'en';
  return null;
}

/**
 * The CLI's language: `--lang`, then CEA_LANG, then the config's `language` (which
 * defaults to the profile's, zh-CN for the Chinese profiles), then English when there
 * is no config at all.
 */
export function cliLanguage(opts: { flag?: string | undefined; env?: NodeJS.ProcessEnv; config?: Language | undefined }): Language {
  return parseLanguage(opts.flag) ?? parseLanguage(opts.env?.CEA_LANG) ?? opts.config ?? 'en';
}

/** Formatters by zone and seconds: building one costs ~0.1 ms and a console page shows hundreds of times. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, seconds: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${seconds}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
    formatters.set(key, f);
  }
  return f;
}

/** Date and time in the site's zone, e.g. 2026-11-27 09:30 (both languages use ISO order). */
export function formatDateTime(ms: number, timeZone: string, opts: { seconds?: boolean } = {}): string {
  const seconds = opts.seconds === true;
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone, seconds).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ''}`;
}

/** Date only, in the site's zone: 2026-11-27. */
export function formatDate(ms: number, timeZone: string): string {
  return formatDateTime(ms, timeZone).slice(0, 10);
}
