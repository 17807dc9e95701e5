// The technician checklist's shapes (DESIGN.md `cea diagnose --json`): every check has a
// stable name, a status and a detail; `advice` (an extension) says what to do next.
// `code` + `params` (extensions) name the outcome for machines: detail and advice in the
// JSON are always the English rendering, and every human reader (CLI, console, report)
// renders code + params in its own language from agent/i18n/diagnose.ts.
import { ageText, bytesText, renderDiagnose, type DiagnoseCode, type DiagnoseParams } from '../i18n/diagnose.js';
import type { Language } from '../i18n/index.js';

export { ageText, bytesText };

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do next; set on every warn and fail. */
  advice?: string;
  /** The outcome's stable machine code (agent/i18n/diagnose.ts). */
  code?: string;
  /** The values its texts are made of (JSON). */
  params?: Record<string, unknown>;
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

type ParamArgs<K extends DiagnoseCode> = keyof DiagnoseParams<K> extends never ? [] : [DiagnoseParams<K>];

/** A check whose detail and advice come from the catalog: English in the JSON, plus its code and params. */
export function said<K extends DiagnoseCode>(name: string, status: CheckStatus, code: K, ...args: ParamArgs<K>): Check {
  const params = args[0] as Record<string, unknown> | undefined;
  const r = renderDiagnose(code, params, 'en');
  const detail = r?.detail ?? code;
  const out: Check = r?.advice !== undefined && status !== 'pass' ? { name, status, detail, advice: r.advice } : { name, status, detail };
  out.code = code;
  if (params !== undefined) out.params = params;
  return out;
}

/** A check's detail and advice in `lang`: from its code when the catalog knows it, else as stored. */
export function checkText(c: Pick<Check, 'detail' | 'advice' | 'code' | 'params' | 'status'>, lang: Language): { detail: string; advice: string | undefined } {
  if (lang === 'en' || c.code === undefined) return { detail: c.detail, advice: c.advice };
  const r = renderDiagnose(c.code, c.params, lang);
  if (r === null) return { detail: c.detail, advice: c.advice };
  return { detail: r.detail, advice: c.advice === undefined ? undefined : (r.advice ?? c.advice) };
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
      resolve([said(task.name, 'fail', 'task.timeout', { seconds: Math.round(task.deadlineMs / 1000) })]);
    }, task.deadlineMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([
      task.run(ac.signal).catch((err: unknown) => [
        said(task.name, 'fail', 'task.crashed', { message: err instanceof Error ? err.message : String(err) }),
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
