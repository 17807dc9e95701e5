import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigPath, IssueTarget, Locate, Position } from './issues.js';

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? undefined : String(key.value);
  return undefined;
}

/** A `key:` with nothing after it parses as an empty null scalar positioned at the line's end. */
function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && (node.source === '' || node.source === undefined);
}

/**
 * Locates a path of the parsed value in the YAML text. A path that runs out (a missing
 * key) points at the deepest node that exists: `site:` for a missing `site.id`.
 * Aliases are followed, so an error inside anchored content points where it is written.
 */
export function yamlLocator(doc: Document, lineCounter: LineCounter): Locate {
  const pos = (node: Node | null | undefined): Position => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  return (path: ConfigPath, target: IssueTarget): Position => {
    let node: unknown = doc.contents;
    let keyNode: Node | null = null;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) return pos(keyNode ?? (node as Node));
        keyNode = isScalar(pair.key) ? pair.key : null;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item: unknown = node.items[seg];
        if (item === undefined) return pos(keyNode ?? (node as Node));
        keyNode = item as Node;
        node = item;
      } else {
        return pos(keyNode ?? (node as Node | null));
      }
    }
    if (target === 'key' && keyNode) return pos(keyNode);
    if (node && !isEmptyScalar(node) && (node as Node).range) return pos(node as Node);
    return pos(keyNode ?? (doc.contents as Node | null));
  };
}
