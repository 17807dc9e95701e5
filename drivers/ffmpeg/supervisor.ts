// Keeps one restartable run (an ffmpeg recorder) going: restart after an exit with a
// backoff table, kill and restart a run that stalls (no progress for `stallAfterMs`), and
// a generation counter so that late signals of a run already given up on (its exit after
// we killed it, a segment it closed while dying) cannot move the state (go2rtc's habit).
//
// States: starting (a run launched, no progress yet) → recording (progress seen) →
// stalled (no progress in time; the run is being killed) / backoff (waiting to restart)
// → starting …; stopped (stop() called, nothing runs until start()).

export type SupervisorState = 'starting' | 'recording' | 'stalled' | 'backoff' | 'stopped';

/** Restart delays: the nth consecutive failure waits the nth entry (the last one repeats). */
export const DEFAULT_BACKOFF_MS: readonly number[] = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

export interface RunHandle {
  stop(): Promise<unknown>;
}

/** Given to a launched run; every call is ignored once the run is stale. */
export interface RunContext {
  readonly generation: number;
  /** Is this still the run the supervisor cares about? */
  readonly current: boolean;
  /** The run made progress (a segment opened or closed). */
  progress(): void;
  /** The run ended by itself. */
  exited(reason: string, detail?: string | null): void;
}

export interface Transition {
  from: SupervisorState;
  to: SupervisorState;
  at: number;
  /** Why the run stopped ('exited', 'stalled', 'launch_failed', or stop()'s reason); null on the way up. */
  reason: string | null;
  detail: string | null;
  generation: number;
  /** Consecutive failures so far (0 once a run has been healthy long enough). */
  failures: number;
  /** In 'backoff': how long until the next start. */
  delayMs?: number;
}

export interface SupervisorOptions {
  launch(ctx: RunContext): Promise<RunHandle> | RunHandle;
  /** No progress for this long while recording → stalled. */
  stallAfterMs: number;
  /** No progress for this long after a launch → stalled (connecting and probing take a while). Default: stallAfterMs. */
  startTimeoutMs?: number;
  backoffMs?: readonly number[];
  /** A run that made progress and lasted this long resets the backoff. Default: stallAfterMs. */
  stableAfterMs?: number;
  now?: () => number;
  onTransition?: (t: Transition) => void;
  /** A launch() that threw, or a handle that failed to stop (the run is treated as ended). */
  onError?: (err: unknown) => void;
}

export class Supervisor {
  private stateValue: SupervisorState = 'stopped';
  private gen = 0;
  private handle: RunHandle | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private runStartedAt = 0;
  private progressed = false;
  private lastProgress: number | null = null;
  private readonly now: () => number;
  private readonly backoff: readonly number[];
  private stopping: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SupervisorOptions) {
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoffMs && opts.backoffMs.length > 0 ? opts.backoffMs : DEFAULT_BACKOFF_MS;
  }

  get state(): SupervisorState {
    return this.stateValue;
  }

  get generation(): number {
    return this.gen;
  }

  /** When the last progress was seen (any run), or null. */
  get lastProgressAt(): number | null {
    return this.lastProgress;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Starts supervising (no-op unless stopped). */
  start(): void {
    if (this.stateValue !== 'stopped') return;
    this.failures = 0;
    this.transition('starting', null, null);
    void this.launchRun();
  }

  /** Stops the run and stays stopped until start(). Resolves once the run has ended. */
  async stop(reason = 'stopped'): Promise<void> {
    this.gen += 1;
    this.clearTimer();
    if (this.stateValue !== 'stopped') this.transition('stopped', reason, null);
    const h = this.handle;
    this.handle = null;
    if (h) this.stopping = this.stopHandle(h);
    await this.stopping;
  }

  private async launchRun(): Promise<void> {
    // Let a run that is still being killed (stall) end before its successor starts.
    await this.stopping;
    if (this.stateValue !== 'starting') return;
    const gen = (this.gen += 1);
    this.runStartedAt = this.now();
    this.progressed = false;
    this.arm(gen, this.opts.startTimeoutMs ?? this.opts.stallAfterMs);
    const self = this;
    const ctx: RunContext = {
      generation: gen,
      get current() {
        return self.gen === gen;
      },
      progress: () => this.onProgress(gen),
      exited: (reason, detail) => this.onExited(gen, reason, detail ?? null),
    };
    let handle: RunHandle;
    try {
      handle = await this.opts.launch(ctx);
    } catch (err) {
      this.opts.onError?.(err);
      this.onExited(gen, 'launch_failed', err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.gen !== gen) {
      // Stopped, stalled or exited while launching: this run is not wanted any more.
      this.stopping = this.stopHandle(handle);
      return;
    }
    this.handle = handle;
  }

  private onProgress(gen: number): void {
    if (gen !== this.gen) return;
    this.lastProgress = this.now();
    this.progressed = true;
    this.arm(gen, this.opts.stallAfterMs);
    if (this.stateValue !== 'recording') this.transition('recording', null, null);
  }

  private onExited(gen: number, reason: string, detail: string | null): void {
    if (gen !== this.gen) return;
    this.gen += 1;
    this.handle = null;
    this.enterBackoff(reason, detail);
  }

  private onStall(gen: number): void {
    if (gen !== this.gen) return;
    this.gen += 1;
    const seconds = Math.round((this.progressed ? this.opts.stallAfterMs : (this.opts.startTimeoutMs ?? this.opts.stallAfterMs)) / 1000);
    const detail = this.progressed ? `no new segment for ${seconds} s` : `no segment within ${seconds} s of starting`;
    this.transition('stalled', 'stalled', detail);
    const h = this.handle;
    this.handle = null;
    if (h) this.stopping = this.stopHandle(h);
    this.enterBackoff('stalled', detail);
  }

  private enterBackoff(reason: string, detail: string | null): void {
    this.clearTimer();
    const healthy = this.progressed && this.now() - this.runStartedAt >= (this.opts.stableAfterMs ?? this.opts.stallAfterMs);
    if (healthy) this.failures = 0;
    const delayMs = this.backoff[Math.min(this.failures, this.backoff.length - 1)] ?? 1000;
    this.failures += 1;
    this.transition('backoff', reason, detail, delayMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stateValue !== 'backoff') return;
      this.transition('starting', null, null);
      void this.launchRun();
    }, delayMs);
    this.timer.unref?.();
  }

  private arm(gen: number, ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onStall(gen);
    }, ms);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async stopHandle(h: RunHandle): Promise<void> {
    try {
      await h.stop();
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  private transition(to: SupervisorState, reason: string | null, detail: string | null, delayMs?: number): void {
    const from = this.stateValue;
    this.stateValue = to;
    const t: Transition = { from, to, at: this.now(), reason, detail, generation: this.gen, failures: this.failures };
    if (delayMs !== undefined) t.delayMs = delayMs;
    try {
      this.opts.onTransition?.(t);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
