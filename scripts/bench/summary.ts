// The one table `npm run bench` ends with: every bench's headline ratio against the
// baseline it measured in the same run, so the numbers compare across noisy machines.
import { cpus, totalmem } from 'node:os';

export interface BenchRow {
  bench: string;
  /** What was measured, e.g. "score 1080p". */
  what: string;
  measured: string;
  baseline: string;
  /** measured / baseline in the bench's own sense (time ratio, or rate ratio). */
  ratio: number;
  /** e.g. "<= 1.5x"; empty when the bench has none. */
  goal: string;
  met: boolean | null;
}

export type Bench = (argv: string[]) => Promise<BenchRow[]>;

export function machineLine(): string {
  const c = cpus();
  return `${new Date().toISOString().slice(0, 10)} · ${c.length} × ${c[0]?.model.trim() ?? 'cpu'} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.versions.node}`;
}

export function summaryTable(rows: readonly BenchRow[]): string {
  const head = ['bench', 'what', 'measured', 'baseline (same run)', 'ratio', 'goal', ''];
  const body = rows.map((r) => [r.bench, r.what, r.measured, r.baseline, `${r.ratio.toFixed(2)}x`, r.goal, r.met === null ? '' : r.met ? 'met' : 'NOT met']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
