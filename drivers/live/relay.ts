// The live-view relay: an HTTP server whose only resource is a WebSocket upgrade on
// /live/<camera>?token=… (or `Authorization: Bearer …`). The token is checked before the
// upgrade is accepted: unknown, expired or another camera's → HTTP 401 and the socket is
// destroyed, nothing streamed. One ffmpeg per watched camera fans out to at most N
// viewers (one more → 429); it stops a short linger after the last viewer leaves, and each
// viewer is closed when its own token expires. node-rtsp-stream's own server (all
// interfaces, no authentication) is never used.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { Mpeg1Feed, type FeedOptions } from './feed.js';
import type { LiveTokens } from './tokens.js';

export interface LiveLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LiveRelayOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  tokens: LiveTokens;
  /** The camera's stream URL with credentials (never logged); rejects if it cannot be had. */
  streamUrl: (camera: string) => Promise<string>;
  maxViewersPerCamera: number;
  /** How long ffmpeg keeps running after the last viewer left (a reconnect reuses it). Default 3 s. */
  lingerMs?: number;
  /** A viewer this far behind (bytes queued) is cut off rather than buffered without bound. Default 8 MiB. */
  maxBufferedBytes?: number;
  feed?: FeedOptions;
  now?: () => number;
  log?: LiveLog;
}

export interface LiveFeedStats {
  camera: string;
  viewers: number;
  pid: number | undefined;
}

/** WebSocket close codes sent to viewers (4000–4999: application-defined). */
export const LIVE_CLOSE = { expired: 4001, sourceEnded: 4002, tooSlow: 4003, shutdown: 1001 } as const;

const CAMERA_PATH = /^\/live\/([a-z0-9][a-z0-9_-]{0,63})$/;

interface Feed {
  camera: string;
  proc: Mpeg1Feed | null;
  /** Set while the stream URL is being looked up and ffmpeg started. */
  starting: Promise<void> | null;
  viewers: Set<WebSocket>;
  linger: NodeJS.Timeout | null;
}

