// A small namespace-aware XML reader for what devices send us (SOAP responses,
// WS-Discovery datagrams). Written here rather than wrapping fast-xml-parser, which only
// strips prefixes instead of resolving them, and whose DOCTYPE/entity handling has had
// expansion bugs. Devices pick their own prefixes (tt:, ns2:, a default namespace…), so
// callers match on namespace URI + local name, never on a prefix.
//
// Safety: input size, nesting depth and element count are bounded; <!DOCTYPE> and any
// other declaration are rejected; only the five predefined entities and character
// references are decoded (no entity expansion); nothing is coerced: every value is the
// string the document holds. One linear pass, no backtracking regexes over the input.

export interface XmlAttr {
  ns: string;
  local: string;
  value: string;
}

export interface XmlElement {
  /** Namespace URI ('' when none). */
  ns: string;
  local: string;
  attrs: XmlAttr[];
  children: XmlElement[];
  /** Direct text content (entities decoded, CDATA included), untrimmed. */
  text: string;
}

export type XmlErrorKind = 'malformed' | 'dtd' | 'too_large' | 'too_deep' | 'too_many_elements';

export class XmlError extends Error {
  override name = 'XmlError';
  constructor(
    readonly kind: XmlErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ParseXmlOptions {
  /** Reject a document longer than this (UTF-8 bytes). Default 2 MiB. */
  maxBytes?: number;
  /** Deepest element nesting accepted. Default 64 (real ONVIF answers stay under ~15). */
  maxDepth?: number;
  /** Most elements accepted: bounds the tree's memory, ~150 bytes an element. Default 50 000. */
  maxElements?: number;
}

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const DEFAULTS = { maxBytes: 2 * 1024 * 1024, maxDepth: 64, maxElements: 50_000 };

// Names: a permissive subset of XML's NameStartChar/NameChar (no ':' inside parts).
const NAME = /[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*)?/y;
const ATTR = /\s*([^\s=/>"'<]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
const WS = /^[ \t\r\n]*$/;

interface Frame {
  qname: string;
  el: XmlElement;
  text: string[];
  scope: Scope;
}

type Scope = ReadonlyMap<string, string>;
const ROOT_SCOPE: Scope = new Map([['xml', XML_NS]]);

/** Parse a whole document into its root element; throws XmlError on anything not well-formed. */
export function parseXml(input: string | Buffer, opts: ParseXmlOptions = {}): XmlElement {
  const maxBytes = opts.maxBytes ?? DEFAULTS.maxBytes;
  const maxDepth = opts.maxDepth ?? DEFAULTS.maxDepth;
  const maxElements = opts.maxElements ?? DEFAULTS.maxElements;
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (bytes > maxBytes) throw new XmlError('too_large', `document of ${bytes} bytes exceeds ${maxBytes}`);
  let s = typeof input === 'string' ? input : decode(input);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);

  let i = 0;
  let count = 0;
  const stack: Frame[] = [];
  let root: XmlElement | null = null;
  const fail = (kind: XmlErrorKind, msg: string): never => {
    throw new XmlError(kind, `${msg} at offset ${i}`);
  };

  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const textEnd = lt === -1 ? s.length : lt;
    if (textEnd > i) {
      const raw = s.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text.push(decodeEntities(raw, i));
      else if (!WS.test(raw)) fail('malformed', root ? 'content after the root element' : 'text before the root element');
      i = textEnd;
      continue;
    }
    if (s.startsWith('<?', i)) {
      const end = s.indexOf('?>', i + 2);
      if (end === -1) fail('malformed', 'unterminated processing instruction');
      i = end + 2;
    } else if (s.startsWith('<!--', i)) {
      const end = s.indexOf('-->', i + 4);
      if (end === -1) fail('malformed', 'unterminated comment');
      i = end + 3;
    } else if (s.startsWith('<![CDATA[', i)) {
      const end = s.indexOf(']]>', i + 9);
      const top = stack[stack.length - 1];
      if (end === -1) fail('malformed', 'unterminated CDATA section');
      if (!top) fail('malformed', 'CDATA outside the root element');
      top!.text.push(s.slice(i + 9, end));
      i = end + 3;
    } else if (s.startsWith('<!', i)) {
      // DOCTYPE (and so any entity declaration) is refused outright: SOAP 1.2 forbids it.
      fail('dtd', 'DTDs and declarations are not accepted');
    } else if (s.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(s);
      if (!m) fail('malformed', 'bad end tag');
      const name = m![0];
      TAG_END.lastIndex = i + 2 + name.length;
      const e = TAG_END.exec(s);
      if (!e || e[1] === '/') fail('malformed', 'bad end tag');
      const top = stack.pop();
      if (!top || top.qname !== name) fail('malformed', `mismatched end tag </${name}>`);
      top!.el.text = top!.text.join('');
      i = TAG_END.lastIndex;
      if (stack.length === 0) root = top!.el;
    } else {
      if (root) fail('malformed', 'a second root element');
      NAME.lastIndex = i + 1;
      const m = NAME.exec(s);
      if (!m) fail('malformed', 'bad start tag');
      const qname = m![0];
      let p = i + 1 + qname.length;
      const rawAttrs: [string, string][] = [];
      for (;;) {
        ATTR.lastIndex = p;
        const a = ATTR.exec(s);
        if (!a) break;
        if (a.index !== p) break;
        // An attribute must be separated from the name or previous attribute by whitespace.
        if (!/\s/.test(s[p] ?? '')) fail('malformed', 'attributes not separated by whitespace');
        rawAttrs.push([a[1]!, decodeEntities(a[2] ?? a[3] ?? '', p)]);
        p = ATTR.lastIndex;
      }
      TAG_END.lastIndex = p;
      const e = TAG_END.exec(s);
      if (!e) fail('malformed', `bad start tag <${qname}`);
      if (++count > maxElements) fail('too_many_elements', `more than ${maxElements} elements`);
      if (stack.length + 1 > maxDepth) fail('too_deep', `nesting deeper than ${maxDepth}`);
      const parent = stack[stack.length - 1];
      const { el, scope } = makeElement(qname, rawAttrs, parent ? parent.scope : ROOT_SCOPE, fail);
      if (parent) parent.el.children.push(el);
      i = TAG_END.lastIndex;
      if (e![1] === '/') {
        if (!parent) root = el;
      } else {
        stack.push({ qname, el, text: [], scope });
      }
    }
  }
  if (stack.length > 0) fail('malformed', `unclosed element <${stack[stack.length - 1]!.qname}>`);
  if (!root) fail('malformed', 'no root element');
  return root!;
}

/**
 * Bytes → text: UTF-8 unless a BOM says UTF-16 or the XML declaration names another
 * encoding the runtime knows (some Chinese firmware declares GB2312/GBK). Undecodable
 * bytes become U+FFFD rather than errors; the parse decides what that means.
 */
function decode(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder('utf-16le').decode(buf);
  if (buf[0] === 0xfe && buf[1] === 0xff) return new TextDecoder('utf-16be').decode(buf);
  const head = buf.subarray(0, 200).toString('latin1');
  const m = /^(?:\uFEFF|\xEF\xBB\xBF)?<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/.exec(head);
  const enc = m?.[1]?.toLowerCase();
  if (enc && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii' && enc !== 'ascii') {
    try {
      return new TextDecoder(enc).decode(buf);
    } catch {
      // An encoding this runtime does not know: read it as UTF-8.
    }
  }
  return buf.toString('utf8');
}

function makeElement(
  qname: string,
  rawAttrs: [string, string][],
  parentScope: Scope,
  fail: (kind: XmlErrorKind, msg: string) => never,
): { el: XmlElement; scope: Scope } {
  let scope = parentScope;
  for (const [name, value] of rawAttrs) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      const prefix = name === 'xmlns' ? '' : name.slice(6);
      if (prefix === '') (scope as Map<string, string>).set('', value);
      else {
        if (value === '') fail('malformed', `empty namespace for prefix ${prefix}`);
        (scope as Map<string, string>).set(prefix, value);
      }
    }
  }
  const resolve = (q: string, isAttr: boolean): { ns: string; local: string } => {
    const colon = q.indexOf(':');
    if (colon === -1) return { ns: isAttr ? '' : (scope.get('') ?? ''), local: q };
    const prefix = q.slice(0, colon);
    const ns = scope.get(prefix);
    if (ns === undefined) fail('malformed', `undeclared namespace prefix ${prefix}`);
    return { ns: ns!, local: q.slice(colon + 1) };
  };
  const { ns, local } = resolve(qname, false);
  const attrs: XmlAttr[] = [];
  const seen = new Set<string>();
  for (const [name, value] of rawAttrs) {
    if (seen.has(name)) fail('malformed', `duplicate attribute ${name}`);
    seen.add(name);
    if (name === 'xmlns') {
      attrs.push({ ns: XMLNS_NS, local: 'xmlns', value });
      continue;
    }
    if (name.startsWith('xmlns:')) {
      attrs.push({ ns: XMLNS_NS, local: name.slice(6), value });
      continue;
    }
    const r = resolve(name, true);
    attrs.push({ ns: r.ns, local: r.local, value });
  }
  return { el: { ns, local, attrs, children: [], text: '' }, scope };
}

