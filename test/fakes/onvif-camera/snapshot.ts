// JPEG snapshots derived from a real photograph with sharp, one look per condition.
// A live picture is never byte-identical twice (sensor noise plus a frame-counter patch,
// like an OSD clock), so a frozen picture — the same bytes every time — is tellable.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { packageRoot } from '../../../agent/package-root.js';
import type { Condition } from './types.js';

export const SCENES = ['scene-street.jpg', 'scene-building.jpg'] as const;

/** The path of a bundled scene photograph (test/fixtures/scene-*.jpg), chosen by a key. */
export function defaultScenePath(key: string): string {
  let h = 0;
  for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const file = SCENES[h % SCENES.length]!;
  const path = join(packageRoot(), 'test', 'fixtures', file);
  if (!existsSync(path)) throw new Error(`scene photograph missing: ${path}`);
  return path;
}

interface Raw {
  data: Buffer;
  width: number;
  height: number;
}

const CHANNELS = 3;
const NOISE_SIGMA = 2.5;
const NOISE_LEN = 1 << 16;
/** Flat panel covering this fraction of the width from the left (a hand or board at the lens). */
const OCCLUDED_FRACTION = 0.78;
const OCCLUDER_RGB = [46, 44, 42] as const;
/** "No video" screen of a recorder: uniform blue. */
const SIGNAL_LOSS_RGB = { r: 0, g: 0, b: 160 };

export class SnapshotRenderer {
  private readonly raws = new Map<string, Promise<Raw>>();
  private readonly stills = new Map<string, Promise<Buffer>>();
  private readonly noise = makeNoise();
  private frame = 0;
  private lastLive: Buffer | null = null;
  private frozen: Buffer | null = null;
  private size = '';

  constructor(private readonly scenePath: string) {}

  async render(condition: Condition, width: number, height: number): Promise<Buffer> {
    const size = `${width}x${height}`;
    if (size !== this.size) {
      // The resolution changed: pictures cached at the old one will not be asked for again.
      this.raws.clear();
      this.stills.clear();
      this.size = size;
    }
    if (condition !== 'frozen') this.frozen = null;
    if (condition === 'frozen') {
      // The picture stops at the last frame that was served (or a first one).
      this.frozen ??= this.lastLive ?? (await this.live('ok', width, height));
      return this.frozen;
    }
    if (condition === 'signal_loss') return this.still(`signal_loss:${width}x${height}`, () => signalLoss(width, height));
    const frame = await this.live(condition, width, height);
    this.lastLive = frame;
    return frame;
  }

  /** A live frame: the condition's picture + per-frame noise + frame counter, encoded. */
  private async live(condition: Exclude<Condition, 'frozen' | 'signal_loss'>, width: number, height: number) {
    const base = await this.conditioned(condition, width, height);
    const data = Buffer.allocUnsafe(base.data.length);
    const off = Math.floor(Math.random() * NOISE_LEN);
    const noise = this.noise;
    const src = base.data;
    for (let i = 0; i < src.length; i++) {
      const v = src[i]! + noise[(i + off) & (NOISE_LEN - 1)]!;
      data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    drawCounter(data, width, height, ++this.frame);
    return sharp(data, { raw: { width, height, channels: CHANNELS } })
      .jpeg({ quality: 85, chromaSubsampling: '4:2:0' })
      .toBuffer();
  }

  /** The scene at this size with the condition applied, raw RGB, cached. */
  private conditioned(condition: Condition, width: number, height: number): Promise<Raw> {
    return this.cachedRaw(`${condition}:${width}x${height}`, async () => {
      const base = await this.cachedRaw(`ok:${width}x${height}`, () =>
        toRaw(sharp(this.scenePath).resize(width, height, { fit: 'cover' })),
      );
      const img = () => sharp(base.data, { raw: { width, height, channels: CHANNELS } });
      switch (condition) {
        case 'ok':
          return base;
        case 'blur':
          return toRaw(img().blur(Math.max(2, Math.max(width, height) * 0.008)));
        case 'dark':
          return toRaw(img().linear(0.12, 0));
        case 'bright':
          return toRaw(img().linear(2.2, 30));
        case 'occluded':
          return occlude(base);
        default:
          throw new Error(`no raw picture for ${condition}`);
      }
    });
  }

  private cachedRaw(key: string, make: () => Promise<Raw>): Promise<Raw> {
    let p = this.raws.get(key);
    if (!p) {
      p = make();
      this.raws.set(key, p);
      p.catch(() => this.raws.delete(key));
    }
    return p;
  }

  private still(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
    let p = this.stills.get(key);
    if (!p) {
      p = make();
      this.stills.set(key, p);
      p.catch(() => this.stills.delete(key));
    }
    return p;
  }
}

async function toRaw(img: Sharp): Promise<Raw> {
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== CHANNELS) throw new Error(`expected ${CHANNELS} channels, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

function occlude(base: Raw): Raw {
  const data = Buffer.from(base.data);
  const cover = Math.round(base.width * OCCLUDED_FRACTION);
  for (let y = 0; y < base.height; y++) {
    for (let x = 0; x < cover; x++) {
      const i = (y * base.width + x) * CHANNELS;
      data[i] = OCCLUDER_RGB[0];
      data[i + 1] = OCCLUDER_RGB[1];
      data[i + 2] = OCCLUDER_RGB[2];
    }
  }
  return { ...base, data };
}

function signalLoss(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: SIGNAL_LOSS_RGB } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Gaussian noise, integer levels, Box-Muller. */
function makeNoise(): Int8Array {
  const out = new Int8Array(NOISE_LEN);
  for (let i = 0; i < NOISE_LEN; i++) {
    const u = 1 - Math.random();
    const v = Math.random();
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * NOISE_SIGMA;
    out[i] = Math.max(-12, Math.min(12, Math.round(g)));
  }
  return out;
}

/** 24 black/white cells in the bottom-right corner encoding the frame number. */
function drawCounter(data: Buffer, width: number, height: number, n: number): void {
  const cell = 8;
  const bits = 24;
  const x0 = width - bits * cell - 8;
  const y0 = height - cell - 8;
  if (x0 < 0 || y0 < 0) return;
  for (let b = 0; b < bits; b++) {
    const v = (n >>> (bits - 1 - b)) & 1 ? 235 : 16;
    for (let y = y0; y < y0 + cell; y++) {
      for (let x = x0 + b * cell; x < x0 + (b + 1) * cell; x++) {
        const i = (y * width + x) * CHANNELS;
        data[i] = v;
        data[i + 1] = v;
        data[i + 2] = v;
      }
    }
  }
}