export class LiveRelay {
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false, clientTracking: false });
  private readonly feeds = new Map<string, Feed>();
  private readonly sockets = new Set<Duplex>();
  private readonly now: () => number;
  private closing = false;

  constructor(private readonly opts: LiveRelayOptions) {
    this.now = opts.now ?? Date.now;
    // Plain HTTP requests get nothing: the relay has no page, only the authenticated upgrade.
    this.server = createServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain', Connection: 'close' }).end('not found\n');
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
  }

  /** Listens on host:port; resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.address();
  }

  address(): { host: string; port: number } {
    const a = this.server.address();
    if (!a || typeof a === 'string') throw new Error('live relay is not listening');
    return { host: a.address, port: a.port };
  }

  stats(): LiveFeedStats[] {
    return [...this.feeds.values()].map((f) => ({ camera: f.camera, viewers: f.viewers.size, pid: f.proc?.pid }));
  }

  /** Closes every viewer, stops every ffmpeg, stops listening. */
  async stop(): Promise<void> {
    this.closing = true;
    const stops: Promise<void>[] = [];
    for (const feed of this.feeds.values()) {
      for (const ws of feed.viewers) closeViewer(ws, LIVE_CLOSE.shutdown, 'agent stopping');
      if (feed.linger) clearTimeout(feed.linger);
      if (feed.proc) stops.push(feed.proc.stop());
    }
    this.feeds.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Give close frames a moment, then cut what is left so close() can finish.
    await new Promise((r) => setTimeout(r, 50));
    for (const s of this.sockets) s.destroy();
    await Promise.all([...stops, closed]);
  }

  private refuse(socket: Duplex, status: 401 | 404 | 429 | 503, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (this.closing) return this.refuse(socket, 503, 'Service Unavailable');
    const url = new URL(req.url ?? '/', 'http://relay');
    const camera = CAMERA_PATH.exec(url.pathname)?.[1];
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = url.searchParams.get('token') ?? bearer;
    // A bad path answers 401 like a bad token: a caller without a token learns nothing (not even which cameras exist).
    const entry = camera ? this.opts.tokens.check(token, camera) : null;
    if (!camera || !entry) {
      this.opts.log?.warn({ path: url.pathname, remote: req.socket.remoteAddress }, 'live view refused: no valid token');
      return this.refuse(socket, 401, 'Unauthorized');
    }
    const feed = this.feeds.get(camera);
    if (feed && feed.viewers.size >= this.opts.maxViewersPerCamera) {
      this.opts.log?.warn({ camera, viewers: feed.viewers.size }, 'live view refused: too many viewers');
      return this.refuse(socket, 429, 'Too Many Requests');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.addViewer(camera, ws, entry.expiresAt));
  }

  private addViewer(camera: string, ws: WebSocket, expiresAt: number): void {
    let feed = this.feeds.get(camera);
    if (!feed) {
      feed = { camera, proc: null, starting: null, viewers: new Set(), linger: null };
      this.feeds.set(camera, feed);
    }
    const f = feed;
    if (f.linger) {
      clearTimeout(f.linger);
      f.linger = null;
    }
    f.viewers.add(ws);
    // The viewer ends with its token, even mid-stream.
    const expiry = setTimeout(() => closeViewer(ws, LIVE_CLOSE.expired, 'token expired'), Math.max(0, expiresAt - this.now()));
    ws.on('message', () => undefined); // viewers have nothing to say; maxPayload caps what they may try
    ws.on('error', () => ws.terminate());
    ws.once('close', () => {
      clearTimeout(expiry);
      f.viewers.delete(ws);
      this.opts.log?.info({ camera, viewers: f.viewers.size }, 'live viewer left');
      if (f.viewers.size === 0) this.scheduleStop(f);
    });
    this.opts.log?.info({ camera, viewers: f.viewers.size }, 'live viewer joined');
    if (!f.proc && !f.starting) f.starting = this.startFeed(f);
  }

  private async startFeed(f: Feed): Promise<void> {
    let url: string;
    try {
      url = await this.opts.streamUrl(f.camera);
    } catch (err) {
      this.opts.log?.warn({ camera: f.camera, err: err instanceof Error ? err.message : String(err) }, 'live view: no stream URL');
      return this.endFeed(f, 'no stream');
    } finally {
      f.starting = null;
    }
    if (this.feeds.get(f.camera) !== f || f.viewers.size === 0) {
      if (this.feeds.get(f.camera) === f) this.feeds.delete(f.camera);
      return;
    }
    const proc = new Mpeg1Feed(url, this.opts.feed);
    f.proc = proc;
    const limit = this.opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    proc.on('data', (chunk: Buffer) => {
      for (const ws of f.viewers) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        if (ws.bufferedAmount > limit) closeViewer(ws, LIVE_CLOSE.tooSlow, 'viewer too slow');
        else ws.send(chunk, { binary: true });
      }
    });
    proc.once('exit', (detail: string) => {
      if (f.proc !== proc) return;
      f.proc = null;
      if (!this.closing && f.viewers.size > 0) this.opts.log?.warn({ camera: f.camera, detail }, 'live view: ffmpeg ended');
      this.endFeed(f, 'stream ended');
    });
  }

  /** The source is gone: viewers are told so (they may reconnect with their token). */
  private endFeed(f: Feed, reason: string): void {
    for (const ws of f.viewers) closeViewer(ws, LIVE_CLOSE.sourceEnded, reason);
    if (f.linger) clearTimeout(f.linger);
    if (this.feeds.get(f.camera) === f) this.feeds.delete(f.camera);
    void f.proc?.stop();
  }

  private scheduleStop(f: Feed): void {
    if (f.linger || this.closing || this.feeds.get(f.camera) !== f) return;
    f.linger = setTimeout(() => {
      f.linger = null;
      if (f.viewers.size > 0) return;
      if (this.feeds.get(f.camera) === f) this.feeds.delete(f.camera);
      const proc = f.proc;
      f.proc = null;
      void proc?.stop();
    }, this.opts.lingerMs ?? 3000);
  }
}

/** Close frame first; a viewer that does not answer it within a second is cut (ws alone waits 30 s). */
function closeViewer(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  ws.close(code, reason);
  const cut = setTimeout(() => ws.terminate(), 1000);
  ws.once('close', () => clearTimeout(cut));
}
