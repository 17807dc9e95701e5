// Reading simple XML Schema values out of device answers. Identity strings are never
// passed through here (they stay exactly as sent); numbers and booleans are read strictly,
// so "25fps" or "1e999" is not silently taken for a number.
import { childText, type NsMatch, type XmlElement } from '../xml/parse.js';
import { OnvifError, shortText } from './errors.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/;

/** xs:boolean: true/false/1/0; anything else is null. */
export function xsBoolean(s: string | undefined): boolean | null {
  if (s === undefined) return null;
  const t = s.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return null;
}

/** A finite decimal number, or null. */
export function xsNumber(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = s.trim();
  if (!DECIMAL.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** A non-negative integer (a decimal with a zero fraction is accepted: "25.000000"), or null. */
export function xsCount(s: string | undefined, max = 1e9): number | null {
  const n = xsNumber(s);
  return n !== null && Number.isInteger(n) && n >= 0 && n <= max ? n : null;
}

/** The trimmed text of a required child; protocol error when absent. */
export function requiredText(el: XmlElement, ns: NsMatch, local: string, what: string): string {
  const v = childText(el, ns, local);
  if (v === undefined) throw new OnvifError('protocol', `${what}: missing ${local}`);
  return v;
}

/** Non-empty trimmed text, or null. */
export function optionalText(el: XmlElement | undefined, ns: NsMatch, local: string): string | null {
  const v = childText(el, ns, local);
  return v ? v : null;
}

/** Bounded device text for a value that is not an identity field (names, tokens). */
export function boundedText(s: string, max = 1024): string {
  return s.length > max ? shortText(s, max) : s;
}
