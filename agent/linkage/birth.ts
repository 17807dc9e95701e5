import { createHash } from 'node:crypto';
import type { Logger } from '../../drivers/log/logger.js';
import type { Database } from '../../drivers/store/index.js';
import { canonicalJson } from '../canonical-json.js';
import type { AgentConfig } from '../config/types.js';
import type { InventoryRecord } from '../inventory/policy.js';
import type { Service } from '../lifecycle/service.js';
import type { StatusLink } from './camera-status.js';
import { topics } from './topics.js';

export interface BirthDeps {
  config: AgentConfig;
  link: StatusLink;
  db: Database;
  logger: Logger;
  now: () => Date;
  agentVersion: string;
  bootId: string;
  /** The latest inventory record of a camera (InventoryStore.latestSnapshot(id)?.record). */
  inventory: (cameraId: string) => InventoryRecord | null;
}

/**
 * sha256 of the canonical JSON of the config without secrets: the platform sees that a
 * site's configuration changed (and can compare sites) without learning any password.
 */
export function configFingerprint(config: AgentConfig): string {
  const { password: _mqttPassword, ...mqtt } = config.mqtt;
  const clean = {
    ...config,
    mqtt,
    cameras: config.cameras.map((c) => {
      const { password: _password, ...onvif } = c.onvif;
      return { ...c, onvif };
    }),
  };
  return `sha256:${createHash('sha256').update(canonicalJson(clean), 'utf8').digest('hex')}`;
}

/**
 * The retained `birth` topic: what this site is (site, profile, retention, cameras,
 * config fingerprint). Published on every connect (a restarted broker may have lost it)
 * and on the `rebirth` verb; `seq` rises with every publication, across restarts, so the
 * platform can tell a newer birth from a stale retained one.
 */
export class BirthPublisher implements Service {
  readonly name = 'birth';
  private readonly bumpSeq;

  constructor(private readonly deps: BirthDeps) {
    this.bumpSeq = deps.db.prepare<[string], { value: number }>(
      `INSERT INTO sequences (name, value) VALUES (?, 1)
       ON CONFLICT(name) DO UPDATE SET value = value + 1
       RETURNING value`,
    );
  }

  private readonly onConnect = (): void => {
    this.publish().catch((err: unknown) => this.deps.logger.warn({ err }, 'could not publish birth'));
  };

  start(): void {
    this.deps.link.on('connect', this.onConnect);
    if (this.deps.link.connected) this.onConnect();
  }

  stop(): void {
    this.deps.link.off('connect', this.onConnect);
  }

  /** The payload with the next seq (each call consumes one). */
  payload(): Record<string, unknown> {
    const { config, now, agentVersion, bootId, inventory } = this.deps;
    const row = this.bumpSeq.get(`birth_seq:${config.site.id}`);
    if (!row) throw new Error('birth sequence did not advance');
    return {
      seq: row.value,
      ts: now().toISOString(),
      site: { id: config.site.id, name: config.site.name, timezone: config.site.timezone },
      profile: {
        id: config.profile.id,
        name: config.profile.name,
        floorDays: config.profile.retention.floorDays,
        vitalHoldDays: config.profile.retention.vitalHoldDays,
        changeReportWorkingDays: config.profile.changeReport.workingDays,
      },
      retention: { floorDays: config.retention.floorDays, ceilingDays: config.retention.ceilingDays },
      cameras: config.cameras.map((c) => {
        const identity = inventory(c.id)?.identity ?? null;
        return {
          id: c.id,
          name: c.name,
          locationKind: c.location.kind,
          record: c.record,
          prohibited: c.prohibited,
          identity: identity ? { manufacturer: identity.manufacturer, model: identity.model, firmware: identity.firmware, serial: identity.serial } : null,
        };
      }),
      configFingerprint: configFingerprint(config),
      agentVersion,
      bootId,
    };
  }

  /** Publishes a fresh birth; returns its seq. */
  async publish(): Promise<{ seq: number }> {
    const body = this.payload();
    await this.deps.link.publish(topics.birth(this.deps.config.site.id), JSON.stringify(body), { qos: 1, retain: true });
    return { seq: body.seq as number };
  }
}
