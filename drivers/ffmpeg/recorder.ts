// One ffmpeg process recording one camera: RTSP over TCP in, `-c copy` segments out,
// <outputDir>/<YYYY-MM-DD>/<HH-mm-ss>.mp4 named by ffmpeg's strftime in the site zone.
//
// Choices (checked against ffmpeg 5.1):
// - Fragmented MP4 (`movflags=+frag_keyframe+empty_moov+default_base_moof`), not
//   `+faststart`: a plain MP4 only gets its index (moov) when the segment closes, so a
//   power cut or `kill -9` loses the whole open segment; faststart even rewrites the file
//   a second time at close. A fragmented file has its moov up front and a fragment per
//   keyframe; with `flush_packets=1` each finished fragment reaches the file at once, so
//   a cut loses at most the fragment being filled and the file stays playable.
// - `-segment_atclocktime 1`: cuts at wall-clock multiples of the segment length (12-00-00,
//   12-01-00, … like an NVR). Without it, the seconds ffmpeg buffers while probing a live
//   stream are written in a burst at start, and two segment files opened within the same
//   second got the same name, the second truncating the first (seen in tests).
// - When a segment closed: `-segment_list pipe:3 -segment_list_type csv`. ffmpeg writes
//   a line there after the segment's trailer is written and its file closed, and flushes
//   it: a machine-readable signal, not a log message. The line holds only the base name,
//   so the full path comes from stderr's "Opening '<path>' for writing" (info level,
//   printed when each segment file opens), with the site date as a fallback. A file that
//   was open when ffmpeg ended (crash, kill) is reported closed on exit.
// - Directories: the segment muxer does not create the day directory, so today's and
//   tomorrow's are made before the start and re-checked every 10 minutes.
// - TZ=<site zone> in ffmpeg's environment: strftime names files in local time. If the
//   system has no zoneinfo for it, a fixed-offset POSIX TZ is used (right for zones
//   without daylight saving, such as China's).
// - Only the first video stream is recorded: camera audio is often G.711, which the MP4
//   muxer refuses, and one refused stream would stop the whole recording.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { redactText, redactUrl, secretsOf } from './redact.js';
import { isRunning, spawnFfmpeg, terminate, type ParentDeath, type SpawnFn } from './process.js';
import { wallDate, zoneOffsetMs } from '../time/wall-clock.js';

export interface SegmentRecorderOptions {
  /** The stream URL, credentials included (they never leave this module unredacted). */
  url: string;
  /** <storage root>/<cameraId>; day directories are created under it. */
  outputDir: string;
  segmentSeconds: number;
  /** IANA zone of the site: file names and day directories are in it. */
  timeZone: string;
  ffmpegPath?: string;
  spawn?: SpawnFn;
  parentDeath?: ParentDeath;
  now?: () => number;
  /** ffmpeg's socket I/O timeout: a silent camera makes ffmpeg exit after this. */
  ioTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace on stop. */
  killGraceMs?: number;
  /** A new segment file was opened (so the previous one, if any, is complete). */
  onOpened?: (path: string) => void;
  /** A segment is complete: closed by ffmpeg, or left by an ffmpeg that ended ('exit'). */
  onClosed?: (path: string, how: 'closed' | 'exit') => void;
  onExit?: (exit: RecorderExit) => void;
  /** Every stderr line of ffmpeg, redacted. */
  onLine?: (line: string) => void;
}

export interface RecorderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** We asked it to stop (stop()). */
  requested: boolean;
  /** Why it ended, from its last error lines (redacted), or null for a clean requested stop. */
  error: string | null;
}

export const RECORDER_DEFAULTS = { killGraceMs: 3000, minIoTimeoutMs: 5000, maxIoTimeoutMs: 30_000 } as const;

/** ffmpeg's socket timeout: twice a segment, between 5 and 30 s. */
export function defaultIoTimeoutMs(segmentSeconds: number): number {
  return Math.min(RECORDER_DEFAULTS.maxIoTimeoutMs, Math.max(RECORDER_DEFAULTS.minIoTimeoutMs, segmentSeconds * 2000));
}

