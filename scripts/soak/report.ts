// The soak's result as a table of measurements against the issue's goals.
import { renderTable } from '../cli/table.js';
import { mb, type SoakResult } from './run.js';

export function soakReport(r: SoakResult): string {
  const mark = (pass: boolean | null) => (pass === null ? '' : pass ? 'pass' : 'MISS');
  const e = r.events;
  const c = r.chaos;
  const rows: [string, string, string, boolean | null][] = [
    ['agent CPU, mean / p95 of 2 s samples (% of one core)', `${r.agent.cpuMeanPercent ?? '?'} / ${r.agent.cpuP95Percent ?? '?'}`, '(reported)', null],
    ['agent RSS, max / at end (MB)', `${mb(r.agent.rssMaxBytes)} / ${mb(r.agent.rssEndBytes)}`, '< 150', r.agent.rssMaxBytes === null ? null : r.agent.rssMaxBytes < 150 * 2 ** 20],
    [
      'event-loop delay p99, worst health window (ms)',
      `${r.agent.eventLoopP99Ms ?? '?'} (max ${r.agent.eventLoopMaxMs ?? '?'})`,
      '< 50',
      r.agent.eventLoopP99Ms === null ? null : r.agent.eventLoopP99Ms < 50,
    ],
    ['events produced (agent seq) / received (distinct ids)', `${e.produced} / ${e.received}`, 'equal', e.produced === e.received && e.missing.length === 0],
    ['duplicates / out of order / id-seq conflicts', `${e.duplicates} / ${e.outOfOrder} / ${e.conflicts}`, '0 / 0 / 0', e.duplicates + e.outOfOrder + e.conflicts === 0],
    ['outbox drained after the chaos (s)', `${e.drained ? 'yes' : 'NO'} (${e.settleSeconds})`, 'yes', e.drained],
    ['clarity samples/s (cameras / interval)', `${r.clarity.samplesPerSecond} (${r.clarity.expectedPerSecond})`, '>= 80 % of it', r.clarity.samplesPerSecond >= 0.8 * r.clarity.expectedPerSecond],
    ['cameras set offline that got camera.offline', `${c.offline.seen} / ${c.offline.expected}`, 'all', c.offline.missing.length === 0],
    ['cameras blurred that got clarity.fault', `${c.blur.seen} / ${c.blur.expected}`, 'all', c.blur.missing.length === 0],
    ['cameras changed that are in a config.changed report', `${c.config.seen} / ${c.config.expected} (${c.config.reports} reports)`, 'all', c.config.missing.length === 0],
    ['ping answered at the end (ms)', r.ping.ok === null ? `n/a: ${r.ping.note}` : `${r.ping.ok ? 'yes' : 'NO'} (${r.ping.ms ?? '?'})`, 'yes', r.ping.ok],
    ['agent stop on SIGTERM: exit code, ms', `${r.agent.stop.code ?? r.agent.stop.signal}, ${r.agent.stop.ms}`, '0, < 5000', r.agent.stop.code === 0 && r.agent.stop.ms < 5000],
    ['processes left running', String(r.processesLeft.length), '0', r.processesLeft.length === 0],
  ];
  const lines = [
    `soak: ${r.cameras} cameras, ${r.broker}, ${r.chaosSeconds} s of chaos, monitor every ${r.monitorIntervalSeconds} s, seed ${r.seed}`,
    `machine: ${r.machine.cores} cores, busy ${r.machine.busyPercent ?? '?'} % during the chaos (everything: agent, ${r.simulatorProcesses} simulator processes ` +
      `at ${r.simulators.cpuMeanPercent ?? '?'} % of a core, soak ${r.soakProcessCpuPercent} %, broker, other users); load ${r.machine.loadavgStart.join(' ')} → ${r.machine.loadavgEnd.join(' ')}`,
    'recording: off for every camera (the ONVIF simulator serves no RTSP; 256 ffmpeg recorders would be a recording bench, not this one)',
    '',
    renderTable(['what', 'measured', 'goal', ''], rows.map(([w, m, g, p]) => [w, m, g, mark(p)])),
    '',
    `events by type: ${Object.entries(e.byType).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t} ${n}`).join(', ')}`,
  ];
  if (e.beforeSubscribe > 0) lines.push(`note: ${e.beforeSubscribe} event(s) were published before the subscriber could connect to the embedded broker (not counted)`);
  if (e.producedDuringShutdown > 0) lines.push(`note: ${e.producedDuringShutdown} event(s) produced during shutdown (${e.outboxAtStop} left in the outbox for the next start)`);
  if (e.missing.length > 0) lines.push(`missing seqs (first ${e.missing.length}): ${e.missing.join(' ')}`);
  for (const [k, v] of [['offline', c.offline], ['blur', c.blur], ['config', c.config]] as const) {
    if (v.missing.length > 0) lines.push(`${k}: no event for ${v.missing.join(' ')}`);
  }
  if (c.failed > 0) lines.push(`chaos: ${c.failed} of ${c.actions} switches failed`);
  if (c.failures.length > 0) lines.push(...c.failures.map((f) => `  ${f}`));
  if (r.agent.logErrors > 0 || r.agent.logWarnings > 0 || r.agent.logOther > 0) {
    lines.push(`agent log: ${r.agent.logErrors} error(s), ${r.agent.logWarnings} warning(s), ${r.agent.logOther} other line(s) (Node warnings); last:`, ...r.agent.lastProblems.slice(0, 8).map((l) => `  ${l}`));
  }
  lines.push(`verdict: ${r.ok ? 'OK' : 'FAILED'} (correctness: produced = received, exactly once, in order, drained, nothing left running)`);
  return lines.join('\n');
}
