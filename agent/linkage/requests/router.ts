import type { Logger } from '../../../drivers/log/logger.js';
import type { IncomingMessage, PublishOptions } from '../../../drivers/mqtt/index.js';
import type { Database } from '../../../drivers/store/index.js';
import { withDeadline, type Service } from '../../lifecycle/service.js';
import { topicRoot, topics } from '../topics.js';
import { Authenticator, loadPlatformKeys, REFUSAL_REASONS, type RefusalReason } from './auth.js';
import { errorResponse, okResponse, parseEnvelope, type RequestEnvelope, type ResponsePayload } from './envelope.js';
import { ReplyCache } from './replies.js';
import { VerbError, type RequestContext, type VerbHandler } from './verb.js';

/** What the router needs of the broker connection (MqttConnection has it). */
export interface RequestLink {
  readonly connected: boolean;
  subscribe(topic: string, qos: 0 | 1): Promise<void>;
  publish(topic: string, payload: string | Buffer, opts: PublishOptions): Promise<void>;
  on(event: 'connect', listener: () => void): unknown;
  on(event: 'message', listener: (msg: IncomingMessage) => void): unknown;
  off(event: 'connect', listener: () => void): unknown;
  off(event: 'message', listener: (msg: IncomingMessage) => void): unknown;
}

export interface RequestRouterDeps {
  site: string;
  link: RequestLink;
  db: Database;
  logger: Logger;
  now: () => Date;
  verbs: VerbHandler<any>[];
  security: { requireSignedCommands: boolean; requireSiteBinding?: boolean; platformKeys: { id: string; publicKey: string }[] };
  /** Payload size cap (default 256 KiB). */
  maxBytes?: number;
  /** Verbs running at once (default 8) and waiting beyond that (default 64) before `busy`. */
  concurrency?: number;
  queueLimit?: number;
  /** Replay / duplicate window (default 10 min) and the allowed clock distance of auth.ts (default 120 s). */
  windowMs?: number;
  skewMs?: number;
}

export interface RouterStats {
  received: number;
  answered: number;
  duplicates: number;
  busy: number;
  badRequests: number;
  unknownVerbs: number;
  internalErrors: number;
  refusals: Record<RefusalReason, number>;
}

interface Job {
  verb: string;
  handler: VerbHandler<unknown>;
  env: RequestEnvelope;
  ctx: RequestContext;
  resolve: (reply: ResponsePayload) => void;
}

/**
 * Answers platform requests on `psv/v1/<site>/req/<verb>`.
 *
 * Per message: size cap → JSON/envelope → verb known → authentication → duplicate id →
 * bounded queue → the verb → response. Authentication comes BEFORE the duplicate lookup:
 * a cached answer may carry data (status, snapshots), and only an authentic request may
 * fetch it — otherwise anyone who saw a request id could replay it unsigned and read
 * the answer. A signed retry must therefore be re-signed with a fresh nonce (a
 * byte-identical redelivery is `unauthorized`/`replayed`, exactly per contract); with the
 * same id it then gets the first answer again without the verb acting twice.
 *
 * The answer goes to the MQTT 5 responseTopic (with correlationData echoed) when the
 * request names one, and ONLY there: the requester asked for a private channel, and a
 * copy on `res/<verb>` would show e.g. a snapshot to every subscriber of the res topics.
 * If the broker refuses that publish (ACL: a box writes only below its own root), the
 * answer falls back to `res/<verb>` so it is not lost. Otherwise: `res/<verb>`.
 */
export class RequestRouter implements Service {
  readonly name = 'requests';
  private readonly handlers = new Map<string, VerbHandler<unknown>>();
  private readonly auth: Authenticator;
  private readonly replies: ReplyCache;
  private readonly queue: Job[] = [];
  /** Requests being answered, by verb + id: a duplicate arriving meanwhile waits for the same answer. */
  private readonly inflight = new Map<string, Promise<ResponsePayload>>();
  private readonly pending = new Set<Promise<unknown>>();
  private running = 0;
  private stopped = true;
  private pruneTimer: NodeJS.Timeout | null = null;
  private readonly counters = { received: 0, answered: 0, duplicates: 0, busy: 0, badRequests: 0, unknownVerbs: 0, internalErrors: 0 };

