export type StoreErrorCode = 'corrupt' | 'newer_schema' | 'migration_failed' | 'locked' | 'io';

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
