// Typed errors of the image driver. `decode_error` is also the clarity fault code a
// caller reports for a picture that cannot be read (corrupt, truncated, not a JPEG).
export type ImageErrorCode =
  /** Not a JPEG, corrupt or truncated data: the camera sent no usable picture. */
  | 'decode_error'
  /** More bytes than the cap: refused before any decoding (a runaway or hostile answer). */
  | 'too_large'
  /** Too many pictures already waiting for a worker. */
  | 'busy'
  /** The pool is closed (or closing): the task was not run. */
  | 'closed'
  /** A worker died (crash, out of memory) while running this task; the pool replaced it. */
  | 'worker_crashed'
  /** The task ran longer than its deadline; its worker was replaced. */
  | 'timeout'
  /** The worker script or the analyser module cannot be found (dist/ not built). */
  | 'unavailable';

export class ImageError extends Error {
  override name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isImageError(err: unknown, code?: ImageErrorCode): err is ImageError {
  return err instanceof ImageError && (code === undefined || err.code === code);
}