  constructor(private readonly deps: RequestRouterDeps) {
    for (const v of deps.verbs) this.register(v);
    const keys = deps.security.requireSignedCommands ? loadPlatformKeys(deps.security.platformKeys, deps.logger) : new Map();
    this.auth = new Authenticator({
      db: deps.db,
      keys,
      site: deps.site,
      requireSiteBinding: deps.security.requireSiteBinding ?? false,
      ...(deps.skewMs !== undefined ? { skewMs: deps.skewMs } : {}),
      ...(deps.windowMs !== undefined ? { nonceWindowMs: deps.windowMs } : {}),
    });
    this.replies = new ReplyCache(deps.db, deps.windowMs ?? 600_000);
    if (deps.security.requireSignedCommands && keys.size === 0) {
      deps.logger.error('signed commands are required but no platform key is usable: every request will be refused');
    }
  }

  /** Adds a verb (other capabilities register theirs before start). */
  register<A>(handler: VerbHandler<A>): void {
    if (this.handlers.has(handler.verb)) throw new Error(`verb '${handler.verb}' registered twice`);
    this.handlers.set(handler.verb, handler as VerbHandler<unknown>);
  }

  stats(): RouterStats {
    return { ...this.counters, refusals: { ...this.auth.refusals } };
  }

  /** Refusals per reason, for the health topic. */
  refusals(): Record<RefusalReason, number> {
    return { ...this.auth.refusals };
  }

  private get filter(): string {
    return `${topicRoot(this.deps.site)}/req/+`;
  }

  private readonly onConnect = (): void => {
    // Subscribed on every connect: the session is clean, the broker forgot it.
    this.deps.link.subscribe(this.filter, 1).catch((err: unknown) => this.deps.logger.error({ err }, 'could not subscribe to requests'));
  };

