// One camera's live feed: an ffmpeg child turning the camera's RTSP stream into MPEG-1
// video in MPEG-TS, the format jsmpeg plays over a WebSocket.
//
// Why not node-rtsp-stream's Mpeg1Muxer (0.0.9, read in node_modules): it spawns ffmpeg
// with child_process directly (no parent-death signal, so the child outlives a killed
// agent), puts every extra option after `-i` (so `-rtsp_transport tcp` and the socket
// timeout cannot be input options), never passes -nostdin, and console.errors; its
// VideoStream opens an unauthenticated ws server on all interfaces. The part worth keeping
// is the ffmpeg command line, reproduced here with our process helper and redaction.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { redactText, secretsOf } from '../ffmpeg/redact.js';
import { isRunning, spawnFfmpeg, terminate, type ParentDeath, type SpawnFn } from '../ffmpeg/process.js';

/** MPEG-TS packet size: chunks are cut on packet boundaries so a late viewer starts on a sync byte. */
const TS_PACKET = 188;

export interface FeedOptions {
  ffmpegPath?: string;
  spawn?: SpawnFn;
  parentDeath?: ParentDeath;
  /** Video bitrate of the MPEG-1 output. Default 800k. */
  bitrate?: string;
  /** Camera socket timeout. Default 10 s. */
  ioTimeoutMs?: number;
}

export function mpeg1Args(url: string, opts: { bitrate?: string; ioTimeoutMs?: number } = {}): string[] {
  const rtsp = /^rtsps?:/i.test(url);
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel', 'error',
    ...(rtsp ? ['-rtsp_transport', 'tcp'] : []),
    ...(rtsp || /^https?:/i.test(url) ? ['-timeout', String((opts.ioTimeoutMs ?? 10_000) * 1000)] : []),
    // ffmpeg probes a live stream for 5 s by default; the SDP already says what it is, and
    // a viewer is waiting.
    '-analyzeduration', '1000000',
    '-i', url,
    '-map', '0:v:0',
    // The command line node-rtsp-stream uses for jsmpeg: MPEG-1, no B-frames (jsmpeg
    // decodes in order), no audio.
    '-f', 'mpegts',
    '-codec:v', 'mpeg1video',
    '-b:v', opts.bitrate ?? '800k',
    '-r', '25',
    '-bf', '0',
    '-an',
    // A live view: hand every packet over at once instead of buffering.
    '-flush_packets', '1',
    'pipe:1',
  ];
}

/**
 * Emits 'data' (Buffer, whole TS packets) and 'exit' (redacted stderr tail) once.
 * Started by the constructor; stop() ends it (SIGTERM, then SIGKILL).
 */
export class Mpeg1Feed extends EventEmitter {
  private readonly child: ChildProcess;
  private rest: Buffer = Buffer.alloc(0);
  private stderr = '';
  private exited = false;

  constructor(url: string, opts: FeedOptions = {}) {
    super();
    const secrets = secretsOf(url);
    this.child = spawnFfmpeg(mpeg1Args(url, opts), {
      ...(opts.ffmpegPath !== undefined ? { ffmpegPath: opts.ffmpegPath } : {}),
      ...(opts.spawn ? { spawn: opts.spawn } : {}),
      ...(opts.parentDeath ? { parentDeath: opts.parentDeath } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => {
      const buf = this.rest.length ? Buffer.concat([this.rest, d]) : d;
      const whole = buf.length - (buf.length % TS_PACKET);
      this.rest = Buffer.from(buf.subarray(whole));
      if (whole > 0) this.emit('data', buf.subarray(0, whole));
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-2048);
    });
    const done = (why: string) => {
      if (this.exited) return;
      this.exited = true;
      // ffmpeg prints its input URL (with the camera's password) in errors: redact first.
      this.emit('exit', redactText(`${why}: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`.slice(0, 500), secrets));
    };
    this.child.on('error', (err) => done(`cannot start ffmpeg (${err.message})`));
    this.child.once('close', (code, signal) => done(`ffmpeg ended (code ${code}, signal ${signal})`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited && isRunning(this.child);
  }

  async stop(graceMs = 2000): Promise<void> {
    await terminate(this.child, graceMs);
  }
}
