// The console as one of the agent's services: binds config.console.listen (127.0.0.1:8080
// by default), answers through ConsoleHttp, and on stop closes every connection at once.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectAddress, isLoopbackHost, isWildcardHost, parseListen } from '../config/listen.js';
import type { Service } from '../lifecycle/service.js';
import { ConsoleHttp, type ConsoleServerDeps } from './server.js';

export interface ConsoleServiceDeps extends ConsoleServerDeps {
  /** host:port to bind instead of config.console.listen; port 0 takes any free port (tests, bench). */
  listen?: string;
}

const SWEEP_MS = 60_000;
const RETRY_MS = 30_000;

export class ConsoleService implements Service {
  readonly name = 'console';
  readonly http: ConsoleHttp;
  private server: Server | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private bound: { host: string; port: number } | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: ConsoleServiceDeps) {
    this.http = new ConsoleHttp(deps);
  }

  async start(): Promise<void> {
    const text = this.deps.listen ?? this.deps.config.console.listen;
    const addr = parseListen(text, { anyPort: true });
    if ('error' in addr) throw new Error(`console.listen: ${addr.error}`);
    this.sweeper = setInterval(() => this.http.sessions.sweep(this.deps.now().getTime()), SWEEP_MS);
    this.sweeper.unref();
    await this.bind(text, addr);
  }

  /**
   * A console that cannot bind (the port is taken, say by another web server on the box)
   * must not take recording, retention and the platform link down with it: the failure
   * is logged and the bind retried every RETRY_MS until it works or the agent stops.
   */
  private async bind(text: string, addr: { host: string; port: number }): Promise<void> {
    if (this.stopped) return;
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 }, this.http.listener);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(addr.port, addr.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.deps.logger.error({ err, listen: text }, `the console cannot listen on ${text}; retrying every ${RETRY_MS / 1000} s (the agent keeps running without it)`);
      this.retry = setTimeout(() => void this.bind(text, addr), RETRY_MS);
      this.retry.unref();
      return;
    }
    if (this.stopped) {
      server.close();
      return;
    }
    server.on('error', (err) => this.deps.logger.error({ err }, 'console server error'));
    const info = server.address() as AddressInfo;
    this.bound = { host: addr.host, port: info.port };
    this.http.bound(this.bound);
    this.server = server;
    if (isWildcardHost(addr.host)) this.deps.logger.warn({ listen: text }, 'the console listens on every network interface');
    else if (!isLoopbackHost(addr.host)) this.deps.logger.info({ listen: text }, 'the console is reachable from the network');
    this.deps.logger.info({ url: this.url() }, 'console listening');
  }

  /** The bound address (the real port when 0 was asked for). */
  address(): { host: string; port: number } {
    if (!this.bound) throw new Error('the console is not started');
    return this.bound;
  }

  /** http://host:port/ to open in a browser (a wildcard listener: its loopback address). */
  url(): string {
    return `http://${connectAddress(this.address())}/`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive and in-flight connections would hold close() open; the agent stops within 5 s.
    server.closeAllConnections();
    await closed;
  }
}
