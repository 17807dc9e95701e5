// CPU and memory of processes, read from /proc (Linux) as `top` does: a process's CPU is
// utime + stime, plus cutime + cstime of children it has reaped (an agent's ffmpeg
// recorders and frame grabs count as the agent's); RSS is VmRSS.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (almost always 100). */
export const CLOCK_TICKS = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds of a process (with reaped children) from the text of /proc/<pid>/stat. */
export function parseCpuSeconds(stat: string, ticks = CLOCK_TICKS): number {
  // The command name (field 2) is in parentheses and may contain spaces or ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime, stime, cutime, cstime are fields 14–17.
  const field = (n: number) => Number(rest[n - 3]);
  return (field(14) + field(15) + field(16) + field(17)) / ticks;
}

/** VmRSS in bytes from the text of /proc/<pid>/status, or null (a zombie has none). */
export function parseRssBytes(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

export interface ProcSample {
  atMs: number;
  cpuSeconds: number;
  rssBytes: number | null;
}

export function readProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { atMs: performance.now(), cpuSeconds: parseCpuSeconds(stat), rssBytes: parseRssBytes(status) };
  } catch {
    return null; // gone
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function readMachineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export interface CpuSummary {
  /** Average over the window, in % of one core (200 = two cores busy). */
  meanPercent: number | null;
  /** 95th percentile of the per-interval values. */
  p95Percent: number | null;
  maxRssBytes: number | null;
  lastRssBytes: number | null;
}

/** Samples a set of processes every `everyMs`; summaries cover [from, to] in performance.now() ms. */
export class ProcSampler {
  private readonly samples = new Map<number, ProcSample[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pids: () => number[],
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  sample(): void {
    for (const pid of this.pids()) {
      const s = readProc(pid);
      if (!s) continue;
      let list = this.samples.get(pid);
      if (!list) this.samples.set(pid, (list = []));
      list.push(s);
    }
  }

  /** CPU of the given processes added together (e.g. all simulator processes). */
  summary(pids: number[], fromMs: number, toMs: number): CpuSummary {
    const per = pids.map((pid) => (this.samples.get(pid) ?? []).filter((s) => s.atMs >= fromMs && s.atMs <= toMs));
    const usable = per.filter((l) => l.length >= 2);
    if (usable.length === 0) return { meanPercent: null, p95Percent: null, maxRssBytes: null, lastRssBytes: null };
    let cpu = 0;
    let wall = 0;
    for (const l of usable) {
      cpu += l[l.length - 1]!.cpuSeconds - l[0]!.cpuSeconds;
      wall = Math.max(wall, (l[l.length - 1]!.atMs - l[0]!.atMs) / 1000);
    }
    // Per interval: the processes' CPU summed, interval by interval of the first process's clock.
    const intervals: number[] = [];
    const steps = Math.min(...usable.map((l) => l.length)) - 1;
    for (let i = 0; i < steps; i++) {
      let c = 0;
      let w = 0;
      for (const l of usable) {
        c += l[i + 1]!.cpuSeconds - l[i]!.cpuSeconds;
        w = Math.max(w, (l[i + 1]!.atMs - l[i]!.atMs) / 1000);
      }
      if (w > 0) intervals.push((c / w) * 100);
    }
    intervals.sort((a, b) => a - b);
    const rss = usable.map((l) => l.map((s) => s.rssBytes ?? 0));
    const summed = (i: number) => rss.reduce((a, l) => a + (l[Math.min(i, l.length - 1)] ?? 0), 0);
    let maxRss = 0;
    for (let i = 0; i < Math.max(...rss.map((l) => l.length)); i++) maxRss = Math.max(maxRss, summed(i));
    return {
      meanPercent: wall > 0 ? round1((cpu / wall) * 100) : null,
      p95Percent: intervals.length > 0 ? round1(intervals[Math.min(intervals.length - 1, Math.floor(intervals.length * 0.95))]!) : null,
      maxRssBytes: maxRss,
      lastRssBytes: summed(Number.MAX_SAFE_INTEGER),
    };
  }
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
