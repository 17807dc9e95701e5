import type { z } from 'zod';
import type { ConfigPath, IssueSink, PathSegment } from './issues.js';

// Turns zod's issues into positioned config issues: one per unknown key (pointing at
// the key, with a "did you mean" when a known key is close), "missing" for absent
// required keys, zod's own wording otherwise.

type AnySchema = z.core.$ZodType;

interface LooseDef {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
}

const defOf = (schema: AnySchema): LooseDef => schema._zod.def as unknown as LooseDef;

/** Keys an object schema accepts at the given path (through arrays, optionals, defaults, pipes). */
export function knownKeysAt(schema: AnySchema, path: ConfigPath): string[] {
  let current: AnySchema | undefined = schema;
  const unwrap = (): void => {
    for (let def = current && defOf(current); def; def = current && defOf(current)) {
      const next: AnySchema | undefined = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
      if (!next) return;
      current = next;
    }
  };
  for (const seg of path) {
    unwrap();
    if (!current) return [];
    const def = defOf(current);
    if (def.type === 'object' && typeof seg === 'string') current = def.shape?.[seg];
    else if (def.type === 'array' && typeof seg === 'number') current = def.element;
    else return [];
  }
  unwrap();
  return current && defOf(current).type === 'object' ? Object.keys(defOf(current).shape ?? {}) : [];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d <= 2 && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

const segments = (path: readonly PropertyKey[]): PathSegment[] =>
  path.map((s) => (typeof s === 'number' ? s : String(s)));

export function reportZodIssues(schema: AnySchema, issues: readonly z.core.$ZodIssue[], raw: unknown, sink: IssueSink): void {
  for (const iss of issues) {
    const path = segments(iss.path);
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of iss.keys) {
        const guess = closestKey(key, known);
        const hint = guess ? ` (did you mean "${guess}"?)` : known.length > 0 ? ` (known keys: ${known.join(', ')})` : '';
        sink.error([...path, key], `unknown key "${key}"${hint}`, 'key');
      }
    } else if (iss.code === 'invalid_type' && valueAt(raw, iss.path) === undefined) {
      sink.error(path, `missing required key "${String(path[path.length - 1] ?? '')}"`);
    } else {
      sink.error(path, iss.message.replace(/^Invalid input: /, '').replace(/^expected int,/, 'expected an integer,'));
    }
  }
}
