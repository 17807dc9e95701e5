// Safe HTML by construction: every value interpolated into `html` is escaped unless it is
// already Html (a fragment built the same way). Camera names, reasons and requesters come
// from config files, operators and the platform; none of them may become markup.

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] as string);
  return new Html(out);
}

/** Markup made by this module's own code (SVG built from numbers), never from outside text. */
export function trusted(text: string): Html {
  return new Html(text);
}

export function join(parts: readonly HtmlValue[], sep: HtmlValue = ''): Html {
  return new Html(parts.map(render).join(render(sep)));
}
