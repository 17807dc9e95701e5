/**
 * sd_notify(3) for a Node process, without native addons.
 *
 * The protocol is one AF_UNIX/SOCK_DGRAM datagram to $NOTIFY_SOCKET. Node core has no
 * unix datagram sockets (and a SOCK_STREAM connect to the notify socket fails with
 * EPROTOTYPE), so each notification is sent by spawning `systemd-notify`, which ships
 * with the `systemd` package on every box this runs on. Consequences, handled here and
 * in systemd/cea.service:
 * - the sender is a child process, so the unit needs NotifyAccess=all;
 * - a child that exits right after sending may not be attributable to the unit any
 *   more; systemd-notify (>= v246; Debian 12 has 252) therefore waits on a barrier
 *   (BARRIER=1 + a pipe fd that the manager closes once it has processed everything
 *   before it). We never pass --no-block;
 * - systemd-notify claims its parent's pid (ours) in SCM_CREDENTIALS when it may
 *   (root) and falls back to its own otherwise; READY also carries --pid=<our pid>
 *   (MAINPID=), which confirms the main pid systemd already knows.
 * A spawn every WATCHDOG_USEC/2 (15 s with WatchdogSec=30) costs a few ms of CPU.
 *
 * Guarantees: never throws, never rejects; each send has a deadline of `timeoutMs`
 * (default 2 s; a hung helper is SIGKILLed); calls are sent in order, and a watchdog or
 * status call still waiting in the queue absorbs later ones, so a stuck manager delays a
 * call by a few deadlines at most instead of building a backlog.
 * A failure is logged once; later failures are counted silently until a send works
 * again, which is logged once too.
 *
 * Drivers never import agent/: this file depends on Node core only.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface SdNotifier {
  readonly enabled: boolean;
  ready(status?: string): Promise<void>;
  status(text: string): Promise<void>;
  watchdog(): Promise<void>;
  stopping(): Promise<void>;
  /** WATCHDOG_USEC/2 in ms when the watchdog is enabled for this pid, else null */
  readonly watchdogIntervalMs: number | null;
}

export interface SdNotifierDeps {
  env: NodeJS.ProcessEnv;
  pid: number;
  spawn?: typeof import('node:child_process').spawn;
  logger?: { warn(obj: object, msg?: string): void };
  /** Deadline of one notification, helper included. Default 2000 ms. */
  timeoutMs?: number;
  /** The helper, looked up in env.PATH. Default `systemd-notify`. */
  command?: string;
}

const DEFAULT_TIMEOUT_MS = 2_000;
const MAX_STATUS_CHARS = 512;
const MAX_STDERR_CHARS = 512;

/** The watchdog interval to ping at, or null when systemd does not watch this pid. */
export function watchdogIntervalFromEnv(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^\d+$/.test(usecText)) return null;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  // WATCHDOG_PID names the process the watchdog is for; a child that inherited the
  // environment must not ping on its parent's behalf.
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && pidText !== String(pid)) return null;
  // Half the timeout, as sd_watchdog_enabled(3) recommends.
  return Math.max(1, Math.floor(usec / 2 / 1000));
}

/** STATUS= is one line of a newline-separated datagram: no newlines, no NULs (spawn rejects those). */
function cleanStatus(text: string): string {
  const oneLine = String(text).replace(/[\r\n\0]+/g, ' ').trim();
  return oneLine.length > MAX_STATUS_CHARS ? `${oneLine.slice(0, MAX_STATUS_CHARS - 1)}…` : oneLine;
}

interface Failure {
  message: string;
  code?: string;
  stderr?: string;
}

const resolved: Promise<void> = Promise.resolve();

