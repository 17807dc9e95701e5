// Pull-point subscriptions of one camera: each gets its own queue of notifications
// published after it was created; PullMessages may wait (long poll) for the next one.

export interface Notification {
  topic: string;
  utcMs: number;
  operation?: 'Initialized' | 'Changed' | 'Deleted';
  source: [string, string][];
  data: [string, string][];
}

export interface Subscription {
  readonly id: string;
  queue: Notification[];
  terminationMs: number;
  wake: (() => void) | null;
}

const MAX_QUEUE = 1000;
const MAX_SUBSCRIPTIONS = 64;

export class EventBroker {
  private readonly subs = new Map<string, Subscription>();
  private seq = 0;

  /** now: the camera clock (termination times are in camera time). */
  constructor(private readonly now: () => number) {}

  create(terminationMs: number): Subscription {
    this.prune();
    if (this.subs.size >= MAX_SUBSCRIPTIONS) {
      // Like a real device with a fixed number of pull points: drop the oldest.
      const oldest = this.subs.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    const sub: Subscription = { id: `${Date.now().toString(36)}-${++this.seq}`, queue: [], terminationMs, wake: null };
    this.subs.set(sub.id, sub);
    return sub;
  }

  get(id: string): Subscription | undefined {
    this.prune();
    return this.subs.get(id);
  }

  delete(id: string): boolean {
    const sub = this.subs.get(id);
    if (!sub) return false;
    this.subs.delete(id);
    sub.wake?.();
    return true;
  }

  publish(n: Notification): void {
    this.prune();
    for (const sub of this.subs.values()) {
      sub.queue.push(n);
      if (sub.queue.length > MAX_QUEUE) sub.queue.shift();
      sub.wake?.();
    }
  }

  /** Resolves when the subscription gets a message, after timeoutMs, or when signal aborts. */
  waitForMessage(sub: Subscription, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (sub.queue.length > 0 || signal.aborted || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (sub.wake === done) sub.wake = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      sub.wake?.(); // a newer PullMessages replaces an older waiting one
      sub.wake = done;
    });
  }

  /** Ends every subscription (camera stop). */
  clear(): void {
    for (const id of [...this.subs.keys()]) this.delete(id);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, sub] of this.subs) if (sub.terminationMs < now && !sub.wake) this.delete(id);
  }
}
