import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import { canonicalJson } from '../canonical-json.js';
import type { CameraConfig } from '../config/types.js';
import type { AgentEvent, EventBus, EventRecorder } from '../events/index.js';
import { InventoryStore } from '../inventory/store.js';
import type { Service } from '../lifecycle/service.js';
import { cameraFingerprint, siteFingerprint, type CameraFingerprint, type SiteFacts } from './fingerprint.js';
import { burstIsComplete, camerasAffected, classify, diffFingerprints, reportDue, type DebouncePolicy, type ScopedChange } from './policy.js';
import { ChangeStore, type ChangeReport } from './store.js';

/** Working-day arithmetic in the site's zone (agent/calendar behind it). */
export interface DeadlineCalendar {
  deadline(from: Date, workingDays: number): { deadline: string; calendarKnown: boolean };
  today(now: Date): string;
  workingDaysBetween(from: string, to: string): number;
}

export interface ChangeServiceDeps {
  db: Database;
  recorder: EventRecorder;
  bus: EventBus;
  logger: Logger;
  now: () => Date;
  cameras: CameraConfig[];
  /** Site-level facts other than cameras' serials, gathered by the caller (config, disk). */
  siteFacts: () => Omit<SiteFacts, 'cameras'>;
  calendar: DeadlineCalendar;
  /** From the jurisdiction profile (Liaoning: 3). */
  workingDays: number;
  debounce: DebouncePolicy;
  checkEveryMs?: number;
  newId?: () => string;
}

type Source = 'interrogation' | 'onvif_event' | 'config' | 'agent';

/**
 * Notices configuration changes and turns each burst into a change report with a
 * working-day deadline (Liaoning Art. 12), sent at once as `config.changed` and tracked:
 * pending → reported (broker PUBACK) → acknowledged (platform receipt), with a reminder
 * a working day before the deadline and `report.overdue` once it has passed.
 */
