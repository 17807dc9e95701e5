// The technician checklist's shapes (DESIGN.md `cea diagnose --json`): every check has a
// stable name, a status and a detail; `advice` (an extension) says what to do next.
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do next; set on every warn and fail. */
  advice?: string;
}

export interface DiagnoseReport {
  checks: Check[];
}

export function check(name: string, status: CheckStatus, detail: string, advice?: string): Check {
  return advice !== undefined && status !== 'pass' ? { name, status, detail, advice } : { name, status, detail };
}

/** One unit of work: it yields one or more checks, within its deadline. */
export interface CheckTask {
  /** The name a progress line shows (and the failing check's name on a timeout). */
  name: string;
  deadlineMs: number;
  run(signal: AbortSignal): Promise<Check[]>;
}

/** Runs a task; a deadline overrun or an unexpected error becomes a failing check, never a crash. */
export async function runTask(task: CheckTask): Promise<Check[]> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<Check[]>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve([check(task.name, 'fail', `did not finish within ${Math.round(task.deadlineMs / 1000)} s`, 'run `cea diagnose` again; if it keeps timing out, the component hangs: restart it and look at the agent log')]);
    }, task.deadlineMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([
      task.run(ac.signal).catch((err: unknown) => [
        check(task.name, 'fail', `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, 'report this as a bug in cea diagnose, with the output above'),
      ]),
      overrun,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` over `items`, at most `limit` at once; results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** "1.5 GiB" style. */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export function ageText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}