/** The ffmpeg arguments (no shell, no quoting: an array). Exported for diagnose and tests. */
export function recorderArgs(opts: { url: string; outputDir: string; segmentSeconds: number; ioTimeoutMs: number }): string[] {
  // strftime would expand a '%' in the directory itself.
  const pattern = join(resolve(opts.outputDir).replace(/%/g, '%%'), '%Y-%m-%d', '%H-%M-%S.mp4');
  const rtsp = /^rtsps?:/i.test(opts.url);
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel', 'info',
    ...(rtsp ? ['-rtsp_transport', 'tcp'] : []),
    '-timeout', String(Math.round(opts.ioTimeoutMs * 1000)),
    '-i', opts.url,
    '-map', '0:v:0',
    '-c', 'copy',
    '-f', 'segment',
    '-segment_time', String(opts.segmentSeconds),
    '-segment_format', 'mp4',
    '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof:flush_packets=1',
    '-segment_atclocktime', '1',
    '-reset_timestamps', '1',
    '-strftime', '1',
    '-segment_list', 'pipe:3',
    '-segment_list_type', 'csv',
    pattern,
  ];
}

/** TZ for ffmpeg: the zone name when the system's zoneinfo has it, else a fixed offset. */
export function tzEnv(timeZone: string, nowMs: number): string {
  const dir = process.env.TZDIR ?? '/usr/share/zoneinfo';
  if (/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(timeZone) && existsSync(join(dir, timeZone))) return timeZone;
  const minutes = Math.round(zoneOffsetMs(nowMs, timeZone) / 60_000);
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  // POSIX TZ offsets are west-positive: UTC+8 is "<+0800>-08:00".
  return `<${sign}${hh}${mm}>${minutes >= 0 ? '-' : '+'}${hh}:${mm}`;
}

/** Site dates (YYYY-MM-DD) of yesterday, today and tomorrow. */
function nearbyDays(nowMs: number, timeZone: string): string[] {
  return [-1, 0, 1].map((d) => wallDate(nowMs + d * 86_400_000, timeZone));
}

const OPENING = /Opening '(.+)' for writing\s*$/;
const ERRORISH = /error|fail|refused|unreachable|not found|unauthori[sz]ed|forbidden|timed? ?out|invalid|denied|no route|broken|cannot|could not|unable/i;

export class SegmentRecorder {
  readonly pid: number | undefined;
  /** Settles once, when ffmpeg has exited and its pipes are drained. */
  readonly done: Promise<RecorderExit>;
  private readonly child: ChildProcess;
  private readonly secrets: string[];
  private readonly open: string[] = [];
  private readonly lastLines: string[] = [];
  private requested = false;
  private dirTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly outputDir: string;

