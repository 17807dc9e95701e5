// One JPEG frame from a stream URL (RTSP over TCP, or anything ffmpeg reads), for cameras
// without an ONVIF snapshot URI. A total deadline and a size cap, like every call to a
// camera (NOTES.md): a stream that never sends a frame or sends garbage cannot hang or
// bloat the agent.
import { redactText, secretsOf } from './redact.js';
import { FfmpegError } from './errors.js';
import { isRunning, spawnFfmpeg, type ParentDeath, type SpawnFn } from './process.js';

export interface GrabFrameOptions {
  /** Total deadline, from spawn to the last byte. Default 10 s. */
  timeoutMs?: number;
  /** Largest JPEG accepted. Default 8 MiB. */
  maxBytes?: number;
  /** JPEG quality scale of ffmpeg's mjpeg encoder (2 best … 31 worst). Default 3. */
  quality?: number;
  ffmpegPath?: string;
  spawn?: SpawnFn;
  parentDeath?: ParentDeath;
  signal?: AbortSignal;
}

export const FRAME_DEFAULTS = { timeoutMs: 10_000, maxBytes: 8 * 1024 * 1024, quality: 3 } as const;

export function frameArgs(url: string, opts: { timeoutMs: number; quality: number }): string[] {
  const rtsp = /^rtsps?:/i.test(url);
  const network = rtsp || /^https?:/i.test(url);
  // The socket timeout is shorter than the deadline, so ffmpeg usually gives up first and says why.
  const ioUs = Math.max(1000, Math.round(opts.timeoutMs * 0.8)) * 1000;
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel', 'error',
    ...(rtsp ? ['-rtsp_transport', 'tcp'] : []),
    ...(network ? ['-timeout', String(ioUs)] : []),
    // ffmpeg probes a live stream for up to 5 s by default (≈3.8 s on the test stream). One
    // frame needs less: the SDP carries the parameter sets, and decoding goes on past the
    // probe until the first keyframe anyway (≈1.4 s).
    '-analyzeduration', String(Math.min(1000, Math.round(opts.timeoutMs / 3)) * 1000),
    '-i', url,
    '-map', '0:v:0',
    '-frames:v', '1',
    '-f', 'image2pipe',
    '-vcodec', 'mjpeg',
    '-q:v', String(opts.quality),
    'pipe:1',
  ];
}

/** Resolves with the JPEG bytes, or rejects with an FfmpegError (timeout, too_large, no_frame, spawn_failed, aborted). */
export function grabFrame(url: string, opts: GrabFrameOptions = {}): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? FRAME_DEFAULTS.timeoutMs;
  const maxBytes = opts.maxBytes ?? FRAME_DEFAULTS.maxBytes;
  const secrets = secretsOf(url);
  if (opts.signal?.aborted) return Promise.reject(new FfmpegError('aborted', 'frame grab aborted'));

  return new Promise<Buffer>((resolvePromise, rejectPromise) => {
    const child = spawnFfmpeg(frameArgs(url, { timeoutMs, quality: opts.quality ?? FRAME_DEFAULTS.quality }), {
      ...(opts.ffmpegPath !== undefined ? { ffmpegPath: opts.ffmpegPath } : {}),
      ...(opts.spawn ? { spawn: opts.spawn } : {}),
      ...(opts.parentDeath ? { parentDeath: opts.parentDeath } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: FfmpegError | null = null;
    let settled = false;

    const detail = () => redactText(stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400), secrets);
    const fail = (err: FfmpegError) => {
      if (failure) return;
      failure = err;
      if (isRunning(child)) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(new FfmpegError('timeout', `no frame within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(new FfmpegError('aborted', 'frame grab aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (code: number | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (spawnError) return rejectPromise(new FfmpegError('spawn_failed', redactText(`cannot start ffmpeg: ${spawnError.message}`, secrets), { cause: spawnError }));
      if (failure) return rejectPromise(new FfmpegError(failure.code, failure.message, { detail: detail() }));
      // setpriv could not exec ffmpeg: the same as a failed spawn.
      if (code === 127 && /failed to execute/i.test(stderr)) return rejectPromise(new FfmpegError('spawn_failed', 'cannot start ffmpeg', { detail: detail() }));
      const jpeg = Buffer.concat(chunks);
      // A JPEG starts with SOI (FF D8); anything else is not what we asked for.
      if (code === 0 && jpeg.length > 2 && jpeg[0] === 0xff && jpeg[1] === 0xd8) return resolvePromise(jpeg);
      rejectPromise(new FfmpegError('no_frame', `ffmpeg produced no frame (exit code ${code})`, { detail: detail() }));
    };

    child.stdout?.on('data', (d: Buffer) => {
      if (failure) return;
      bytes += d.length;
      if (bytes > maxBytes) return fail(new FfmpegError('too_large', `frame larger than ${maxBytes} bytes`));
      chunks.push(d);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4096);
    });
    child.on('error', (err) => {
      if (child.pid === undefined) finish(null, err);
    });
    child.once('close', (code) => finish(code));
  });
}
