import type { ConfigIssue } from './types.js';

export type PathSegment = string | number;
export type ConfigPath = readonly PathSegment[];

/** Where an issue points inside its node: the key (unknown or misplaced keys) or the value. */
export type IssueTarget = 'key' | 'value';

export interface Position {
  line: number;
  column: number;
}

/** Maps a path in the parsed value back to a position in the source text. */
export type Locate = (path: ConfigPath, target: IssueTarget) => Position;

/** For configs that did not come from text (the built-in demo): no positions. */
export const noPosition: Locate = () => ({ line: 0, column: 0 });

/** "cameras[2].onvif.password" */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** "file:line:col path: message" (the position is left out when unknown, the path when empty). */
export function formatConfigIssue(i: ConfigIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  return i.path === '' ? `${where}: ${i.message}` : `${where} ${i.path}: ${i.message}`;
}

/** Collects errors and warnings about one source text, positioned by its locator. */
export class IssueSink {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  constructor(
    readonly file: string,
    readonly locate: Locate,
  ) {}

  error(path: ConfigPath, message: string, target: IssueTarget = 'value'): void {
    this.errors.push(this.issue(path, message, target));
  }

  warn(path: ConfigPath, message: string, target: IssueTarget = 'value'): void {
    this.warnings.push(this.issue(path, message, target));
  }

  /** Issues found in another file (a profile) keep their own file and position. */
  addErrors(issues: readonly ConfigIssue[]): void {
    this.errors.push(...issues);
  }

  /** Position of a path, for messages like "first defined at line 12". */
  lineOf(path: ConfigPath): number {
    return this.locate(path, 'value').line;
  }

  private issue(path: ConfigPath, message: string, target: IssueTarget): ConfigIssue {
    const { line, column } = this.locate(path, target);
    return { file: this.file, line, column, path: formatPath(path), message };
  }
}

/** Orders issues by position within each file (files in order of first appearance), so output reads top to bottom. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = new Map<string, number>();
  for (const i of issues) if (!rank.has(i.file)) rank.set(i.file, rank.size);
  return [...issues].sort(
    (a, b) => (rank.get(a.file) ?? 0) - (rank.get(b.file) ?? 0) || a.line - b.line || a.column - b.column,
  );
}
