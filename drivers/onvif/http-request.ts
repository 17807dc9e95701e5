// One HTTP exchange with a camera under a TOTAL deadline (DNS + connect + request +
// every byte of the answer: a camera dripping a byte a second fails at the deadline, a
// per-socket idle timeout would never fire) and a SIZE CAP (a declared Content-Length over
// the cap is refused before reading; a chunked body is cut as soon as the count passes
// the cap, so at most cap + one chunk is ever held).
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { OnvifError } from './errors.js';
import { redactUrl } from './url.js';

export interface HttpRequestOptions {
  url: URL;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxBytes: number;
  /** Verify the camera's TLS certificate (cameras mostly have self-signed ones). */
  rejectUnauthorized?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw header name/value pairs: WWW-Authenticate may come several times. */
  rawHeaders: string[];
  body: Buffer;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_NONAME',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'EADDRNOTAVAIL',
  'ENETDOWN',
  'EHOSTDOWN',
]);

export function request(o: HttpRequestOptions): Promise<HttpResponse> {
  const url = redactUrl(o.url.toString());
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    let res: IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    let received = 0;

    const finish = (err: OnvifError | null, value?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        // Destroying both ends releases the socket and stops any further reading.
        req.destroy();
        res?.destroy();
        chunks.length = 0;
        reject(err);
      } else {
        resolve(value!);
      }
    };
    const timer = setTimeout(
      () => finish(new OnvifError('timeout', `no complete answer within ${o.timeoutMs} ms`, { url })),
      o.timeoutMs,
    );
    const onAbort = () => finish(new OnvifError('timeout', 'aborted', { url }));

    const isHttps = o.url.protocol === 'https:';
    if (!isHttps && o.url.protocol !== 'http:') {
      clearTimeout(timer);
      reject(new OnvifError('protocol', `unsupported URL scheme ${o.url.protocol}`, { url }));
      return;
    }
    const headers: Record<string, string> = { ...o.headers };
    if (o.body) headers['Content-Length'] = String(o.body.length);
    const make = isHttps ? httpsRequest : httpRequest;
    const req = make(o.url, {
      method: o.method,
      headers,
      // A fresh connection per exchange (Connection: close): weak camera HTTP stacks
      // mishandle keep-alive, and nothing lingers after a deadline or abort.
      agent: false,
      ...(isHttps ? { rejectUnauthorized: o.rejectUnauthorized ?? false } : {}),
    });

    req.on('error', (err: NodeJS.ErrnoException) => finish(networkError(err, url)));
    req.on('response', (r) => {
      res = r;
      const status = r.statusCode ?? 0;
      r.on('error', (err: NodeJS.ErrnoException) => finish(networkError(err, url, status)));
      r.on('aborted', () => finish(new OnvifError('unreachable', 'connection closed mid-answer', { url, httpStatus: status })));
      const declared = Number(r.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        finish(tooLarge(o.maxBytes, url, status, `declares ${declared} bytes`));
        return;
      }
      r.on('data', (chunk: Buffer) => {
        if (settled) return;
        received += chunk.length;
        if (received > o.maxBytes) {
          finish(tooLarge(o.maxBytes, url, status, `more than ${o.maxBytes} bytes received`));
          return;
        }
        chunks.push(chunk);
      });
      r.on('end', () => {
        if (!r.complete) {
          finish(new OnvifError('unreachable', 'connection closed mid-answer', { url, httpStatus: status }));
          return;
        }
        finish(null, { status, headers: r.headers, rawHeaders: r.rawHeaders, body: Buffer.concat(chunks, received) });
      });
    });

    if (o.signal) {
      if (o.signal.aborted) {
        onAbort();
        return;
      }
      o.signal.addEventListener('abort', onAbort, { once: true });
    }
    req.end(o.body);
  });
}

function tooLarge(max: number, url: string, status: number, detail: string): OnvifError {
  return new OnvifError('too_large', `answer exceeds the ${max}-byte cap (${detail})`, { url, httpStatus: status });
}

function networkError(err: NodeJS.ErrnoException, url: string, httpStatus?: number): OnvifError {
  const status = httpStatus !== undefined ? { httpStatus } : {};
  const code = err.code ?? '';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') {
    return new OnvifError('timeout', `network timeout (${code})`, { url, ...status, cause: err });
  }
  if (UNREACHABLE.has(code) || err.message === 'socket hang up') {
    return new OnvifError('unreachable', `${code || 'connection failed'}: ${err.message}`, { url, ...status, cause: err });
  }
  if (code.startsWith('HPE_') || code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
    // The camera's HTTP itself is broken (invalid header, bad chunk encoding…).
    return new OnvifError('protocol', `malformed HTTP answer (${code})`, { url, ...status, cause: err });
  }
  if (code.startsWith('ERR_TLS') || code.startsWith('CERT_') || /SSL|TLS/i.test(code) || code.startsWith('DEPTH_ZERO') || code.startsWith('UNABLE_TO')) {
    return new OnvifError('unreachable', `TLS failure (${code})`, { url, ...status, cause: err });
  }
  return new OnvifError('unreachable', `${code || 'request failed'}: ${err.message}`, { url, ...status, cause: err });
}
