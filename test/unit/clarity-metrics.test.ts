import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, imageFaults, isFrozen, isSceneChange, sortFaults } from '../../agent/clarity/faults.js';
import { analyseFrame, compareSignatures, type FrameAnalysis } from '../../agent/clarity/metrics.js';
import { ImageError, checkJpeg, decodeJpeg, readJpegHeader } from '../../drivers/image/index.js';
import { SnapshotRenderer } from '../fakes/onvif-camera/snapshot.js';
import type { Condition } from '../fakes/onvif-camera/types.js';
import { REPO_ROOT } from '../helpers/cli.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'clarity');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

async function analyse(bytes: Uint8Array): Promise<FrameAnalysis> {
  return analyseFrame(await decodeJpeg(bytes));
}

// Real photographs (test/fixtures/clarity, from shared/clarity-train) and what they show.
const EXPECTED: Record<string, string[]> = {
  'arcade__ok.jpg': [],
  'sidewalk__ok.jpg': [],
  'street_corner__ok.jpg': [], // visible film grain: not a noise fault
  'arcade__blur_mild.jpg': ['blur'],
  'arcade__color_cast_mild.jpg': ['color_cast'],
  'arcade__too_dark_mild.jpg': ['too_dark'],
  'desk__low_contrast_mild.jpg': ['low_contrast'],
  'yard__too_bright_mild.jpg': ['too_bright'],
  'sidewalk__stripe_mild.jpg': ['stripe'],
  'sidewalk__occlusion_mild.jpg': ['occlusion'],
  'sidewalk__noise_luma_mild_crop.jpg': ['noise'],
  'nosignal_blue__signal_loss_strong.jpg': ['signal_loss'],
};

describe('clarity metrics on real photographs', () => {
  for (const [file, faults] of Object.entries(EXPECTED)) {
    it(`${file}: ${faults.length ? faults.join(', ') : 'no fault'}`, async () => {
      const { metrics } = await analyse(fixture(file));
      expect(imageFaults(metrics)).toEqual(faults);
    });
  }

  it('metrics are scene-normalised: halving the contrast leaves sharpness nearly unchanged, blur does not', async () => {
    const ok = (await analyse(fixture('arcade__ok.jpg'))).metrics;
    const flat = await sharp(fixture('arcade__ok.jpg')).linear(0.5, 64).jpeg({ quality: 90 }).toBuffer();
    const flatM = (await analyse(flat)).metrics;
    expect(Math.abs(flatM.sharpness - ok.sharpness)).toBeLessThan(0.08);
    expect(flatM.range).toBeLessThan(ok.range * 0.6);
    const blurred = (await analyse(fixture('arcade__blur_mild.jpg'))).metrics;
    expect(blurred.sharpness).toBeLessThan(ok.sharpness * 0.6);
  });

  it('a monochrome (IR) picture has ~0 saturation and no colour cast', async () => {
    const grey = await sharp(fixture('sidewalk__ok.jpg')).grayscale().jpeg({ quality: 90 }).toBuffer();
    const { metrics } = await analyse(grey);
    expect(metrics.saturation).toBeLessThan(0.01);
    expect(metrics.tint).toBeCloseTo(0, 1);
    expect(imageFaults(metrics)).not.toContain('color_cast');
  });

  it('every metric is a finite number (JSON-safe), also for a flat black frame', async () => {
    const black = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#000' } }).jpeg().toBuffer();
    for (const bytes of [fixture('arcade__ok.jpg'), black]) {
      const { metrics, signature } = await analyse(bytes);
      for (const [k, v] of Object.entries(metrics)) expect(Number.isFinite(v), k).toBe(true);
      expect(JSON.parse(JSON.stringify(signature))).toEqual(signature);
    }
    expect(imageFaults((await analyse(black)).metrics)).toEqual(['signal_loss']);
  });

  it('an image too small to judge is refused with a RangeError, not scored', () => {
    expect(() => analyseFrame({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) })).toThrow(RangeError);
  });
});

describe('comparing samples: frozen and scene change', () => {
  it('the same picture twice is identical (frozen); a re-encoded copy is near-identical', async () => {
    const a = await analyse(fixture('sidewalk__ok.jpg'));
    const same = compareSignatures(a.signature, (await analyse(fixture('sidewalk__ok.jpg'))).signature);
    expect(same).toMatchObject({ identical: true, meanAbsDiff: 0, hashDistance: 0 });
    expect(isFrozen(same)).toBe(true);
    // A live camera: the same scene with sensor noise and an OSD clock is not frozen.
    const live = await sharp(fixture('sidewalk__ok.jpg'))
      .composite([{ input: Buffer.from('<svg width="160" height="24"><text x="0" y="18" font-size="18" fill="white">12:00:01</text></svg>'), left: 8, top: 8 }])
      .jpeg({ quality: 85 })
      .toBuffer();
    const moving = compareSignatures(a.signature, (await analyse(live)).signature);
    expect(isFrozen(moving)).toBe(false);
    expect(isSceneChange(moving)).toBe(false);
  });

  it('another scene is a scene change; the same scene darker or brighter is not', async () => {
    const street = await analyse(fixture('sidewalk__ok.jpg'));
    const arcade = await analyse(fixture('arcade__ok.jpg'));
    const turned = compareSignatures(street.signature, arcade.signature);
    expect(turned.similarity).toBeLessThan(DEFAULT_THRESHOLDS.sceneSimilarity);
    expect(isSceneChange(turned)).toBe(true);
    const dusk = await sharp(fixture('sidewalk__ok.jpg')).linear(0.6, 0).jpeg({ quality: 85 }).toBuffer();
    const sameView = compareSignatures(street.signature, (await analyse(dusk)).signature);
    expect(sameView.similarity).toBeGreaterThan(0.8);
    expect(isSceneChange(sameView)).toBe(false);
    // Camera panned by a tenth of the frame: another view.
    const panned = await sharp(fixture('sidewalk__ok.jpg')).extract({ left: 96, top: 0, width: 544, height: 480 }).resize(640, 480, { fit: 'fill' }).jpeg().toBuffer();
    expect(isSceneChange(compareSignatures(street.signature, (await analyse(panned)).signature))).toBe(true);
  });

  it('grids of different sizes (resolution changed) are still compared', async () => {
    const big = await analyse(fixture('sidewalk__ok.jpg'));
    const small = await analyse(await sharp(fixture('sidewalk__ok.jpg')).resize(320, 180, { fit: 'fill' }).jpeg().toBuffer());
    const c = compareSignatures(big.signature, small.signature);
    expect(Number.isFinite(c.similarity)).toBe(true);
    expect(c.identical).toBe(false);
  });
});

