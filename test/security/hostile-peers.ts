// Hostile camera firmware for the attacker's-view suites (test/security, test/faults):
// a simulated camera seen through a proxy that, once switched hostile, fuzzes its SOAP,
// breaks its JPEGs, streams 300 MB, or lies about its stream URI. Seeded: HOSTILE_SEED
// replays a failing run (printed by the tests).
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { seededRng } from '../../scripts/lib/seeded-random.js';

export const HOSTILE_SEED = Number(process.env.HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 32));

export const MB = 1024 * 1024;
const JPEG = readFileSync(new URL('../fixtures/scene-street.jpg', import.meta.url));

/** Reproducible choices. */
export const rng = seededRng(HOSTILE_SEED);

const NASTY = [
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
  '&b;',
  '&#0;',
  '&#x110000;',
  ']]>',
  '<![CDATA[',
  '<!--',
  '\u0000',
  '\uFFFF',
  '\uD800',
  '<x:y xmlns:x="">',
  `<a ${'b="c" '.repeat(2000)}>`,
  '<a>'.repeat(20_000),
  '</s:Envelope>',
  'x'.repeat(70_000),
];

/** One mutation of a well-formed answer: cut, flipped bytes, nasty text spliced in, or a repeated chunk. */
export function mutate(text: string, protect = text.length): Buffer {
  const buf = Buffer.from(text, 'utf8');
  const limit = Math.max(1, Math.min(protect, buf.length));
  switch (rng.int(5)) {
    case 0:
      return buf.subarray(0, rng.int(limit));
    case 1: {
      const out = Buffer.from(buf);
      for (let i = 0, n = 1 + rng.int(8); i < n; i += 1) out[rng.int(limit)] = rng.int(256);
      return out;
    }
    case 2: {
      const at = rng.int(limit);
      return Buffer.concat([buf.subarray(0, at), Buffer.from(rng.pick(NASTY)), buf.subarray(at)]);
    }
    case 3: {
      const at = rng.int(limit);
      const len = 1 + rng.int(200);
      return Buffer.concat([buf.subarray(0, at), ...Array<Buffer>(1 + rng.int(50)).fill(buf.subarray(at, at + len)), buf.subarray(at)]);
    }
    default:
      return Buffer.from(rng.pick(NASTY));
  }
}

/** A JPEG the way a failing camera sends it: cut short, scribbled over, headers only, or empty. */
export function badJpeg(): Buffer {
  switch (rng.int(5)) {
    case 0:
      return JPEG.subarray(0, rng.int(JPEG.length));
    case 1: {
      const out = Buffer.from(JPEG);
      for (let i = 0; i < 64; i += 1) out[200 + rng.int(out.length - 200)] = rng.int(256);
      return out;
    }
    case 2:
      return Buffer.concat([JPEG.subarray(0, 600), Buffer.alloc(4096, 0xff)]);
    case 3:
      return Buffer.from([0xff, 0xd8, 0xff]);
    default:
      return Buffer.alloc(0);
  }
}

export interface Proxy {
  url: string;
  served: { soap: number; fuzzed: number; snapshots: number; streams: number; streamedBytes: number };
  hostile: boolean;
  close(): Promise<void>;
}

/**
 * 300 MB, chunked (no Content-Length to refuse up front): only reading less can save the
 * reader. Written with backpressure until the reader hangs up; counts what left.
 */
function streamHuge(res: ServerResponse, contentType: string, served: Proxy['served']): void {
  served.streams += 1;
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let left = 300 * MB;
  res.writeHead(200, { 'Content-Type': contentType });
  res.on('error', () => undefined);
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      left -= chunk.length;
      served.streamedBytes += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/**
 * A camera that is a simulated one seen through a broken firmware: requests go to the
 * simulator, its answers come back rewritten to point here, then (once `hostile`) its
 * SOAP answers are fuzzed (`soap`), its snapshots replaced by broken JPEGs (`jpeg`), or
 * every answer is an endless 300 MB stream (`huge`); `uri` always names `streamUri` (or
 * what it makes of the real one) as its stream.
 */
export async function hostileProxy(target: string, mode: 'soap' | 'jpeg' | 'huge' | 'uri', streamUri: string | ((original: string) => string) = ''): Promise<Proxy> {
  const origin = new URL(target).origin;
  const served = { soap: 0, fuzzed: 0, snapshots: 0, streams: 0, streamedBytes: 0 };
  const state = { hostile: false };
  let self = '';
  const server: HttpServer = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isSnapshot = req.method === 'GET';
      if (isSnapshot) served.snapshots += 1;
      else served.soap += 1;
      if (state.hostile && mode === 'huge') {
        streamHuge(res, isSnapshot ? 'image/jpeg' : 'application/soap+xml', served);
        return;
      }
      if (state.hostile && isSnapshot && mode === 'jpeg') {
        res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(badJpeg());
        return;
      }
      const headers = { ...req.headers, host: new URL(origin).host };
      const up = httpRequest(`${origin}${req.url ?? '/'}`, { method: req.method, headers, agent: false }, (r) => {
        const body: Buffer[] = [];
        r.on('data', (c: Buffer) => body.push(c));
        r.on('end', () => {
          let payload: Buffer = Buffer.from(Buffer.concat(body).toString('latin1').split(origin).join(self), 'latin1');
          const out = { ...r.headers };
          delete out['content-length'];
          delete out['transfer-encoding'];
          let status = r.statusCode ?? 502;
          if (mode === 'uri' && payload.includes('GetStreamUriResponse')) {
            // Its firmware (or whoever owns it now) points the stream somewhere else.
            payload = Buffer.from(payload.toString('latin1').replace(/<tt:Uri>([^<]*)<\/tt:Uri>/, (_m, original: string) => `<tt:Uri>${xmlText(typeof streamUri === 'string' ? streamUri : streamUri(original.replace(/&amp;/g, '&')))}</tt:Uri>`), 'latin1');
          }
          if (state.hostile && mode === 'soap' && !isSnapshot && rng.next() < 0.8) {
            served.fuzzed += 1;
            payload = mutate(payload.toString('utf8'));
            if (rng.next() < 0.1) status = rng.pick([200, 400, 401, 500, 302]);
            if (rng.next() < 0.1) out['content-type'] = rng.pick(['text/html', 'application/octet-stream', 'application/soap+xml; charset=ebcdic']);
          }
          res.writeHead(status, out).end(payload);
        });
        r.on('error', () => res.destroy());
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  self = `http://127.0.0.1:${port}`;
  return {
    url: `${self}${new URL(target).pathname}`,
    served,
    get hostile() {
      return state.hostile;
    },
    set hostile(on: boolean) {
      state.hostile = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