  constructor(private readonly opts: SegmentRecorderOptions) {
    this.now = opts.now ?? Date.now;
    this.outputDir = resolve(opts.outputDir);
    this.secrets = secretsOf(opts.url);
    // Today's and tomorrow's directories must exist before ffmpeg opens a segment there.
    for (const day of nearbyDays(this.now(), opts.timeZone).slice(1)) mkdirSync(join(this.outputDir, day), { recursive: true });
    this.dirTimer = setInterval(() => void this.ensureDays(), 10 * 60_000);
    this.dirTimer.unref();

    const ioTimeoutMs = opts.ioTimeoutMs ?? defaultIoTimeoutMs(opts.segmentSeconds);
    const args = recorderArgs({ url: opts.url, outputDir: this.outputDir, segmentSeconds: opts.segmentSeconds, ioTimeoutMs });
    this.child = spawnFfmpeg(args, {
      ...(opts.ffmpegPath !== undefined ? { ffmpegPath: opts.ffmpegPath } : {}),
      ...(opts.spawn ? { spawn: opts.spawn } : {}),
      ...(opts.parentDeath ? { parentDeath: opts.parentDeath } : {}),
      env: { ...process.env, TZ: tzEnv(opts.timeZone, this.now()) },
      // stdin: ffmpeg ignores EOF there, so a pipe would not tell it we died (see process.ts);
      // -nostdin and no stdin at all means no stray byte can ever act as a command.
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid;

    this.done = new Promise<RecorderExit>((resolveDone) => {
      let settled = false;
      const settle = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        if (settled) return;
        settled = true;
        if (this.dirTimer) clearInterval(this.dirTimer);
        this.dirTimer = null;
        // A segment that was open when ffmpeg ended is as complete as it will ever be.
        for (const path of this.open.splice(0)) {
          if (fileHasData(path)) this.opts.onClosed?.(path, 'exit');
        }
        const exit: RecorderExit = { code, signal, requested: this.requested, error: this.errorText(code, signal, spawnError) };
        this.opts.onExit?.(exit);
        resolveDone(exit);
      };
      this.child.on('error', (err) => {
        // Spawn failures (ENOENT…) may come without 'close'.
        if (this.child.pid === undefined) settle(null, null, err);
      });
      this.child.once('close', (code, signal) => settle(code, signal));
    });

    lines(this.child.stderr, (raw) => this.onStderr(raw));
    const list = this.child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    if (list) lines(list, (line) => this.onListEntry(line));
  }

  get running(): boolean {
    return isRunning(this.child);
  }

  /** SIGTERM (ffmpeg closes the segment), SIGKILL after the grace. */
  async stop(): Promise<RecorderExit> {
    this.requested = true;
    await terminate(this.child, this.opts.killGraceMs ?? RECORDER_DEFAULTS.killGraceMs);
    return this.done;
  }

  private onStderr(raw: string): void {
    const line = redactText(raw, this.secrets);
    this.lastLines.push(line);
    if (this.lastLines.length > 20) this.lastLines.shift();
    this.opts.onLine?.(line);
    const m = OPENING.exec(raw);
    const path = m?.[1];
    if (path && path.endsWith('.mp4') && resolve(path).startsWith(this.outputDir + sep)) {
      const abs = resolve(path);
      this.open.push(abs);
      this.opts.onOpened?.(abs);
    }
  }

  private onListEntry(line: string): void {
    // csv: name,start,end (the name quoted only if it holds a comma or quote: ours never do).
    const name = line.split(',')[0]?.replace(/^"|"$/g, '');
    if (!name || !name.endsWith('.mp4')) return;
    let path: string | undefined;
    const i = this.open.findIndex((p) => basename(p) === name);
    if (i >= 0) [path] = this.open.splice(i, 1);
    else {
      // No "Opening" line seen (log format changed?): the segment is in a nearby day directory.
      const candidates = nearbyDays(this.now(), this.opts.timeZone)
        .map((day) => join(this.outputDir, day, name))
        .filter((p) => existsSync(p));
      path = candidates.sort((a, b) => mtime(b) - mtime(a))[0];
    }
    if (path) this.opts.onClosed?.(path, 'closed');
  }

  private async ensureDays(): Promise<void> {
    for (const day of nearbyDays(this.now(), this.opts.timeZone).slice(1)) {
      try {
        await mkdir(join(this.outputDir, day), { recursive: true });
      } catch (err) {
        this.opts.onLine?.(`cea: cannot create ${join(this.outputDir, day)}: ${(err as Error).message}`);
      }
    }
  }

  private errorText(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): string | null {
    if (spawnError) return redactText(`cannot start ffmpeg: ${spawnError.message}`, this.secrets);
    if (this.requested) return null;
    const hint = [...this.lastLines].reverse().find((l) => ERRORISH.test(l) && !l.startsWith('Input #')) ?? this.lastLines.at(-1);
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    const text = hint ? `${how}: ${hint.trim()}` : how;
    return redactText(text.slice(0, 300), this.secrets);
  }

  /** The URL for log lines (no password). */
  get safeUrl(): string {
    return redactUrl(this.opts.url);
  }
}

export function startSegmentRecorder(opts: SegmentRecorderOptions): SegmentRecorder {
  return new SegmentRecorder(opts);
}

function lines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    const parts = rest.split(/\r\n|\n|\r/);
    rest = parts.pop() ?? '';
    if (rest.length > 64 * 1024) rest = rest.slice(-64 * 1024);
    for (const p of parts) if (p.length > 0) onLine(p);
  });
  stream.on('end', () => {
    if (rest.length > 0) onLine(rest);
    rest = '';
  });
  stream.on('error', () => undefined);
}

function fileHasData(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
