import { Aedes } from 'aedes';
import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export interface BrokerUser {
  username: string;
  password: string;
}

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Accounts that may publish and subscribe. */
  users: BrokerUser[];
  /**
   * Let clients without credentials subscribe (never publish). For the demo on loopback:
   * `npx mqtt sub` can watch the topics, while no one unauthenticated can send a request.
   */
  anonymousRead: boolean;
}

export interface EmbeddedBroker {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

const BAD_CREDENTIALS = 4;

function sameSecret(a: string, b: Buffer): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * An in-process MQTT 3.1.1 broker (aedes) for the demo and fast tests. Authenticated:
 * unknown users are refused; anonymous clients are read-only when allowed at all.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const authenticated = new WeakSet<object>();
  const aedes = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      if (username === undefined && password === undefined) {
        if (opts.anonymousRead) return done(null, true);
        return done(Object.assign(new Error('credentials required'), { returnCode: BAD_CREDENTIALS }), false);
      }
      const user = opts.users.find((u) => u.username === username);
      if (user && password && sameSecret(user.password, password)) {
        authenticated.add(client);
        return done(null, true);
      }
      return done(Object.assign(new Error('bad username or password'), { returnCode: BAD_CREDENTIALS }), false);
    },
    authorizePublish(client, _packet, callback) {
      // client is null for messages the broker itself publishes (wills go through a client).
      if (client === null || authenticated.has(client)) return callback(null);
      return callback(new Error('anonymous clients may not publish'));
    },
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    host: opts.host,
    port,
    url: `mqtt://${hostForUrl}:${port}`,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
