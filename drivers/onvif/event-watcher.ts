// A long-running PullPoint consumer for one camera: subscribe, pull in a loop, renew before
// the camera's termination time, and after errors come back with a backoff table. It never
// throws and never leaves a rejected promise behind: it resolves when stopped (abort) or
// when the camera turns out not to do pull points (then the caller polls instead).
//
// After a network error the old subscription is kept if the camera still knows it (a Renew
// tells: a blip keeps the events queued meanwhile); after a camera restart the Renew faults
// and a new subscription is made at once. A subscription that is given up is unsubscribed
// best-effort, because cameras have few pull points (HA and onvif-zeep-async saw cameras
// stop delivering once their limit was reached) and ONVIF offers no way to list them.
import { performance } from 'node:perf_hooks';
import type { OnvifClient } from './client.js';
import { OnvifError, isOnvifError, shortText } from './errors.js';
import { checkFilterTopics, isNotSupported, isSubscriptionGone, type OnvifNotification, type PullPointSubscription } from './events.js';
import type { OnvifLogger } from './types.js';

export type WatchState = 'subscribing' | 'active' | 'retrying' | 'stopped' | 'unsupported';

export interface WatchStateInfo {
  /** The error that caused 'retrying' / 'unsupported'. */
  error?: OnvifError;
  /** Consecutive failed rounds ('retrying'). */
  attempt?: number;
  /** Wait before the next round, ms ('retrying'). */
  delayMs?: number;
}

export interface WatchEventsOptions {
  signal: AbortSignal;
  /** Called for every notification in order; may be async (awaited). Its failures are logged, not fatal. */
  onNotification: (n: OnvifNotification) => void | Promise<void>;
  onStateChange?: (state: WatchState, info: WatchStateInfo) => void;
  logger?: OnvifLogger;
  /** Subscription lifetime asked for at creation and at each Renew. Default 120 s. */
  renewSeconds?: number;
  /** Waits after consecutive failed rounds; the last one repeats. Default 1, 2, 5, 10, 20, 30, 60 s. */
  backoffMs?: readonly number[];
  /** Wait after a refused login (cameras lock accounts after a few). Default 5 min. */
  unauthorizedBackoffMs?: number;
  /** PullMessages Timeout. Default 30 s. */
  pullTimeoutSeconds?: number;
  /** PullMessages MessageLimit. Default 100. */
  messageLimit?: number;
  /** Passed to createPullPointSubscription. */
  filterTopics?: string[];
  /** Deadline of the Unsubscribe sent on stop or when a subscription is given up. Default 2 s. */
  unsubscribeTimeoutMs?: number;
}

export type WatchResult = { reason: 'aborted' } | { reason: 'unsupported'; error: OnvifError };

export const WATCH_DEFAULTS = {
  renewSeconds: 120,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000] as readonly number[],
  unauthorizedBackoffMs: 5 * 60_000,
  pullTimeoutSeconds: 30,
  messageLimit: 100,
  unsubscribeTimeoutMs: 2_000,
  /** An empty answer quicker than this means the camera ignored Timeout: wait the rest. */
  minEmptyPullMs: 1_000,
  /** Renew when this share of the granted lifetime has passed. */
  renewAtFraction: 0.8,
} as const;

const noop = () => {};
const silent: OnvifLogger = { debug: noop, info: noop, warn: noop };

/** Resolves after ms, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function asOnvifError(err: unknown): OnvifError {
  if (isOnvifError(err)) return err;
  // A RangeError from our own argument checks or a parser bug: retrying is still the safe course.
  return new OnvifError('protocol', `unexpected: ${shortText(err instanceof Error ? err.message : String(err))}`, { cause: err });
}

/**
 * Watches one camera's events until `signal` aborts. Resolves { reason: 'aborted' } after
 * a best-effort Unsubscribe, or { reason: 'unsupported' } when the camera has no pull
 * points (ActionNotSupported / no events service); never rejects. Invalid options throw
 * here, synchronously (a caller's bug must not become a retry loop or a stray rejection).
 */
