// Failed logins counted per client address and per account name in a sliding window.
// Blocked keys are refused before the password is even checked, so a guesser learns
// nothing from the answer; a success clears the account's count (not the address's: one
// valid account must not launder an address that guesses at others).
export interface FailureLimit {
  failures: number;
  windowMs: number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: FailureLimit,
    /** Memory bound: the keys seen longest ago are forgotten first. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterSeconds(key: string, nowMs: number): number {
    const recent = this.recent(key, nowMs);
    if (recent.length < this.limit.failures) return 0;
    const freedAt = (recent[recent.length - this.limit.failures] as number) + this.limit.windowMs;
    return Math.max(1, Math.ceil((freedAt - nowMs) / 1000));
  }

  fail(key: string, nowMs: number): void {
    const recent = this.recent(key, nowMs);
    recent.push(nowMs);
    // Re-inserted so the Map's order is "least recently failed first".
    this.failures.delete(key);
    this.failures.set(key, recent.slice(-this.limit.failures));
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, nowMs: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const kept = list.filter((t) => nowMs - t < this.limit.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    return kept;
  }
}
