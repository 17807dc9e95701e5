import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { IssueSink, formatPath, type Locate, type PathSegment } from './issues.js';
import { yamlLocator } from './locate.js';
import type { ConfigIssue } from './types.js';

export type YamlSource =
  | { ok: true; value: Record<string, unknown>; locate: Locate; sink: IssueSink }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

const at11 = (file: string, message: string): ConfigIssue => ({ file, line: 1, column: 1, path: '', message });

/** Decodes file bytes as UTF-8, refusing anything else (a config must be readable by humans and diffable). */
export function decodeUtf8(bytes: Uint8Array, file: string): { ok: true; text: string } | { ok: false; error: ConfigIssue } {
  try {
    // fatal: invalid sequences throw instead of becoming U+FFFD; a leading BOM is dropped.
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, error: at11(file, 'the file is not valid UTF-8 text') };
  }
}

/**
 * Parses YAML text whose top level must be a mapping. Syntax errors, duplicate keys
 * and YAML warnings come back positioned; on success the plain value and a locator
 * for later (schema, semantic) issues.
 */
export function parseYamlMapping(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // uniqueKeys: false because yaml positions a duplicate inside a nested map at the
  // previous pair; duplicateKeys() below points at the repeated key itself.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const locate = yamlLocator(doc, lineCounter);
  const sink = new IssueSink(file, locate);
  const atOffset = (offset: number, message: string): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, path: '', message };
  };
  for (const e of doc.errors) {
    const message = e.code === 'MULTIPLE_DOCS' ? 'a config file holds one YAML document; remove the second "---"' : e.message;
    sink.addErrors([atOffset(e.pos[0], message)]);
  }
  for (const w of doc.warnings) sink.warnings.push(atOffset(w.pos[0], w.message));
  sink.addErrors(duplicateKeys(doc, lineCounter, file));
  if (sink.errors.length > 0) return { ok: false, errors: sink.errors, warnings: sink.warnings };

  if (doc.contents === null) {
    return { ok: false, errors: [at11(file, 'the file is empty: expected a YAML mapping (site:, profile:, …)')], warnings: sink.warnings };
  }
  if (!isMap(doc.contents)) {
    return { ok: false, errors: [at11(file, 'the top level must be a YAML mapping of keys (site:, profile:, …)')], warnings: sink.warnings };
  }
  let value: unknown;
  try {
    // maxAliasCount guards against alias bombs ("billion laughs").
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, errors: [at11(file, `cannot read the YAML: ${(err as Error).message}`)], warnings: sink.warnings };
  }
  return { ok: true, value: value as Record<string, unknown>, locate, sink };
}

function duplicateKeys(doc: Document, lineCounter: LineCounter, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Map(_key, map, ancestors) {
      const where = pathOf([...ancestors, map]);
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) continue;
        const name = String(pair.key.value);
        const { line, col } = lineCounter.linePos(pair.key.range[0]);
        const first = seen.get(name);
        if (first === undefined) seen.set(name, line);
        else issues.push({ file, line, column: col, path: formatPath([...where, name]), message: `duplicate key "${name}" (first at line ${first})` });
      }
    },
  });
  return issues;
}

/** The config path of a node from its ancestor chain (Document, maps, pairs, sequences). */
function pathOf(chain: readonly unknown[]): PathSegment[] {
  const path: PathSegment[] = [];
  chain.forEach((node, i) => {
    const next = chain[i + 1];
    if (isPair(node)) {
      if (isScalar(node.key)) path.push(String(node.key.value));
    } else if (isSeq(node) && next !== undefined) {
      path.push(node.items.indexOf(next as never));
    }
  });
  return path;
}
