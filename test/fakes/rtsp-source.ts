// A real RTSP server on 127.0.0.1 for tests: a camera's video stream.
//
// ffmpeg can only be an RTSP *client*, so this is a minimal relay: an ffmpeg child
// publishes a generated test pattern into it (ANNOUNCE/SETUP/RECORD, RTP interleaved on
// TCP), and readers (the recorder's ffmpeg, the frame grabber) DESCRIBE/SETUP/PLAY it
// over TCP interleaved, getting the same RTP packets. The npm candidate
// (rtsp-streaming-server 2.1, on winston 2 / uuid 3, ~500 downloads a month) looked
// unmaintained; this is ~300 lines with no dependency and with failure switches.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export interface RtspSourceOptions {
  /** Path readers ask for: rtsp://127.0.0.1:PORT/<path>. */
  path?: string;
  /** When set, readers must authenticate (Basic, after a 401), like a real camera. */
  credentials?: { username: string; password: string };
  /** Test pattern size and rate; a keyframe every `gop` frames. */
  size?: string;
  rate?: number;
  gop?: number;
  ffmpegPath?: string;
}

export interface RtspSourceStats {
  describes: number;
  plays: number;
  unauthorized: number;
  /** Readers currently playing. */
  readers: number;
  /** RTP/RTCP frames received from the publisher since start. */
  packets: number;
}

export interface RtspSource {
  readonly port: number;
  /** rtsp://127.0.0.1:PORT/path, no credentials. */
  readonly url: string;
  /** The URL with credentials in it, as a recorder is given it. */
  readonly urlWithCredentials: string;
  stats(): RtspSourceStats;
  /** The camera goes away: publisher killed, every reader reset, DESCRIBE answers 404 until start(). */
  stop(): Promise<void>;
  /** The camera comes back; resolves once packets flow. */
  start(): Promise<void>;
  /** A hung camera: connections stay up and keep answering, but no packets flow. */
  freeze(on: boolean): void;
  /** pids of the publisher ffmpeg children this source started (for leak checks). */
  publisherPids(): number[];
  close(): Promise<void>;
}

interface Conn {
  socket: Socket;
  buf: Buffer;
  role: 'none' | 'publisher' | 'reader';
  /** control (e.g. "streamid=0") → interleaved RTP channel on this connection. */
  channels: Map<string, number>;
  playing: boolean;
  session: string;
}

const MAX_REQUEST = 64 * 1024;
const MAX_BACKLOG = 8 * 1024 * 1024;

