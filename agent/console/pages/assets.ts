// The console's own static files (bundled: the box has no internet). Read once, served
// with a content hash in the ETag; the jsmpeg player comes from its npm package when it
// is installed (@cycjimmy/jsmpeg-player, MIT), and the live view falls back to showing
// the relay URL when it is not.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PageResponse } from '../contract.js';
import { packageRoot } from '../../package-root.js';

export const LIVE_PLAYER_PATH = '/assets/jsmpeg.min.js';

interface Asset {
  contentType: string;
  body: Uint8Array;
  etag: string;
}

function asset(file: string, contentType: string): Asset {
  const body = new Uint8Array(readFileSync(file));
  return { contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/** The UMD build of jsmpeg (exposes window.JSMpeg), or null when the package is not installed. */
export function jsmpegFile(): string | null {
  try {
    const main = createRequire(import.meta.url).resolve('@cycjimmy/jsmpeg-player');
    const file = join(dirname(main), 'jsmpeg-player.umd.min.js');
    return existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

export class ConsoleAssets {
  private readonly cache = new Map<string, Asset | null>();
  private readonly dir = join(packageRoot(), 'agent', 'console', 'assets');

  constructor(private readonly player: string | null = jsmpegFile()) {}

  get playerAvailable(): boolean {
    return this.player !== null;
  }

  private load(name: string): Asset | null {
    if (this.cache.has(name)) return this.cache.get(name) ?? null;
    let a: Asset | null = null;
    try {
      if (name === 'console.css') a = asset(join(this.dir, name), 'text/css; charset=utf-8');
      else if (name === 'live.js') a = asset(join(this.dir, name), 'text/javascript; charset=utf-8');
      else if (name === 'jsmpeg.min.js' && this.player) a = asset(this.player, 'text/javascript; charset=utf-8');
    } catch {
      a = null;
    }
    this.cache.set(name, a);
    return a;
  }

  serve(name: string, ifNoneMatch: string | null = null): PageResponse | null {
    const a = this.load(name);
    if (!a) return null;
    const headers = { 'cache-control': 'private, max-age=3600', etag: a.etag };
    if (ifNoneMatch === a.etag) return { kind: 'bytes', status: 304, contentType: a.contentType, body: '', headers };
    return { kind: 'bytes', contentType: a.contentType, body: a.body, headers };
  }
}
