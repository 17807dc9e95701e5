// Bounds what WS-Discovery answers can make the agent store. Anyone on the LAN can send
// ProbeMatch/Hello datagrams, and each distinct URN used to become a device row and a
// `camera.discovered` event: a flood of made-up URNs filled the database and the platform's
// event stream. Unknown devices are therefore admitted at most `maxNewDevicesPerHour` per
// hour and while fewer than `maxUnconfiguredDevices` rows exist; beyond that they are only
// counted, and one `discovery.flood` event per hour says how many. Configured cameras and
// devices already known never go through this budget. Pure: the caller passes the clock.

export interface DiscoveryLimits {
  maxNewDevicesPerHour: number;
  maxUnconfiguredDevices: number;
}

export const DEFAULT_DISCOVERY_LIMITS: DiscoveryLimits = { maxNewDevicesPerHour: 64, maxUnconfiguredDevices: 1024 };

const HOUR_MS = 3_600_000;

export type FloodLimit = 'rate' | 'total';

/** The `data` of a `discovery.flood` event. */
export interface FloodReport {
  /** Unknown devices not recorded since the previous report (or the start). */
  suppressed: number;
  /** Which bound refused the latest one: the hourly rate or the total of unconfigured rows. */
  limit: FloodLimit;
  /** New unknown devices recorded in the current hour window. */
  newDevicesThisHour: number;
  maxNewDevicesPerHour: number;
  unconfiguredDevices: number;
  maxUnconfiguredDevices: number;
  /** Unknown devices not recorded since the agent started. */
  suppressedTotal: number;
}

export class NewDeviceBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private admittedInWindow = 0;
  private pending = 0;
  private lastLimit: FloodLimit = 'rate';
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private suppressedTotal = 0;

  constructor(readonly limits: DiscoveryLimits = DEFAULT_DISCOVERY_LIMITS) {}

  /**
   * Whether one more unknown device may be recorded, `unconfigured` being the unconfigured
   * rows stored right now. A refusal is counted for the next report.
   */
  admit(nowMs: number, unconfigured: number): boolean {
    // A fixed window that starts with the first new device after the previous one ended;
    // a clock stepped backwards starts a new window rather than freezing the budget.
    if (nowMs - this.windowStart >= HOUR_MS || nowMs < this.windowStart) {
      this.windowStart = nowMs;
      this.admittedInWindow = 0;
    }
    let limit: FloodLimit | null = null;
    if (unconfigured >= this.limits.maxUnconfiguredDevices) limit = 'total';
    else if (this.admittedInWindow >= this.limits.maxNewDevicesPerHour) limit = 'rate';
    if (limit === null) {
      this.admittedInWindow += 1;
      return true;
    }
    this.lastLimit = limit;
    this.pending += 1;
    this.suppressedTotal += 1;
    return false;
  }

  /**
   * The report to raise now, at most one per hour: the first as soon as something was
   * refused (the operator should know at once), later ones with what was refused since.
   */
  takeReport(nowMs: number, unconfigured: number): FloodReport | null {
    if (this.pending === 0) return null;
    if (nowMs - this.lastReportAt < HOUR_MS && nowMs >= this.lastReportAt) return null;
    const report: FloodReport = {
      suppressed: this.pending,
      limit: this.lastLimit,
      newDevicesThisHour: this.admittedInWindow,
      maxNewDevicesPerHour: this.limits.maxNewDevicesPerHour,
      unconfiguredDevices: unconfigured,
      maxUnconfiguredDevices: this.limits.maxUnconfiguredDevices,
      suppressedTotal: this.suppressedTotal,
    };
    this.pending = 0;
    this.lastReportAt = nowMs;
    return report;
  }

  /** Counters for diagnostics and tests. */
  stats(): { suppressedTotal: number; pending: number; newDevicesThisHour: number } {
    return { suppressedTotal: this.suppressedTotal, pending: this.pending, newDevicesThisHour: this.admittedInWindow };
  }
}
