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

/** What diagnose learned about one camera: the evidence the acceptance / inspection report shows. */
export interface CameraReport {
  id: string;
  name: string;
  location: { kind: string; description: string };
  /** A prohibited place: listed, never contacted. */
  prohibited: boolean;
  /** The worst status of this camera's checks. */
  status: CheckStatus;
  identity: { manufacturer: string; model: string; firmware: string; serial: string } | null;
  /** The profile diagnose used; the URI without credentials. */
  stream: { profile: string; uri: string; encoding: string | null; width: number | null; height: number | null; fps: number | null; bitrateKbps: number | null } | null;
  /** What ffprobe received over the probe window. */
  rtsp: { codec: string; width: number; height: number; fps: number | null; bitrate: number } | null;
  /** Camera clock minus box clock, ms. */
  clockOffsetMs: number | null;
  snapshot: { width: number; height: number; bytes: number } | null;
  /**
   * The snapshot judged once (no hysteresis): against the camera's learned baseline and
   * reference when the clarity monitor has one in the database, else the default thresholds.
   */
  clarity: {
    verdict: 'ok' | 'degraded' | 'fault';
    faults: string[];
    judgedAgainst: 'baseline' | 'defaults';
    mode: 'day' | 'night';
    metrics: Record<string, number> | null;
  } | null;
  /** The thumbnail's file name relative to the report directory; only in a written report. */
  thumbnail?: string;
}

export interface DiagnoseReport {
  checks: Check[];
  /** Extension: one entry per camera diagnosed, in config order. */
  cameras?: CameraReport[];
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

/** The worst of the statuses (pass when there is none). */
export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'pass';
  for (const s of statuses) {
    if (s === 'fail') return 'fail';
    if (s === 'warn') worst = 'warn';
  }
  return worst;
}

/** Counts per status. */
export function countStatuses(checks: readonly Check[]): Record<CheckStatus, number> {
  const n = { pass: 0, warn: 0, fail: 0 };
  for (const c of checks) n[c.status] += 1;
  return n;
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
