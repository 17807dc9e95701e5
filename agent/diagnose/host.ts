// Host checks: the box's own time sync (timedatectl, else chronyc), and via
// systeminformation CPU temperature, disk health (SMART where reported), memory and load.
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import si from 'systeminformation';
import { bytesText, check, type Check } from './checks.js';

function run(cmd: string, args: string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => resolve(err ? null : stdout));
  });
}

export interface TimeSyncState {
  source: 'timedatectl' | 'chrony';
  synced: boolean;
  /** Box clock minus NTP time (ms), when the tool says. */
  offsetMs: number | null;
}

/** The box's NTP state, or null when neither timedatectl (with systemd) nor chronyc answers. */
export async function readTimeSync(timeoutMs = 3_000): Promise<TimeSyncState | null> {
  const chrony = await run('chronyc', ['-n', 'tracking'], timeoutMs);
  if (chrony !== null) {
    const m = /System time\s*:\s*([\d.]+) seconds (slow|fast)/.exec(chrony);
    const leap = /Leap status\s*:\s*(.+)/.exec(chrony)?.[1]?.trim();
    const offsetMs = m?.[1] ? Number(m[1]) * 1000 * (m[2] === 'slow' ? -1 : 1) : null;
    return { source: 'chrony', synced: leap !== undefined && leap !== 'Not synchronised', offsetMs };
  }
  const td = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '-p', 'NTP'], timeoutMs);
  if (td !== null && /NTPSynchronized=/.test(td)) return { source: 'timedatectl', synced: /NTPSynchronized=yes/.test(td), offsetMs: null };
  return null;
}

export function timeSyncCheck(state: TimeSyncState | null): Check {
  const name = 'time: box';
  if (state === null) {
    return check(name, 'warn', 'cannot tell whether the clock is synchronised (no timedatectl with systemd, no chronyc)', 'install and enable an NTP client (chrony or systemd-timesyncd) pointing at the site\'s time server');
  }
  const off = state.offsetMs === null ? '' : `, offset ${(state.offsetMs / 1000).toFixed(3)} s`;
  if (!state.synced) {
    return check(name, 'fail', `not synchronised (${state.source}${off})`, 'recordings and events carry the box\'s time: enable NTP (`timedatectl set-ntp true` or start chronyd) and check the NTP server is reachable');
  }
  if (state.offsetMs !== null && Math.abs(state.offsetMs) > 1_000) {
    return check(name, 'warn', `synchronised (${state.source}) but ${off.slice(2)}`, 'the clock is still converging; if it stays off, check the NTP server');
  }
  return check(name, 'pass', `synchronised (${state.source}${off})`);
}

function deadline<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

/** The host checks; each systeminformation call has its own deadline. */
export async function hostChecks(timeoutMs = 8_000): Promise<Check[]> {
  const [temp, disks, mem] = await Promise.all([
    deadline(si.cpuTemperature().catch(() => null), timeoutMs),
    deadline(si.diskLayout().catch(() => null), timeoutMs),
    deadline(si.mem().catch(() => null), timeoutMs),
  ]);
  const out: Check[] = [];

  if (temp === 'timeout') out.push(check('host: cpu temperature', 'warn', 'not read within the deadline', 'check the system\'s sensors (lm-sensors)'));
  else if (!temp || temp.main === null) out.push(check('host: cpu temperature', 'pass', 'not reported on this platform'));
  else if (temp.main >= 90) out.push(check('host: cpu temperature', 'fail', `${temp.main} °C`, 'the box overheats: check its fan, dust filters and the cabinet\'s ventilation'));
  else if (temp.main >= 80) out.push(check('host: cpu temperature', 'warn', `${temp.main} °C`, 'the box runs hot: check its fan and the cabinet\'s ventilation'));
  else out.push(check('host: cpu temperature', 'pass', `${temp.main} °C`));

  if (disks === 'timeout') out.push(check('host: disk health', 'warn', 'not read within the deadline', 'check the disks with `smartctl -a`'));
  else if (!disks || disks.length === 0) out.push(check('host: disk health', 'pass', 'not reported on this platform'));
  else {
    const bad = disks.filter((d) => d.smartStatus === 'Predicted Failure');
    const list = disks.map((d) => `${d.name || d.device} ${d.smartStatus}`).join(', ');
    out.push(bad.length > 0 ? check('host: disk health', 'fail', list, `replace ${bad.map((d) => d.device || d.name).join(', ')} soon: SMART predicts a failure; recordings on it are at risk`) : check('host: disk health', 'pass', list));
  }

  if (mem === 'timeout' || !mem) out.push(check('host: memory', 'warn', 'not read', 'check `free -m`'));
  else {
    const pct = (mem.available / mem.total) * 100;
    const detail = `${bytesText(mem.available)} available of ${bytesText(mem.total)} (${pct.toFixed(0)}%)`;
    out.push(pct < 5 ? check('host: memory', 'fail', detail, 'memory is nearly exhausted: look for a runaway process (`top`), restart the agent') : pct < 15 ? check('host: memory', 'warn', detail, 'memory is low: look at what uses it (`top`)') : check('host: memory', 'pass', detail));
  }

  const [l1 = 0, l5 = 0] = loadavg();
  const cores = Math.max(1, cpus().length);
  const detail = `load ${l1.toFixed(2)} / ${l5.toFixed(2)} (1 / 5 min) on ${cores} core${cores === 1 ? '' : 's'}`;
  out.push(l5 > cores * 2 ? check('host: load', 'warn', detail, 'the box is overloaded: too many cameras for it, or a runaway process (`top`)') : check('host: load', 'pass', detail));
  return out;
}