export function createSdNotifier(deps: SdNotifierDeps): SdNotifier {
  const notifySocket = deps.env.NOTIFY_SOCKET;
  const enabled = typeof notifySocket === 'string' && notifySocket !== '';
  const watchdogIntervalMs = enabled ? watchdogIntervalFromEnv(deps.env, deps.pid) : null;

  if (!enabled) {
    return {
      enabled: false,
      watchdogIntervalMs: null,
      ready: () => resolved,
      status: () => resolved,
      watchdog: () => resolved,
      stopping: () => resolved,
    };
  }

  const spawn = deps.spawn ?? nodeSpawn;
  const command = deps.command ?? 'systemd-notify';
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pid = deps.pid;
  // Plain stderr from the helper, should we log it.
  const childEnv: NodeJS.ProcessEnv = { ...deps.env, SYSTEMD_COLORS: '0' };

  let failing = false;
  let suppressed = 0;

  function warn(obj: object, msg: string): void {
    try {
      deps.logger?.warn(obj, msg);
    } catch {
      // A broken logger must not turn a notification into an exception.
    }
  }

  function settle(failure: Failure | null, what: string): void {
    if (failure === null) {
      if (failing) {
        warn({ suppressedFailures: suppressed }, 'sd_notify works again');
        failing = false;
        suppressed = 0;
      }
      return;
    }
    if (failing) {
      suppressed += 1;
      return;
    }
    failing = true;
    warn(
      { err: failure, notification: what, notifySocket, command },
      'sd_notify failed; further failures are not logged until it works again',
    );
  }

  /** Sends one datagram through the helper. Always resolves, within timeoutMs. */
  function send(args: string[], what: string): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      let stderr = '';
      let child: ChildProcess | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (failure: Failure | null): void => {
        if (done) return;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        settle(failure, what);
        resolve();
      };
      try {
        child = spawn(command, args, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        finish(toFailure(err));
        return;
      }
      const running = child;
      timer = setTimeout(() => {
        try {
          running.kill('SIGKILL');
        } catch {
          // Already gone.
        }
        finish({ message: `${command} did not finish within ${timeoutMs} ms`, code: 'ETIMEDOUT' });
      }, timeoutMs);
      running.stderr?.setEncoding('utf8');
      running.stderr?.on('data', (chunk: string) => {
        if (stderr.length < MAX_STDERR_CHARS) stderr += chunk;
      });
      running.on('error', (err) => finish(toFailure(err)));
      running.on('close', (code, signal) => {
        if (code === 0) finish(null);
        else
          finish({
            message: `${command} exited with ${code !== null ? `code ${code}` : `signal ${signal ?? '?'}`}`,
            stderr: stderr.trim().slice(0, MAX_STDERR_CHARS),
          });
      });
    });
  }

  // One notification at a time, in call order: STATUS after READY stays after it.
  let tail: Promise<void> = resolved;
  function enqueue(run: () => Promise<void>): Promise<void> {
    // send() resolves on every path; the catch is only a backstop for "never rejects".
    const next = tail.then(run).catch(() => undefined);
    tail = next;
    return next;
  }

  // A ping or status still waiting in the queue absorbs later ones: when the manager
  // is slow the queue stays short, and the newest status text wins.
  let queuedWatchdog: Promise<void> | null = null;
  let queuedStatus: { text: string; promise: Promise<void> } | null = null;

  return {
    enabled: true,
    watchdogIntervalMs,

    ready(status?: string): Promise<void> {
      const args = [`--pid=${pid}`, 'READY=1'];
      if (status !== undefined) args.push(`STATUS=${cleanStatus(status)}`);
      return enqueue(() => send(args, 'READY'));
    },

    status(text: string): Promise<void> {
      const clean = cleanStatus(text);
      if (queuedStatus !== null) {
        queuedStatus.text = clean;
        return queuedStatus.promise;
      }
      const entry: { text: string; promise: Promise<void> } = { text: clean, promise: resolved };
      entry.promise = enqueue(() => {
        queuedStatus = null;
        return send([`STATUS=${entry.text}`], 'STATUS');
      });
      queuedStatus = entry;
      return entry.promise;
    },

    watchdog(): Promise<void> {
      // Not watched (no WatchdogSec=, or WATCHDOG_PID is another process): nothing to do.
      if (watchdogIntervalMs === null) return resolved;
      if (queuedWatchdog !== null) return queuedWatchdog;
      const promise = enqueue(() => {
        queuedWatchdog = null;
        return send(['WATCHDOG=1'], 'WATCHDOG');
      });
      queuedWatchdog = promise;
      return promise;
    },

    stopping(): Promise<void> {
      return enqueue(() => send(['STOPPING=1'], 'STOPPING'));
    },
  };
}

function toFailure(err: unknown): Failure {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined ? { message: err.message, code } : { message: err.message };
  }
  return { message: String(err) };
}