  private readonly onMessage = (msg: IncomingMessage): void => {
    const prefix = `${topicRoot(this.deps.site)}/req/`;
    if (!msg.topic.startsWith(prefix) || this.stopped) return;
    const verb = msg.topic.slice(prefix.length);
    if (verb.length === 0 || verb.includes('/')) return;
    const work = this.handle(verb, msg).catch((err: unknown) => {
      // Never reached in practice (handle catches everything), but the agent must not die of a request.
      this.deps.logger.error({ err, verb }, 'request handling failed');
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  };

  start(): void {
    this.stopped = false;
    const { link } = this.deps;
    link.on('connect', this.onConnect);
    link.on('message', this.onMessage);
    if (link.connected) this.onConnect();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), 60_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const { link } = this.deps;
    link.off('connect', this.onConnect);
    link.off('message', this.onMessage);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    // Queued requests are dropped unanswered: the platform times out and retries with the same id.
    for (const job of this.queue.splice(0)) job.resolve(errorResponse(job.env.id, 'busy', 'agent is stopping'));
    await withDeadline(2000, () => Promise.allSettled([...this.pending]));
  }

  private prune(): void {
    try {
      const now = this.deps.now();
      this.auth.prune(now);
      this.replies.prune(now);
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not prune request nonces/replies');
    }
  }

  private async handle(verb: string, msg: IncomingMessage): Promise<void> {
    const { logger } = this.deps;
    this.counters.received += 1;
    const receivedAt = this.deps.now();
    const maxBytes = this.deps.maxBytes ?? 256 * 1024;
    if (msg.payload.length > maxBytes) {
      this.counters.badRequests += 1;
      return this.respond(verb, msg, errorResponse(null, 'bad_request', `request too large (${msg.payload.length} bytes, limit ${maxBytes})`));
    }
    const parsed = parseEnvelope(msg.payload);
    if (!parsed.ok) {
      this.counters.badRequests += 1;
      return this.respond(verb, msg, errorResponse(parsed.id, 'bad_request', parsed.message));
    }
    const env = parsed.envelope;
    const handler = this.handlers.get(verb);
    if (!handler) {
      this.counters.unknownVerbs += 1;
      return this.respond(verb, msg, errorResponse(env.id, 'unknown_verb', `unknown verb '${verb.slice(0, 64)}'`));
    }
    let keyId: string | null = null;
    if (this.deps.security.requireSignedCommands) {
      const result = this.auth.check(verb, env, receivedAt);
      if (!result.ok) {
        logger.warn({ verb, id: env.id, reason: result.reason }, 'request refused');
        return this.respond(verb, msg, errorResponse(env.id, 'unauthorized', result.message, { reason: result.reason }));
      }
      keyId = result.keyId;
    }
    const key = `${verb}\u0000${env.id}`;
    const running = this.inflight.get(key);
    const cached = running ? null : this.replies.get(verb, env.id, receivedAt);
    if (running || cached) {
      this.counters.duplicates += 1;
      logger.info({ verb, id: env.id }, 'duplicate request id: answering with the first reply');
      return this.respond(verb, msg, cached ?? (await running!));
    }
    if (this.running >= (this.deps.concurrency ?? 8) && this.queue.length >= (this.deps.queueLimit ?? 64)) {
      this.counters.busy += 1;
      // Not cached: a retry of the same id later should get a real answer.
      return this.respond(verb, msg, errorResponse(env.id, 'busy', 'too many requests in progress; retry later'));
    }
    const answer = new Promise<ResponsePayload>((resolve) => {
      this.queue.push({ verb, handler, env, ctx: { verb, id: env.id, keyId, receivedAt }, resolve });
    });
    this.inflight.set(key, answer);
    this.drain();
    try {
      const reply = await answer;
      return await this.respond(verb, msg, reply);
    } finally {
      this.inflight.delete(key);
    }
  }

  private drain(): void {
    while (this.running < (this.deps.concurrency ?? 8)) {
      const job = this.queue.shift();
      if (!job) return;
      this.running += 1;
      void this.execute(job).then((reply) => {
        this.running -= 1;
        job.resolve(reply);
        this.drain();
      });
    }
  }

  /** Runs the verb; never throws. The answer is stored before it is sent, so a retry can never act twice. */
  private async execute(job: Job): Promise<ResponsePayload> {
    const { env, handler, ctx } = job;
    let reply: ResponsePayload;
    const args = handler.args.safeParse(env.args);
    if (!args.success) {
      this.counters.badRequests += 1;
      const issues = args.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      reply = errorResponse(env.id, 'bad_request', 'invalid args', { issues });
    } else {
      try {
        reply = okResponse(env.id, await handler.run(args.data, ctx));
      } catch (err) {
        if (err instanceof VerbError) {
          reply = errorResponse(env.id, err.code, err.message, err.extra);
        } else {
          this.counters.internalErrors += 1;
          // The stack stays in the log; the platform gets the id to quote.
          this.deps.logger.error({ err, verb: job.verb, id: env.id }, 'verb failed');
          reply = errorResponse(env.id, 'internal', `internal error (request ${env.id})`);
        }
      }
    }
    try {
      this.replies.put(job.verb, env.id, reply, this.deps.now());
    } catch (err) {
      this.deps.logger.warn({ err, verb: job.verb, id: env.id }, 'could not store the reply for duplicate detection');
    }
    return reply;
  }

  private async respond(verb: string, msg: IncomingMessage, reply: ResponsePayload): Promise<void> {
    const { link, logger, site } = this.deps;
    const body = JSON.stringify(reply);
    if (msg.responseTopic && !isReplyChannel(site, msg.responseTopic)) {
      logger.warn({ verb, id: reply.id, responseTopic: msg.responseTopic.slice(0, 200) }, 'response topic refused (a psv/v1 topic outside this site\'s res/); using the res topic');
    } else if (msg.responseTopic) {
      const properties = msg.correlationData ? { correlationData: msg.correlationData } : {};
      try {
        await link.publish(msg.responseTopic, body, { qos: 1, properties });
        this.counters.answered += 1;
        return;
      } catch (err) {
        logger.warn({ err, verb, id: reply.id, responseTopic: msg.responseTopic }, 'could not answer on the response topic; using the res topic');
      }
    }
    try {
      await link.publish(topics.response(site, verb), body, { qos: 1 });
      this.counters.answered += 1;
    } catch (err) {
      // The reply is cached: the platform's retry with the same id gets it.
      logger.warn({ err, verb, id: reply.id }, 'could not publish the response');
    }
  }
}

/**
 * Whether the agent may answer on a requester's MQTT 5 responseTopic: anything outside
 * psv/v1 (the platform's own reply topics), or below this site's res/. Never its state,
 * birth, event, health or camera status, nor another site's topics: the box may write
 * its whole root, so a request (even one refused unsigned) could otherwise make it
 * publish in its own name where the platform trusts what it reads.
 */
export function isReplyChannel(site: string, topic: string): boolean {
  if (!topic.startsWith('psv/v1/')) return true;
  return topic.startsWith(`${topicRoot(site)}/res/`);
}

export { REFUSAL_REASONS };
