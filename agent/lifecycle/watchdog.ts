import type { SdNotifier } from '../../drivers/host/sd-notify.js';
import type { Database } from '../../drivers/store/index.js';
import type { Service } from './service.js';

/**
 * Pings systemd's watchdog while the agent is really alive: the event loop turns (the
 * timer fires) and the database answers. A wedged agent stops pinging and is restarted.
 */
export class WatchdogService implements Service {
  readonly name = 'watchdog';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: { notifier: SdNotifier; db: Database }) {}

  start(): void {
    const interval = this.deps.notifier.watchdogIntervalMs;
    if (interval === null) return;
    const probe = this.deps.db.prepare('SELECT 1');
    this.timer = setInterval(() => {
      try {
        probe.get();
      } catch {
        return; // no ping: systemd restarts an agent whose database is gone
      }
      void this.deps.notifier.watchdog();
    }, interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
