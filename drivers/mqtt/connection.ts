import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';

export interface MqttConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** PEM file paths (mTLS to the platform broker). */
  ca?: string;
  cert?: string;
  key?: string;
  keepaliveSeconds: number;
  /** 5 for brokers that speak it (responseTopic/correlationData), 4 for MQTT 3.1.1-only brokers such as aedes. */
  protocolVersion: 4 | 5;
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  /** Delays before reconnect attempts; the last one repeats. */
  backoffMs?: number[];
  connectTimeoutMs?: number;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  properties?: IClientPublishOptions['properties'];
}

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface MqttConnectionEvents {
  /** Every (re)connect: the session is new, retained state must be set again. */
  connect: [];
  /** The connection is gone; in-flight publishes may or may not have arrived. */
  close: [];
  message: [IncomingMessage];
  /** A transport or protocol error; the connection retries by itself. */
  error: [Error];
}

const DEFAULT_BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];

/**
 * MQTT.js behind a small surface: promise publish resolved on PUBACK, a fixed backoff
 * table for reconnects, and no reliance on MQTT.js's in-memory queue for durability
 * (issue mqttjs#2015): callers keep their own outbox and publish only while connected.
 */
export class MqttConnection extends EventEmitter<MqttConnectionEvents> {
  private readonly client: MqttClient;
  private failures = 0;
  private ended = false;

  constructor(private readonly opts: MqttConnectionOptions) {
    super();
    const backoff = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
    const options: IClientOptions = {
      clientId: opts.clientId,
      keepalive: opts.keepaliveSeconds,
      protocolVersion: opts.protocolVersion,
      clean: true,
      reconnectPeriod: backoff[0] ?? 1000,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      // QoS 0 messages published while offline are state snapshots; a fresh one follows on connect.
      queueQoSZero: false,
      resubscribe: true,
      manualConnect: true,
    };
    if (opts.username !== undefined) options.username = opts.username;
    if (opts.password !== undefined) options.password = opts.password;
    if (opts.ca) options.ca = readFileSync(opts.ca);
    if (opts.cert) options.cert = readFileSync(opts.cert);
    if (opts.key) options.key = readFileSync(opts.key);
    if (opts.will) options.will = { ...opts.will, payload: Buffer.from(opts.will.payload) };
    this.client = mqtt.connect(opts.url, options);

    this.client.on('connect', () => {
      this.failures = 0;
      this.client.options.reconnectPeriod = backoff[0] ?? 1000;
      this.emit('connect');
    });
    this.client.on('close', () => {
      this.failures += 1;
      const delay = backoff[Math.min(this.failures, backoff.length - 1)] ?? 30_000;
      // MQTT.js reads reconnectPeriod when it schedules the next attempt, right after 'close'.
      if (!this.ended) this.client.options.reconnectPeriod = delay;
      this.emit('close');
    });
    // A refused CONNACK or a socket error can arrive after the owner stopped listening
    // (e.g. during shutdown); with no listener EventEmitter would throw it. The client
    // retries by itself either way.
    this.client.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    this.client.on('message', (topic, payload, packet) => {
      const props = packet.properties;
      const msg: IncomingMessage = { topic, payload };
      if (props?.responseTopic) msg.responseTopic = props.responseTopic;
      if (props?.correlationData) msg.correlationData = props.correlationData;
      this.emit('message', msg);
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Starts connecting (and reconnecting until end()). */
  connect(): void {
    this.client.connect();
  }

  /** Resolves when the broker has acknowledged (QoS 1) or the packet was written (QoS 0). */
  publish(topic: string, payload: string | Buffer, opts: PublishOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const publishOpts: IClientPublishOptions = { qos: opts.qos, retain: opts.retain ?? false };
      if (opts.properties && this.opts.protocolVersion === 5) publishOpts.properties = opts.properties;
      this.client.publish(topic, payload, publishOpts, (err) => (err ? reject(err) : resolve()));
    });
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<void> {
    await this.client.subscribeAsync(topic, { qos });
  }

  /** Closes the connection. The will is NOT sent (a clean DISCONNECT), so publish the final state first. */
  async end(opts: { force?: boolean } = {}): Promise<void> {
    this.ended = true;
    this.client.options.reconnectPeriod = 0;
    await this.client.endAsync(opts.force ?? false);
  }
}