describe('image driver: decoding untrusted bytes', () => {
  it('a truncated JPEG is decode_error', async () => {
    const whole = fixture('arcade__ok.jpg');
    for (const cut of [0.3, 0.7, 0.98]) {
      const truncated = whole.subarray(0, Math.floor(whole.length * cut));
      await expect(decodeJpeg(truncated)).rejects.toMatchObject({ name: 'ImageError', code: 'decode_error' });
    }
    // Cut inside the headers: no frame header at all.
    expect(() => readJpegHeader(whole.subarray(0, 20))).toThrow(ImageError);
  });

  it('garbage, an empty file, a PNG and a corrupt header are decode_error, never a crash', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).png().toBuffer();
    const scrambled = Buffer.from(fixture('arcade__ok.jpg'));
    for (let i = 600; i < scrambled.length; i += 97) scrambled[i] = (scrambled[i]! * 31 + 7) & 0xff;
    const badLength = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0x00, 0x00]);
    for (const bytes of [Buffer.alloc(0), Buffer.from('not a picture at all'), png, badLength]) {
      await expect(decodeJpeg(bytes)).rejects.toMatchObject({ code: 'decode_error' });
    }
    // Scrambled entropy data either fails to decode or decodes to some picture: no exception escapes untyped.
    await decodeJpeg(scrambled).then(
      (img) => expect(img.width).toBeGreaterThan(0),
      (err: unknown) => expect(err).toMatchObject({ code: 'decode_error' }),
    );
  });

  it('refuses more bytes than the cap before decoding', () => {
    expect(() => checkJpeg(fixture('arcade__ok.jpg'), 1000)).toThrow(expect.objectContaining({ code: 'too_large' }) as Error);
  });

  it('decodes to the working size with shrink-on-load and reports the source size', async () => {
    const big = await sharp(fixture('arcade__ok.jpg')).resize(2688, 1520, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();
    const img = await decodeJpeg(big);
    expect([img.width, img.height, img.sourceWidth, img.sourceHeight]).toEqual([640, 362, 2688, 1520]);
    expect(img.data.length).toBe(640 * 362 * 3);
    const small = await decodeJpeg(await sharp(fixture('arcade__ok.jpg')).resize(200).jpeg().toBuffer());
    expect(small.width).toBe(200); // never enlarged
  });
});

// The ONVIF simulator renders its conditions from real photographs; the agent's integration
// tests and the demo rely on the scorer reading them as a real camera's pictures.
describe('simulator snapshots are classified as their condition', () => {
  const expected: Record<Exclude<Condition, 'frozen'>, string[]> = {
    ok: [],
    blur: ['blur'],
    dark: ['too_dark'],
    bright: ['too_bright'],
    occluded: ['occlusion'],
    signal_loss: ['signal_loss'],
  };
  for (const scene of ['scene-street.jpg', 'scene-building.jpg']) {
    for (const [w, h] of [
      [1280, 720],
      [1920, 1080],
      [640, 480],
    ] as const) {
      it(`${scene} at ${w}x${h}`, async () => {
        const renderer = new SnapshotRenderer(join(REPO_ROOT, 'test', 'fixtures', scene));
        const got: Record<string, string[]> = {};
        for (const condition of Object.keys(expected) as (keyof typeof expected)[]) {
          got[condition] = imageFaults((await analyse(await renderer.render(condition, w, h))).metrics);
        }
        expect(got).toEqual(expected);
        // frozen: the same bytes again, while live frames differ.
        const live1 = await analyse(await renderer.render('ok', w, h));
        const live2 = await analyse(await renderer.render('ok', w, h));
        expect(isFrozen(compareSignatures(live1.signature, live2.signature))).toBe(false);
        const f1 = await analyse(await renderer.render('frozen', w, h));
        const f2 = await analyse(await renderer.render('frozen', w, h));
        expect(isFrozen(compareSignatures(f1.signature, f2.signature))).toBe(true);
      });
    }
  }
});

describe('fault codes', () => {
  it('sortFaults orders by FAULT_CODES and drops duplicates and unknown codes', () => {
    expect(sortFaults(['stripe', 'blur', 'signal_loss', 'blur', 'nonsense'])).toEqual(['signal_loss', 'blur', 'stripe']);
  });
});
