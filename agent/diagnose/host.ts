// Host checks: the box's own time sync (chronyc, ntpq or timedatectl), and via
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
  source: 'timedatectl' | 'chrony' | 'ntpq';
  synced: boolean;
  /** Box clock minus NTP time (ms), when the tool says. */
  offsetMs: number | null;
  /** The server the box follows, when the tool says. */
  server?: string | null;
}

/**
 * `chronyc -n tracking`: "System time : 0.000006523 seconds slow of NTP time" (slow = the
 * box is behind, so a negative offset) and "Leap status : Normal | Insert second |
 * Delete second | Not synchronised".
 */
export function parseChronyTracking(text: string): TimeSyncState | null {
  const leap = /^Leap status\s*:\s*(.+)$/m.exec(text)?.[1]?.trim();
  if (leap === undefined) return null;
  const m = /^System time\s*:\s*([\d.]+) seconds (slow|fast)/m.exec(text);
  const offsetMs = m?.[1] ? Number(m[1]) * 1000 * (m[2] === 'slow' ? -1 : 1) : null;
  const ref = /^Reference ID\s*:\s*\S+\s*\(([^)]*)\)/m.exec(text)?.[1] ?? null;
  return { source: 'chrony', synced: leap !== 'Not synchronised', offsetMs, server: ref };
}

/**
 * `ntpq -pn`: a header, a ===== rule, then one line per peer whose first character is its
 * tally code; '*' marks the system peer (the one the clock follows), 'o' the same with
 * PPS. Columns: remote refid st t when poll reach delay offset jitter, times in ms.
 * No '*' / 'o' line: ntpd runs but follows nobody (not synchronised).
 */
export function parseNtpqPeers(text: string): TimeSyncState | null {
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => /^={10,}/.test(l.trim()));
  if (rule < 0 || !/\bremote\b.*\boffset\b/.test(lines[rule - 1] ?? '')) return null;
  for (const line of lines.slice(rule + 1)) {
    const tally = line[0];
    if (tally !== '*' && tally !== 'o') continue;
    const cols = line.slice(1).trim().split(/\s+/);
    // remote refid st t when poll reach delay offset jitter
    const offset = Number(cols[8]);
    // ntpq's offset is the peer's time minus ours: the box clock minus NTP time is its negative.
    return { source: 'ntpq', synced: true, offsetMs: Number.isFinite(offset) ? -offset : null, server: cols[0] ?? null };
  }
  return { source: 'ntpq', synced: false, offsetMs: null, server: null };
}

/** `timedatectl show` (key=value lines): NTPSynchronized=yes|no. No offset. */
export function parseTimedatectlShow(text: string): TimeSyncState | null {
  const m = /^NTPSynchronized=(yes|no)$/m.exec(text);
  if (!m) return null;
  return { source: 'timedatectl', synced: m[1] === 'yes', offsetMs: null };
}

/**
 * The box's NTP state: chrony first (it knows the offset), then ntpd (`ntpq -pn`), then
 * systemd's view (`timedatectl show`, synchronised or not); null when none answers.
 */
export async function readTimeSync(timeoutMs = 3_000): Promise<TimeSyncState | null> {
  const chrony = await run('chronyc', ['-n', 'tracking'], timeoutMs);
  const fromChrony = chrony !== null ? parseChronyTracking(chrony) : null;
  if (fromChrony) return fromChrony;
  const ntpq = await run('ntpq', ['-pn'], timeoutMs);
  const fromNtpq = ntpq !== null ? parseNtpqPeers(ntpq) : null;
  if (fromNtpq) return fromNtpq;
  const td = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '-p', 'NTP'], timeoutMs);
  return td !== null ? parseTimedatectlShow(td) : null;
}

export function timeSyncCheck(state: TimeSyncState | null): Check {
  const name = 'time: box';
  if (state === null) {
    return check(name, 'warn', 'cannot tell whether the clock is synchronised (no chronyc, no ntpq, no timedatectl with systemd)', 'install and enable an NTP client (chrony or systemd-timesyncd) pointing at the site\'s time server');
  }
  const off = (state.offsetMs === null ? '' : `, offset ${(state.offsetMs / 1000).toFixed(3)} s`) + (state.server ? `, server ${state.server}` : '');
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
