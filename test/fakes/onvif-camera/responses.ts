// How a response leaves the camera, normally or under a failure switch: dripped one
// byte at a time (slow_drip), streamed to a huge size without holding it (oversized),
// or malformed (garbage_xml). Timers are tracked so stop() can clear them.
import type { ServerResponse } from 'node:http';
import { Readable, pipeline } from 'node:stream';

export type Headers = Record<string, string | string[]>;

export interface DripOptions {
  intervalMs: number;
  timers: Set<NodeJS.Timeout>;
}

/** Write a whole response, or drip it one byte per interval when `drip` is given. */
export function sendBody(res: ServerResponse, status: number, headers: Headers, body: Buffer, drip?: DripOptions): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
  if (!drip) {
    res.end(body);
    return;
  }
  res.flushHeaders();
  let i = 0;
  let timer: NodeJS.Timeout | null = null;
  const stop = () => {
    if (timer) {
      clearTimeout(timer);
      drip.timers.delete(timer);
      timer = null;
    }
  };
  const tick = () => {
    if (timer) drip.timers.delete(timer);
    timer = null;
    if (res.destroyed) return;
    if (i >= body.length) {
      res.end();
      return;
    }
    res.write(body.subarray(i, i + 1));
    i++;
    timer = setTimeout(tick, drip.intervalMs);
    drip.timers.add(timer);
  };
  res.on('close', stop);
  tick();
}

const FILL = 64 * 1024;

/**
 * A `total`-byte response made of `head`, filler, then `tail`, generated as the client
 * reads it (backpressure), so a 300 MB body costs the camera 64 KB of memory.
 */
export function sendOversized(
  res: ServerResponse,
  contentType: string,
  total: number,
  head: Buffer | string,
  tail: Buffer | string,
  fillByte = 0x20,
): void {
  const headBuf = Buffer.from(head);
  const tailBuf = Buffer.from(tail);
  const size = Math.max(total, headBuf.length + tailBuf.length);
  const filler = Buffer.alloc(FILL, fillByte);
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent === 0) {
        this.push(headBuf);
        sent = headBuf.length;
        return;
      }
      const fillLeft = size - tailBuf.length - sent;
      if (fillLeft > 0) {
        const n = Math.min(FILL, fillLeft);
        this.push(n === FILL ? filler : filler.subarray(0, n));
        sent += n;
        return;
      }
      if (sent < size) {
        this.push(tailBuf);
        sent = size;
        return;
      }
      this.push(null);
    },
  });
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(size) });
  // pipeline destroys the generator when the client goes away.
  pipeline(stream, res, () => {});
}

/** 200 OK with a body that claims to be SOAP but is not well-formed XML. */
export const GARBAGE_XML =
  `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" ` +
  `xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><env:Body><tds:GetDeviceInformationResponse>` +
  `<tds:Manufacturer>CEA-Sim</tds:Model><tds:SerialNumber attr=>&bogus;<<</env:Envelope`;
