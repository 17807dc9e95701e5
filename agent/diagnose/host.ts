// Host checks: the box's own time sync (chronyc, ntpq or timedatectl), and via
// systeminformation CPU temperature, disk health (SMART where reported), memory and load.
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import si from 'systeminformation';
import { said, type Check } from './checks.js';

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
  if (state === null) return said(name, 'warn', 'time.unknown');
  const p = { source: state.source, offsetMs: state.offsetMs, server: state.server ?? null };
  if (!state.synced) return said(name, 'fail', 'time.unsynced', p);
  if (state.offsetMs !== null && Math.abs(state.offsetMs) > 1_000) return said(name, 'warn', 'time.converging', p);
  return said(name, 'pass', 'time.ok', p);
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

  const T = 'host: cpu temperature';
  if (temp === 'timeout') out.push(said(T, 'warn', 'host.temp.timeout'));
  else if (!temp || temp.main === null) out.push(said(T, 'pass', 'host.temp.none'));
  else if (temp.main >= 90) out.push(said(T, 'fail', 'host.temp.overheat', { celsius: temp.main }));
  else if (temp.main >= 80) out.push(said(T, 'warn', 'host.temp.warm', { celsius: temp.main }));
  else out.push(said(T, 'pass', 'host.temp.ok', { celsius: temp.main }));

  const D = 'host: disk health';
  if (disks === 'timeout') out.push(said(D, 'warn', 'host.disk.timeout'));
  else if (!disks || disks.length === 0) out.push(said(D, 'pass', 'host.disk.none'));
  else {
    const bad = disks.filter((d) => d.smartStatus === 'Predicted Failure');
    const list = disks.map((d) => `${d.name || d.device} ${d.smartStatus}`);
    out.push(bad.length > 0 ? said(D, 'fail', 'host.disk.failing', { disks: list, bad: bad.map((d) => d.device || d.name) }) : said(D, 'pass', 'host.disk.ok', { disks: list }));
  }

  const M = 'host: memory';
  if (mem === 'timeout' || !mem) out.push(said(M, 'warn', 'host.memory.unread'));
  else {
    const pct = (mem.available / mem.total) * 100;
    const p = { availableBytes: mem.available, totalBytes: mem.total, percent: pct };
    out.push(pct < 5 ? said(M, 'fail', 'host.memory.critical', p) : pct < 15 ? said(M, 'warn', 'host.memory.low', p) : said(M, 'pass', 'host.memory.ok', p));
  }

  const [l1 = 0, l5 = 0] = loadavg();
  const cores = Math.max(1, cpus().length);
  const load = { l1, l5, cores };
  out.push(l5 > cores * 2 ? said('host: load', 'warn', 'host.load.high', load) : said('host: load', 'pass', 'host.load.ok', load));
  return out;
}