export class ChangeService implements Service {
  readonly name = 'changes';
  private readonly store: ChangeStore;
  private readonly inventory: InventoryStore;
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: ChangeServiceDeps) {
    this.store = new ChangeStore(deps.db);
    this.inventory = new InventoryStore(deps.db);
  }

  start(): void {
    this.safely('start-up comparison', () => {
      // A restart with an edited config (name, location, purpose, retention…) is a change too.
      this.compareSite('config');
      for (const camera of this.deps.cameras) this.compareCamera(camera, 'config');
      this.markDelivered();
    });
    this.unsubscribe.push(
      this.deps.bus.on('inventory.changed', ({ camera }) =>
        this.safely(`inventory change of ${camera}`, () => {
          const config = this.deps.cameras.find((c) => c.id === camera);
          if (config) this.compareCamera(config, 'interrogation');
          this.compareSite('interrogation');
        }),
      ),
      this.deps.bus.on('event.delivered', (event) => this.safely('delivery', () => this.onDelivered(event))),
    );
    this.timer = setInterval(() => this.check(), this.deps.checkEveryMs ?? 5000);
    this.check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Flushes complete bursts into reports and raises what is due. Public for tests and the CLI. */
  check(): void {
    this.safely('report flush', () => this.flush());
    this.safely('deadline check', () => this.checkDue());
  }

  /** The platform's receipt (`report.ack`). Returns the report, or null if unknown. */
  acknowledge(reportId: string, receiptNo: string): ChangeReport | null {
    const report = this.store.report(reportId);
    if (!report) return null;
    if (report.state !== 'acknowledged') {
      this.store.update(reportId, { state: 'acknowledged', acknowledgedAt: this.deps.now().toISOString(), receiptNo });
    }
    return this.store.report(reportId);
  }

  reports(): ChangeReport[] {
    return this.store.reports();
  }

  private compareCamera(camera: CameraConfig, source: Source): void {
    const record = this.inventory.latestSnapshot(camera.id)?.record ?? null;
    this.compare(`camera:${camera.id}`, cameraFingerprint(camera, record), source, (before, after) => {
      // Learning a camera for the first time is not a change of it: compare only what the
      // operator configured until both sides were interrogated.
      const b = before as CameraFingerprint;
      const a = after as CameraFingerprint;
      if (b.identity === null || a.identity === null) return [diffFingerprints(b.configured, a.configured), 'configured'];
      return [diffFingerprints(b, a), ''];
    });
  }

  private compareSite(source: Source): void {
    const cameras: Record<string, string | null> = {};
    for (const c of this.deps.cameras) cameras[c.id] = this.inventory.latestSnapshot(c.id)?.record.identity.serial ?? null;
    const fp = siteFingerprint({ ...this.deps.siteFacts(), cameras });
    this.compare('site', fp, source, (before, after) => {
      const changes = diffFingerprints(before, after).filter(
        // A serial becoming known is learning, not a swap.
        (c) => !(/^cameras\./.test(c.path) && c.before === null && c.after !== undefined),
      );
      return [changes, ''];
    });
  }

  private compare(
    scope: string,
    fingerprint: unknown,
    source: Source,
    diff: (before: unknown, after: unknown) => [{ path: string; before: unknown; after: unknown }[], string],
  ): void {
    const hash = createHash('sha256').update(canonicalJson(fingerprint)).digest('hex');
    const iso = this.deps.now().toISOString();
    this.deps.db.transaction(() => {
      const stored = this.store.fingerprint(scope);
      if (stored?.hash === hash) return;
      if (stored) {
        const [changes, prefix] = diff(stored.fingerprint, fingerprint);
        const scoped = changes.map((c) => ({ ...c, path: prefix ? `${prefix}.${c.path}` : c.path }));
        if (scoped.length > 0) {
          this.store.addPending(scope, iso, scoped, source);
          this.deps.logger.info({ scope, source, changes: scoped.slice(0, 20) }, 'configuration change detected');
        }
      }
      this.store.saveFingerprint(scope, hash, fingerprint, iso);
    })();
  }

  private flush(): void {
    const pending = this.store.pending();
    if (pending.length === 0) return;
    const now = this.deps.now();
    if (!burstIsComplete(pending.map((p) => new Date(p.detectedAt)), now, this.deps.debounce)) return;
    const changes: ScopedChange[] = pending.flatMap((p) => p.diff.map((d) => ({ scope: p.scope, ...d })));
    const detectedAt = pending[0]!.detectedAt;
    const { deadline, calendarKnown } = this.deps.calendar.deadline(new Date(detectedAt), this.deps.workingDays);
    const site = this.deps.siteFacts().siteId;
    const report: ChangeReport = {
      id: (this.deps.newId ?? randomUUID)(),
      number: 0,
      site,
      detectedAt,
      createdAt: now.toISOString(),
      changes,
      cameras: camerasAffected(changes),
      workingDays: this.deps.workingDays,
      deadline,
      calendarKnown,
      state: 'pending',
      eventId: null,
      reportedAt: null,
      remindedAt: null,
      overdueAt: null,
      acknowledgedAt: null,
      receiptNo: null,
    };
    this.deps.recorder.withFact((append) => {
      report.number = this.store.nextNumber();
      const event = append({
        type: 'config.changed',
        severity: 'warning',
        data: { report: publicReport(report), summary: classify(changes) },
      });
      report.eventId = event.id;
      this.store.insertReport(report);
      this.store.clearPending(pending[pending.length - 1]!.id);
    });
    this.deps.logger.warn(
      { report: report.number, cameras: report.cameras, changes: changes.length, deadline, calendarKnown },
      `configuration change report ${report.number}: to be reported by ${deadline}`,
    );
  }

  private checkDue(): void {
    const now = this.deps.now();
    const today = this.deps.calendar.today(now);
    for (const report of this.store.openReports()) {
      const due = reportDue(report, today, this.deps.calendar);
      if (!due.remind && !due.overdue) continue;
      this.deps.recorder.withFact((append) => {
        if (due.overdue) {
          append({ type: 'report.overdue', severity: 'critical', data: { report: publicReport(report), today } });
          this.store.update(report.id, { state: 'overdue', overdueAt: now.toISOString() });
        } else {
          append({
            type: 'report.reminder',
            severity: 'warning',
            data: { report: publicReport(report), today, workingDaysLeft: this.deps.calendar.workingDaysBetween(today, report.deadline) },
          });
          this.store.update(report.id, { remindedAt: now.toISOString() });
        }
      });
    }
  }

  private onDelivered(event: AgentEvent): void {
    if (event.type !== 'config.changed') return;
    const id = (event.data.report as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return;
    const report = this.store.report(id);
    if (report && report.state === 'pending') this.store.update(id, { state: 'reported', reportedAt: this.deps.now().toISOString() });
  }

  /** After a restart: a pending report whose event left the outbox was acknowledged by the broker. */
  private markDelivered(): void {
    for (const report of this.store.openReports()) {
      if (report.state === 'pending' && report.eventId && !this.store.eventInOutbox(report.eventId)) {
        this.store.update(report.id, { state: 'reported', reportedAt: this.deps.now().toISOString() });
      }
    }
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ err, what }, 'change tracking step failed');
    }
  }
}

/** The report as the platform sees it in events. */
export function publicReport(r: ChangeReport): Record<string, unknown> {
  return {
    id: r.id,
    number: r.number,
    detectedAt: r.detectedAt,
    cameras: r.cameras,
    changes: r.changes,
    workingDays: r.workingDays,
    deadline: r.deadline,
    calendarKnown: r.calendarKnown,
    state: r.state,
  };
}
