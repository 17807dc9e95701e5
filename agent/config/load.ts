import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { IssueSink, noPosition, sortIssues } from './issues.js';
import { resolveConfig } from './resolve.js';
import type { ConfigIssue, LoadContext, LoadResult } from './types.js';
import { decodeUtf8, parseYamlMapping } from './yaml-source.js';

// The public entry points: a file, a text, or an already-built object (the demo).

const fail = (errors: ConfigIssue[], warnings: ConfigIssue[] = []): LoadResult => ({
  ok: false,
  errors: sortIssues(errors),
  warnings: sortIssues(warnings),
});

/** Reads and validates a config file; a relative `file` is taken from ctx.cwd. */
export function loadConfigFile(file: string, ctx: LoadContext): LoadResult {
  const path = resolve(ctx.cwd, file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot read the file: ${(err as Error).message}`;
    return fail([{ file: path, line: 1, column: 1, path: '', message: why }]);
  }
  const decoded = decodeUtf8(bytes, path);
  if (!decoded.ok) return fail([decoded.error]);
  return parseConfigText(decoded.text, path, ctx);
}

/**
 * Validates config text. `file` names it in issues and is the base of the files it
 * refers to (passwordFile, TLS files, platform keys); relative to ctx.cwd if relative.
 */
export function parseConfigText(text: string, file: string, ctx: LoadContext): LoadResult {
  const path = resolve(ctx.cwd, file);
  const source = parseYamlMapping(text, path);
  if (!source.ok) return fail(source.errors, source.warnings);
  return finish(resolveConfig({ raw: source.value, source: path, baseDir: dirname(path), sink: source.sink, ctx }), source.sink);
}

/** Validates a config object that did not come from a file (the built-in demo); positions are 0. */
export function resolveConfigObject(raw: unknown, source: string, ctx: LoadContext): LoadResult {
  const sink = new IssueSink(source, noPosition);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail([{ file: source, line: 0, column: 0, path: '', message: 'the config must be an object' }]);
  }
  return finish(resolveConfig({ raw, source, baseDir: ctx.cwd, sink, ctx }), sink);
}

function finish(config: ReturnType<typeof resolveConfig>, sink: IssueSink): LoadResult {
  if (config === null || sink.errors.length > 0) return fail(sink.errors, sink.warnings);
  return { ok: true, config, warnings: sortIssues(sink.warnings) };
}
