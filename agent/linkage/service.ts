import type { Logger } from '../../drivers/log/logger.js';
import type { MqttConnection } from '../../drivers/mqtt/index.js';
import { OutboxPublisher } from '../events/publisher.js';
import type { Outbox } from '../events/outbox.js';
import type { AgentEvent } from '../events/types.js';
import { withDeadline, type Service } from '../lifecycle/service.js';
import { presencePayload } from './presence.js';
import { topics } from './topics.js';

export interface LinkageDeps {
  site: string;
  connection: MqttConnection;
  outbox: Outbox;
  logger: Logger;
  now: () => Date;
  agentVersion: string;
  bootId: string;
  onDelivered?: (event: AgentEvent) => void;
}

/**
 * The agent's side of the platform link: presence on `state` (set again on every
 * reconnect, because a restarted broker may have lost its retained messages) and the
 * event outbox drained to `event`.
 */
export class LinkageService implements Service {
  readonly name = 'linkage';
  private readonly publisher: OutboxPublisher;
  private connectedOnce = false;
  private down = false;

  constructor(private readonly deps: LinkageDeps) {
    this.publisher = new OutboxPublisher({
      outbox: deps.outbox,
      link: deps.connection,
      topic: topics.event(deps.site),
      logger: deps.logger,
      ...(deps.onDelivered ? { onDelivered: deps.onDelivered } : {}),
    });
  }

  private readonly onConnect = (): void => {
    const { logger, outbox } = this.deps;
    if (!this.connectedOnce || this.down) {
      logger.info({ pendingEvents: outbox.size() }, this.connectedOnce ? 'broker connection restored' : 'connected to broker');
    }
    this.connectedOnce = true;
    this.down = false;
    this.publishPresence('online').catch((err: unknown) => logger.warn({ err }, 'could not publish online state'));
  };

  private readonly onClose = (): void => {
    if (!this.down && this.connectedOnce) this.deps.logger.warn('broker connection lost; events are kept in the outbox');
    this.down = true;
  };

  private readonly onError = (err: Error): void => {
    // Reported once per outage by onClose; details at debug level to keep the log readable.
    this.deps.logger.debug({ err }, 'mqtt error');
  };

  start(): void {
    const { connection } = this.deps;
    connection.on('connect', this.onConnect);
    connection.on('close', this.onClose);
    connection.on('error', this.onError);
    this.publisher.start();
    connection.connect();
  }

  async stop(): Promise<void> {
    const { connection, logger } = this.deps;
    await this.publisher.stop(1500);
    if (connection.connected) {
      const result = await withDeadline(1500, () => this.publishPresence('stopped'));
      if (result === 'timeout') logger.warn('broker did not acknowledge the stopped state in time');
    }
    connection.off('connect', this.onConnect);
    connection.off('close', this.onClose);
    const ended = await withDeadline(1000, () => connection.end());
    if (ended === 'timeout') await connection.end({ force: true });
    connection.off('error', this.onError);
  }

  /** Sets the retained `state` again (the `rebirth` request). */
  async republishState(): Promise<void> {
    await this.publishPresence('online');
  }

  private async publishPresence(state: 'online' | 'stopped'): Promise<void> {
    const { site, connection, now, agentVersion, bootId } = this.deps;
    const payload = presencePayload(state, now(), agentVersion, bootId);
    await connection.publish(topics.state(site), JSON.stringify(payload), { qos: 1, retain: true });
  }
}
