// CPU cost of the retained `health` topic's host sampling (agent/linkage/health.ts, via
// systeminformation, which spawns helper processes: df, sensors, …). Runs N collection
// cycles back to back, measures the CPU time they took — this process (all its threads)
// plus its reaped children (/proc/self/stat cutime + cstime) — and states it as the
// average CPU % at the publisher's rate (one cycle per --interval-seconds, default 60).
// Goal: < 1 % of one core. Also per probe, so an expensive one can be sampled less often.
//   npm run bench -- health [--cycles 20] [--interval-seconds 60]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { HealthPublisher, systemInformationProbe, type HostProbe } from '../../agent/linkage/health.js';
import type { StatusLink } from '../../agent/linkage/camera-status.js';
import { silentLogger } from '../../drivers/log/logger.js';
import type { BenchRow } from './summary.js';

const GOAL_PERCENT = 1;

function option(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** CPU ms of waited-for children (Linux): /proc/self/stat fields 16 and 17, in clock ticks. */
function childrenCpuMs(ticks: number): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): field n is rest[n - 3].
    const cutime = Number(rest[13]);
    const cstime = Number(rest[14]);
    return ((cutime + cstime) / ticks) * 1000;
  } catch {
    return 0; // not Linux: children are not counted (said in the output)
  }
}

interface Cost {
  selfMs: number;
  childMs: number;
  wallMs: number;
}

async function measure(cycles: number, ticks: number, fn: () => Promise<unknown>): Promise<Cost> {
  await fn(); // warm-up: module loading and systeminformation's first-call caches
  const self0 = process.cpuUsage();
  const child0 = childrenCpuMs(ticks);
  const t0 = performance.now();
  for (let i = 0; i < cycles; i++) await fn();
  const self = process.cpuUsage(self0);
  return {
    selfMs: (self.user + self.system) / 1000 / cycles,
    childMs: (childrenCpuMs(ticks) - child0) / cycles,
    wallMs: (performance.now() - t0) / cycles,
  };
}

const percentAt = (c: Cost, intervalMs: number) => ((c.selfMs + c.childMs) / intervalMs) * 100;

export async function benchHealth(argv: string[]): Promise<BenchRow[]> {
  const cycles = Math.round(option(argv, 'cycles', 20));
  const intervalMs = option(argv, 'interval-seconds', 60) * 1000;
  const ticks = clockTicks();
  const link: StatusLink = { connected: false, on: () => undefined, off: () => undefined, publish: async () => {} };
  const publisher = new HealthPublisher({
    site: 'bench',
    link,
    logger: silentLogger(),
    now: () => new Date(),
    refusals: () => ({}),
    outboxSize: () => 0,
    agentVersion: 'bench',
    bootId: 'bench',
    probeTimeoutMs: 10_000,
  });
  const lines: string[] = [];
  const row = (name: string, c: Cost) =>
    `${name.padEnd(12)} ${(c.selfMs + c.childMs).toFixed(1).padStart(8)} ms CPU/cycle (self ${c.selfMs.toFixed(1)}, children ${c.childMs.toFixed(1)}), ${c.wallMs.toFixed(0).padStart(5)} ms wall → ${percentAt(c, intervalMs).toFixed(3)} % at one cycle / ${intervalMs / 1000} s`;

  const whole = await measure(cycles, ticks, () => publisher.payload());
  lines.push(row('payload', whole));
  const probe: HostProbe = systemInformationProbe;
  for (const name of ['cpu', 'memory', 'temperature', 'disks'] as const) {
    lines.push(row(name, await measure(cycles, ticks, () => probe[name]())));
  }
  const pct = percentAt(whole, intervalMs);
  process.stdout.write(
    [
      `health: ${cycles} collection cycles, measured back to back (CLK_TCK ${ticks}${process.platform === 'linux' ? '' : '; children not counted off Linux'})`,
      ...lines.map((l) => `  ${l}`),
      `  average CPU for health at its rate: ${pct.toFixed(3)} % of one core (goal < ${GOAL_PERCENT} %) — ${pct < GOAL_PERCENT ? 'met' : 'NOT met'}`,
      '',
    ].join('\n'),
  );
  return [
    {
      bench: 'health',
      what: `host sampling, 1 cycle / ${intervalMs / 1000} s`,
      measured: `${pct.toFixed(3)} % CPU`,
      baseline: `${GOAL_PERCENT} % (goal)`,
      ratio: pct / GOAL_PERCENT,
      goal: `< ${GOAL_PERCENT} %`,
      met: pct < GOAL_PERCENT,
    },
  ];
}

// `node dist/scripts/bench/health.js` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await benchHealth(process.argv.slice(2));