export function watchEvents(client: OnvifClient, opts: WatchEventsOptions): Promise<WatchResult> {
  const range = (what: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && !(Number.isFinite(v) && v >= min && v <= max)) throw new RangeError(`${what} must be between ${min} and ${max}`);
  };
  range('renewSeconds', opts.renewSeconds, 10, 366 * 86_400);
  range('pullTimeoutSeconds', opts.pullTimeoutSeconds, 0, 3600);
  range('messageLimit', opts.messageLimit, 1, 10_000);
  range('unauthorizedBackoffMs', opts.unauthorizedBackoffMs, 0, 86_400_000);
  range('unsubscribeTimeoutMs', opts.unsubscribeTimeoutMs, 1, 60_000);
  for (const ms of opts.backoffMs ?? []) range('backoffMs', ms, 0, 86_400_000);
  checkFilterTopics(opts.filterTopics);
  if (typeof opts.onNotification !== 'function') throw new TypeError('onNotification must be a function');
  return run(client, opts);
}

async function run(client: OnvifClient, opts: WatchEventsOptions): Promise<WatchResult> {
  const { signal } = opts;
  const log = opts.logger ?? silent;
  const url = client.xaddr;
  const renewSeconds = opts.renewSeconds ?? WATCH_DEFAULTS.renewSeconds;
  const table = opts.backoffMs && opts.backoffMs.length > 0 ? opts.backoffMs : WATCH_DEFAULTS.backoffMs;
  const pullTimeoutSeconds = opts.pullTimeoutSeconds ?? WATCH_DEFAULTS.pullTimeoutSeconds;
  const messageLimit = opts.messageLimit ?? WATCH_DEFAULTS.messageLimit;
  let state: WatchState | null = null;
  const setState = (next: WatchState, info: WatchStateInfo = {}) => {
    // 'retrying' is reported per attempt (callers may show the count); the rest on change.
    if (next === state && next !== 'retrying') return;
    state = next;
    try {
      opts.onStateChange?.(next, info);
    } catch (err) {
      log.warn({ url, err: (err as Error).message }, 'onvif events: onStateChange failed');
    }
  };

  let sub: PullPointSubscription | null = null;
  /** The current subscription has answered a PullMessages at least once. */
  let pulledOk = false;
  /** After a network error: confirm the subscription with a Renew before pulling again. */
  let verify = false;
  /** Local time (performance.now) at which to renew. */
  let renewAt = 0;
  let attempt = 0;
  let failingSince: number | null = null;
  let result: WatchResult = { reason: 'aborted' };

  const scheduleRenew = (s: PullPointSubscription) => {
    const now = performance.now();
    // Capped by our own ask: a camera clock far in the future must not postpone renewals.
    const left = Math.min(s.expiresInMs ?? Infinity, renewSeconds * 1000);
    renewAt = now + Math.max(1_000, left * WATCH_DEFAULTS.renewAtFraction);
  };

  const drop = async (s: PullPointSubscription, why: string) => {
    log.debug({ url, subscription: s.address, why }, 'onvif events: dropping subscription');
    await unsubscribeQuietly(s, client, opts, log);
  };

  try {
    while (!signal.aborted) {
      try {
        if (sub && (verify || performance.now() >= renewAt)) {
          try {
            await sub.renew(renewSeconds, { signal });
            verify = false;
            scheduleRenew(sub);
          } catch (err) {
            if (signal.aborted) break;
            // The camera answers but forgot the subscription (restart, expiry) or will not
            // renew it: start afresh now, no need to wait.
            if (!isOnvifError(err, 'fault') && !isOnvifError(err, 'protocol')) throw err;
            const old = sub;
            sub = null;
            verify = false;
            if (!isSubscriptionGone(err)) await drop(old, err instanceof Error ? err.message : String(err));
          }
        }
        if (!sub) {
          setState('subscribing');
          sub = await client.createPullPointSubscription({
            initialTerminationSeconds: renewSeconds,
            ...(opts.filterTopics ? { filterTopics: opts.filterTopics } : {}),
            signal,
          });
          if (signal.aborted) break;
          pulledOk = false;
          scheduleRenew(sub);
        }
        const untilRenewS = Math.floor((renewAt - performance.now()) / 1000);
        const timeoutSeconds = Math.max(0, Math.min(pullTimeoutSeconds, untilRenewS));
        const started = performance.now();
        let batch: OnvifNotification[];
        try {
          batch = await sub.pull({ timeoutSeconds, messageLimit, signal });
        } catch (err) {
          // A subscription that worked and then vanished while the camera answers: it expired
          // early (some firmware ignores the termination time) or the camera restarted between
          // two polls. Subscribe again at once; a fresh one that fails goes the failure path.
          if (signal.aborted || !pulledOk || !isSubscriptionGone(err)) throw err;
          log.debug({ url, subscription: sub.address, err: (err as Error).message }, 'onvif events: subscription ended early, subscribing again');
          sub = null;
          continue;
        }
        if (signal.aborted) break;
        pulledOk = true;

        if (failingSince !== null) {
          log.info({ url, attempts: attempt, afterMs: Math.round(performance.now() - failingSince) }, 'onvif events: receiving again');
        }
        failingSince = null;
        attempt = 0;
        setState('active');
        for (const n of batch) {
          try {
            await opts.onNotification(n);
          } catch (err) {
            log.warn({ url, topic: n.topic, err: (err as Error).message }, 'onvif events: onNotification failed');
          }
        }
        // A camera that ignores Timeout answers empty at once: do not hammer it.
        const took = performance.now() - started;
        if (batch.length === 0 && timeoutSeconds > 0 && took < WATCH_DEFAULTS.minEmptyPullMs) {
          await sleep(WATCH_DEFAULTS.minEmptyPullMs - took, signal);
        }
      } catch (err) {
        if (signal.aborted) break;
        const e = asOnvifError(err);
        if (isNotSupported(e) && !sub) {
          log.info({ url, err: e.message }, 'onvif events: the device has no pull points, poll instead');
          result = { reason: 'unsupported', error: e };
          setState('unsupported', { error: e });
          break;
        }
        if (sub) {
          if (e.code === 'unreachable' || e.code === 'timeout' || e.code === 'unauthorized' || e.code === 'too_large') {
            // Maybe a blip: the subscription may still be there with events queued.
            verify = true;
          } else {
            const old = sub;
            sub = null;
            verify = false;
            if (!isSubscriptionGone(e)) await drop(old, e.message);
          }
        }
        attempt++;
        const step = table[Math.min(attempt, table.length) - 1] ?? 1_000;
        const base = e.code === 'unauthorized' ? Math.max(step, opts.unauthorizedBackoffMs ?? WATCH_DEFAULTS.unauthorizedBackoffMs) : step;
        const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
        if (failingSince === null) {
          failingSince = performance.now();
          log.warn({ url, code: e.code, err: e.message }, 'onvif events: not receiving events, retrying');
        } else {
          log.debug({ url, code: e.code, err: e.message, attempt, delayMs }, 'onvif events: retry failed');
        }
        setState('retrying', { error: e, attempt, delayMs });
        await sleep(delayMs, signal);
      }
    }
  } catch (err) {
    // Nothing above should throw; if it does, stop cleanly rather than leak a rejection.
    log.warn({ url, err: (err as Error).message }, 'onvif events: watcher failed');
  }
  if (sub) await unsubscribeQuietly(sub, client, opts, log);
  if (result.reason === 'aborted') setState('stopped');
  return result;
}

async function unsubscribeQuietly(sub: PullPointSubscription, client: OnvifClient, opts: WatchEventsOptions, log: OnvifLogger): Promise<void> {
  try {
    // A fresh signal: the watcher's own may be aborted already, yet this must go out.
    await sub.unsubscribe({ timeoutMs: opts.unsubscribeTimeoutMs ?? WATCH_DEFAULTS.unsubscribeTimeoutMs });
  } catch (err) {
    log.debug({ url: client.xaddr, subscription: sub.address, err: (err as Error).message }, 'onvif events: unsubscribe failed');
  }
}
