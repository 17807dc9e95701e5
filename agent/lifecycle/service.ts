/**
 * A long-running part of the agent. `start` returns once the service is running (its
 * timers and listeners set up); `stop` undoes everything it started and resolves within
 * a bounded time, so the whole agent stops within 5 s of SIGTERM.
 */
export interface Service {
  readonly name: string;
  start(signal: AbortSignal): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** Runs `fn`, but gives up waiting after `ms` (the work may still finish in the background). */
export async function withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
