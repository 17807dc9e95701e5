// A small namespace-aware XML reader for SOAP requests and WS-Discovery datagrams.
// The project has no XML parser dependency, and the simulator must resolve prefixes
// the way a real device does (a client may use any prefix, or a default namespace).
// It rejects DTDs (SOAP 1.2 forbids them; no entity expansion) and unknown entities.

export interface XmlAttr {
  ns: string;
  local: string;
  value: string;
}

export interface XmlElement {
  ns: string;
  local: string;
  attrs: XmlAttr[];
  children: XmlElement[];
  /** Direct text content (entities decoded, CDATA included), untrimmed. */
  text: string;
  /** Prefix → namespace URI in scope at this element ('' = default namespace). */
  scope: ReadonlyMap<string, string>;
}

export class XmlError extends Error {
  override name = 'XmlError';
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const MAX_DEPTH = 64;

interface RawElement {
  qname: string;
  rawAttrs: [string, string][];
  el: XmlElement;
}

export function parseXml(input: string): XmlElement {
  let i = 0;
  const stack: RawElement[] = [];
  let root: XmlElement | null = null;

  const fail = (msg: string): never => {
    throw new XmlError(`${msg} at offset ${i}`);
  };

  while (i < input.length) {
    const lt = input.indexOf('<', i);
    const textEnd = lt === -1 ? input.length : lt;
    if (textEnd > i) {
      const raw = input.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.el.text += decodeEntities(raw);
      else if (raw.trim() !== '') fail('text outside the root element');
      i = textEnd;
      continue;
    }
    if (input.startsWith('<?', i)) {
      const end = input.indexOf('?>', i + 2);
      if (end === -1) fail('unterminated processing instruction');
      i = end + 2;
    } else if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      if (end === -1) fail('unterminated comment');
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', i)) {
      const end = input.indexOf(']]>', i + 9);
      const top = stack[stack.length - 1];
      if (end === -1 || !top) fail('misplaced or unterminated CDATA');
      top!.el.text += input.slice(i + 9, end);
      i = end + 3;
    } else if (input.startsWith('<!', i)) {
      fail('DTDs and declarations are not accepted');
    } else if (input.startsWith('</', i)) {
      const end = input.indexOf('>', i + 2);
      if (end === -1) fail('unterminated end tag');
      const name = input.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.qname !== name) fail(`mismatched end tag </${name}>`);
      i = end + 1;
      if (stack.length === 0) root = top!.el;
    } else {
      if (root) fail('content after the root element');
      const { qname, rawAttrs, selfClosing, next } = readStartTag(input, i, fail);
      i = next;
      const parent = stack[stack.length - 1];
      const el = resolve(qname, rawAttrs, parent?.el.scope ?? new Map(), fail);
      if (parent) parent.el.children.push(el);
      if (selfClosing) {
        if (!parent) root = el;
      } else {
        if (stack.length >= MAX_DEPTH) fail('nesting too deep');
        stack.push({ qname, rawAttrs, el });
      }
    }
  }
  if (stack.length > 0 || !root) throw new XmlError('unexpected end of document');
  return root;
}

function readStartTag(input: string, start: number, fail: (m: string) => never) {
  let i = start + 1;
  const nameEnd = scanName(input, i);
  if (nameEnd === i) fail('bad element name');
  const qname = input.slice(i, nameEnd);
  i = nameEnd;
  const rawAttrs: [string, string][] = [];
  for (;;) {
    const ws = i;
    while (i < input.length && /\s/.test(input[i]!)) i++;
    const c = input[i];
    if (c === undefined) fail('unterminated start tag');
    if (c === '>') return { qname, rawAttrs, selfClosing: false, next: i + 1 };
    if (c === '/' && input[i + 1] === '>') return { qname, rawAttrs, selfClosing: true, next: i + 2 };
    if (ws === i) fail('attributes must be separated by whitespace');
    const an = scanName(input, i);
    if (an === i) fail('bad attribute name');
    const name = input.slice(i, an);
    i = an;
    while (/\s/.test(input[i] ?? '')) i++;
    if (input[i] !== '=') fail('attribute without value');
    i++;
    while (/\s/.test(input[i] ?? '')) i++;
    const q = input[i];
    if (q !== '"' && q !== "'") fail('unquoted attribute value');
    const end = input.indexOf(q!, i + 1);
    if (end === -1) fail('unterminated attribute value');
    const value = input.slice(i + 1, end);
    if (value.includes('<')) fail('"<" in attribute value');
    if (rawAttrs.some(([n]) => n === name)) fail(`duplicate attribute ${name}`);
    rawAttrs.push([name, decodeEntities(value)]);
    i = end + 1;
  }
}

function scanName(input: string, i: number): number {
  while (i < input.length && !/[\s/>=<"']/.test(input[i]!)) i++;
  return i;
}

function resolve(
  qname: string,
  rawAttrs: [string, string][],
  parentScope: ReadonlyMap<string, string>,
  fail: (m: string) => never,
): XmlElement {
  let scope = parentScope;
  for (const [name, value] of rawAttrs) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
    }
  }
  const [prefix, local] = splitQName(qname);
  const ns = prefix === 'xml' ? XML_NS : scope.get(prefix);
  if (ns === undefined && prefix !== '') fail(`unbound prefix ${prefix}`);
  const attrs: XmlAttr[] = [];
  for (const [name, value] of rawAttrs) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const [ap, al] = splitQName(name);
    // Unprefixed attributes are in no namespace (Namespaces in XML 1.0, 6.2).
    const ans = ap === '' ? '' : ap === 'xml' ? XML_NS : scope.get(ap);
    if (ans === undefined) fail(`unbound prefix ${ap}`);
    attrs.push({ ns: ans!, local: al, value });
  }
  return { ns: ns ?? '', local, attrs, children: [], text: '', scope };
}

function splitQName(qname: string): [string, string] {
  const colon = qname.indexOf(':');
  return colon === -1 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{1,10});|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new XmlError('bare "&" in text');
    if (name.startsWith('#x')) return codePoint(parseInt(name.slice(2), 16), m);
    if (name.startsWith('#')) return codePoint(parseInt(name.slice(1), 10), m);
    const v = NAMED[name];
    if (v === undefined) throw new XmlError(`unknown entity ${m}`);
    return v;
  });
}

function codePoint(n: number, m: string): string {
  if (!Number.isInteger(n) || n <= 0 || n > 0x10ffff) throw new XmlError(`bad character reference ${m}`);
  return String.fromCodePoint(n);
}

// ---- helpers used by the services ----

export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && c.ns === ns);
}

/** First child by local name, whatever its namespace (for lenient parameter reading). */
export function childLocal(el: XmlElement | undefined, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local);
}

export function textOf(el: XmlElement | undefined): string | undefined {
  return el?.text.trim();
}

export function attr(el: XmlElement | undefined, local: string, ns = ''): string | undefined {
  return el?.attrs.find((a) => a.local === local && a.ns === ns)?.value;
}

/** Escape text or an attribute value for output. */
export function esc(s: string | number | boolean): string {
  return String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