export async function startRtspSource(opts: RtspSourceOptions = {}): Promise<RtspSource> {
  const path = (opts.path ?? 'cam').replace(/^\/+/, '');
  const ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
  const conns = new Set<Conn>();
  const stats = { describes: 0, plays: 0, unauthorized: 0, packets: 0 };
  let sdp: string | null = null;
  let publisher: Conn | null = null;
  let child: ChildProcess | null = null;
  const pids: number[] = [];
  let running = false;
  let frozen = false;
  let sessions = 0;
  let onPacket: (() => void) | null = null;

  const server: Server = createServer((socket) => {
    const conn: Conn = { socket, buf: Buffer.alloc(0), role: 'none', channels: new Map(), playing: false, session: '' };
    conns.add(conn);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      conn.buf = conn.buf.length === 0 ? d : Buffer.concat([conn.buf, d]);
      try {
        drain(conn);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conns.delete(conn);
      if (publisher === conn) publisher = null;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('rtsp source: no port');
  const port = address.port;
  const base = `rtsp://127.0.0.1:${port}`;

  function drain(conn: Conn): void {
    for (;;) {
      if (conn.buf.length === 0) return;
      if (conn.buf[0] === 0x24) {
        // '$' channel len16 payload: interleaved RTP/RTCP.
        if (conn.buf.length < 4) return;
        const len = conn.buf.readUInt16BE(2);
        if (conn.buf.length < 4 + len) return;
        const frame = conn.buf.subarray(0, 4 + len);
        conn.buf = conn.buf.subarray(4 + len);
        if (conn === publisher) relay(conn, frame);
        continue;
      }
      const end = conn.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (conn.buf.length > MAX_REQUEST) conn.socket.destroy();
        return;
      }
      const head = conn.buf.subarray(0, end).toString('utf8');
      const headers = new Map<string, string>();
      const [requestLine = '', ...lines] = head.split('\r\n');
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? 0);
      if (conn.buf.length < end + 4 + length) return;
      const body = conn.buf.subarray(end + 4, end + 4 + length).toString('utf8');
      conn.buf = conn.buf.subarray(end + 4 + length);
      const [method = '', uri = ''] = requestLine.split(' ');
      handle(conn, method, uri, headers, body);
    }
  }

  function reply(conn: Conn, cseq: string, status: string, extra: Record<string, string> = {}, body = ''): void {
    let text = `RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\nServer: cea-test-rtsp\r\n`;
    for (const [k, v] of Object.entries(extra)) text += `${k}: ${v}\r\n`;
    if (body) text += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    conn.socket.write(`${text}\r\n${body}`);
  }

  function authorized(headers: Map<string, string>): boolean {
    if (!opts.credentials) return true;
    const auth = headers.get('authorization') ?? '';
    const m = /^Basic\s+(\S+)$/i.exec(auth);
    if (!m?.[1]) return false;
    const expected = `${opts.credentials.username}:${opts.credentials.password}`;
    return Buffer.from(m[1], 'base64').toString('utf8') === expected;
  }

  const pathOf = (uri: string): string => {
    try {
      return new URL(uri).pathname.replace(/^\/+/, '');
    } catch {
      return '';
    }
  };
  const controlOf = (uri: string): string => pathOf(uri).split('/').pop() ?? '';

  function handle(conn: Conn, method: string, uri: string, headers: Map<string, string>, body: string): void {
    const cseq = headers.get('cseq') ?? '0';
    const isPublish = pathOf(uri).startsWith('publish');
    if (method === 'OPTIONS') {
      reply(conn, cseq, '200 OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, ANNOUNCE, RECORD' });
      return;
    }
    if (method === 'GET_PARAMETER' || method === 'SET_PARAMETER') {
      reply(conn, cseq, '200 OK', conn.session ? { Session: conn.session } : {});
      return;
    }
    if (method === 'TEARDOWN') {
      reply(conn, cseq, '200 OK');
      conn.socket.end();
      return;
    }
    if (isPublish) {
      if (method === 'ANNOUNCE') {
        if (!running) return reply(conn, cseq, '403 Forbidden');
        conn.role = 'publisher';
        publisher = conn;
        sdp = body;
        return reply(conn, cseq, '200 OK');
      }
      if (method === 'SETUP' || method === 'RECORD') return setupOrStart(conn, method, uri, headers, cseq);
      return reply(conn, cseq, '405 Method Not Allowed');
    }
    if (pathOf(uri).split('/')[0] !== path) return reply(conn, cseq, '404 Not Found');
    if (!authorized(headers)) {
      stats.unauthorized += 1;
      return reply(conn, cseq, '401 Unauthorized', { 'WWW-Authenticate': 'Basic realm="cea-test"' });
    }
    if (method === 'DESCRIBE') {
      stats.describes += 1;
      if (!running || !sdp) return reply(conn, cseq, '404 Not Found');
      conn.role = 'reader';
      return reply(conn, cseq, '200 OK', { 'Content-Base': `${base}/${path}/`, 'Content-Type': 'application/sdp' }, sdp);
    }
    if (method === 'SETUP' || method === 'PLAY') return setupOrStart(conn, method, uri, headers, cseq);
    reply(conn, cseq, '501 Not Implemented');
  }

  function setupOrStart(conn: Conn, method: string, uri: string, headers: Map<string, string>, cseq: string): void {
    if (method === 'SETUP') {
      const transport = headers.get('transport') ?? '';
      const m = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
      // TCP interleaved only: what the recorder asks for (-rtsp_transport tcp).
      if (!m?.[1]) return reply(conn, cseq, '461 Unsupported Transport');
      conn.channels.set(controlOf(uri), Number(m[1]));
      if (!conn.session) conn.session = `${Date.now().toString(16)}${(sessions += 1)}`;
      const rtp = Number(m[1]);
      const mode = conn.role === 'publisher' ? ';mode=record' : '';
      return reply(conn, cseq, '200 OK', { Transport: `RTP/AVP/TCP;unicast;interleaved=${rtp}-${rtp + 1}${mode}`, Session: `${conn.session};timeout=60` });
    }
    if (method === 'PLAY') {
      if (!running || !sdp) return reply(conn, cseq, '404 Not Found');
      conn.playing = true;
      stats.plays += 1;
      return reply(conn, cseq, '200 OK', { Session: conn.session, Range: 'npt=0.000-' });
    }
    // RECORD
    return reply(conn, cseq, '200 OK', { Session: conn.session });
  }

  function relay(from: Conn, frame: Buffer): void {
    stats.packets += 1;
    onPacket?.();
    if (frozen) return;
    const channel = frame[1] ?? 0;
    let control: string | null = null;
    for (const [c, ch] of from.channels) if (ch === channel || ch + 1 === channel) control = c;
    if (control === null) return;
    const odd = channel % 2;
    for (const conn of conns) {
      if (conn.role !== 'reader' || !conn.playing) continue;
      const target = conn.channels.get(control);
      if (target === undefined) continue;
      if (conn.socket.writableLength > MAX_BACKLOG) {
        conn.socket.destroy();
        continue;
      }
      const header = Buffer.from([0x24, target + odd, frame[2] ?? 0, frame[3] ?? 0]);
      conn.socket.write(Buffer.concat([header, frame.subarray(4)]));
    }
  }

  function spawnPublisher(): ChildProcess {
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-re', '-f', 'lavfi', '-i', `testsrc=size=${opts.size ?? '320x180'}:rate=${opts.rate ?? 10}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', String(opts.gop ?? 10),
      '-f', 'rtsp', '-rtsp_transport', 'tcp', `${base}/publish`,
    ];
    // The publisher must not outlive a crashed test worker: parent-death signal via setpriv.
    const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
    const proc = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', ffmpegPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.resume();
    proc.on('error', () => undefined);
    if (proc.pid) pids.push(proc.pid);
    return proc;
  }

  async function start(): Promise<void> {
    if (running) return;
    running = true;
    frozen = false;
    const flowing = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('rtsp source: publisher sent nothing within 10 s')), 10_000);
      onPacket = () => {
        clearTimeout(timer);
        onPacket = null;
        resolve();
      };
    });
    child = spawnPublisher();
    await flowing;
  }

  async function stop(): Promise<void> {
    running = false;
    onPacket = null;
    sdp = null;
    const proc = child;
    child = null;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise<void>((resolve) => proc.once('close', () => resolve()));
      proc.kill('SIGKILL');
      await gone;
    }
    for (const conn of [...conns]) conn.socket.destroy();
  }

  await start();

  return {
    port,
    url: `${base}/${path}`,
    urlWithCredentials: opts.credentials
      ? `rtsp://${encodeURIComponent(opts.credentials.username)}:${encodeURIComponent(opts.credentials.password)}@127.0.0.1:${port}/${path}`
      : `${base}/${path}`,
    stats: () => ({ ...stats, readers: [...conns].filter((c) => c.role === 'reader' && c.playing).length }),
    stop,
    start,
    freeze(on: boolean) {
      frozen = on;
    },
    publisherPids: () => [...pids],
    async close() {
      await stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
