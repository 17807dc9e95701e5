// Typed failures of the ffmpeg driver. Callers branch on `code`, never on message text.
// Messages never contain credentials: every URL and stderr line is redacted first.

export type FfmpegErrorCode =
  /** ffmpeg could not be started (not installed, not executable). */
  | 'spawn_failed'
  /** The deadline passed before ffmpeg produced what was asked. */
  | 'timeout'
  /** The output grew past the caller's cap. */
  | 'too_large'
  /** ffmpeg ended without producing a frame (source unreachable, refused, not video…). */
  | 'no_frame'
  /** The caller's AbortSignal fired. */
  | 'aborted';

export class FfmpegError extends Error {
  override name = 'FfmpegError';
  readonly code: FfmpegErrorCode;
  /** Last stderr lines of ffmpeg, redacted. */
  readonly detail?: string;

  constructor(code: FfmpegErrorCode, message: string, opts: { detail?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.code = code;
    if (opts.detail !== undefined) this.detail = opts.detail;
  }
}

export function isFfmpegError(err: unknown): err is FfmpegError {
  return err instanceof FfmpegError;
}