// Null prototype: "&constructor;" must not find Object.prototype.constructor.
const PREDEFINED: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
});

function decodeEntities(raw: string, at: number): string {
  let amp = raw.indexOf('&');
  if (amp === -1) return raw;
  // One pass with slices (a regex replace with a callback costs ~30x more on entity-dense text).
  const parts: string[] = [];
  let from = 0;
  while (amp !== -1) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 12) throw new XmlError('malformed', `bare '&' near offset ${at + amp}`);
    const name = raw.slice(amp + 1, semi);
    parts.push(raw.slice(from, amp), entity(name, at + amp));
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  parts.push(raw.slice(from));
  return parts.join('');
}

function entity(name: string, at: number): string {
  const pre = PREDEFINED[name];
  if (pre !== undefined) return pre;
  let cp = NaN;
  if (/^#x[0-9a-fA-F]{1,6}$/.test(name)) cp = parseInt(name.slice(2), 16);
  else if (/^#[0-9]{1,7}$/.test(name)) cp = parseInt(name.slice(1), 10);
  const valid =
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
  // Anything else (&bogus;, a DTD-declared entity) is refused: no entity expansion.
  if (!valid) throw new XmlError('malformed', `unknown or invalid entity &${name.slice(0, 12)}; near offset ${at}`);
  return String.fromCodePoint(cp);
}

// ---- navigation helpers ----

/** A namespace URI, several accepted URIs, or '*' for any namespace. */
export type NsMatch = string | readonly string[];

function nsMatches(el: XmlElement, ns: NsMatch): boolean {
  if (typeof ns === 'string') return ns === '*' || el.ns === ns;
  return ns.includes(el.ns);
}

/** The first child element with this namespace and local name. */
export function child(el: XmlElement | undefined, ns: NsMatch, local: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.local === local && nsMatches(c, ns)) return c;
  return undefined;
}

/** Every child element with this namespace and local name, in document order. */
export function children(el: XmlElement | undefined, ns: NsMatch, local: string): XmlElement[] {
  if (!el) return [];
  return el.children.filter((c) => c.local === local && nsMatches(c, ns));
}

/** Follow a path of (namespace, local name) steps through first children. */
export function path(el: XmlElement | undefined, ...steps: [NsMatch, string][]): XmlElement | undefined {
  let cur = el;
  for (const [ns, local] of steps) cur = child(cur, ns, local);
  return cur;
}

/** An element's text trimmed at the ends (undefined when the element is absent). */
export function text(el: XmlElement | undefined): string | undefined {
  return el ? el.text.trim() : undefined;
}

/** The trimmed text of the first matching child. */
export function childText(el: XmlElement | undefined, ns: NsMatch, local: string): string | undefined {
  return text(child(el, ns, local));
}

/** An attribute value by local name (and namespace; '' = unqualified, the usual case). */
export function attr(el: XmlElement | undefined, local: string, ns = ''): string | undefined {
  if (!el) return undefined;
  for (const a of el.attrs) if (a.local === local && a.ns === ns) return a.value;
  return undefined;
}
