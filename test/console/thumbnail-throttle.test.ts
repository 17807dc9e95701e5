// Perf at 256 cameras: the console's thumbnails were remade from every clarity snapshot
// (28-41 MB of RSS, ~4 % CPU, for cards an operator looks at now and then). A camera with a
// thumbnail gets a new one at most once a minute; one without gets the newest picture.
// Real JPEGs, real resizes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ThumbnailCache } from '../../agent/console/thumbnails.js';

const JPEG = readFileSync(new URL('../fixtures/clarity/sidewalk__ok.jpg', import.meta.url));
const BROKEN = new Uint8Array(JPEG.subarray(0, 2000));

describe('console thumbnails: at most one refresh per interval', () => {
  it('remakes a camera’s thumbnail only once the interval (60 s by default) has passed', async () => {
    const cache = new ThumbnailCache();
    cache.offer('a', JPEG, 0);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(0);
    cache.offer('a', JPEG, 30_000);
    cache.offer('a', JPEG, 59_999);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(0);
    cache.offer('a', JPEG, 60_000);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(60_000);
    // Each camera has its own interval.
    cache.offer('b', JPEG, 61_000);
    await cache.settled();
    expect(cache.get('b')?.atMs).toBe(61_000);
    expect(cache.get('a')?.atMs).toBe(60_000);
  });

  it('takes every picture until a first thumbnail exists, the newest winning', async () => {
    const errors: string[] = [];
    const cache = new ThumbnailCache({ minIntervalMs: 60_000, onError: (id) => errors.push(id) });
    cache.offer('a', BROKEN, 0);
    await cache.settled();
    expect(errors).toEqual(['a']);
    expect(cache.get('a')).toBeNull();
    cache.offer('a', JPEG, 1000); // 1 s later, but there is no thumbnail yet
    cache.offer('a', JPEG, 3000); // arrives while the first is being made: queued
    cache.offer('a', JPEG, 2000); // replaces the queued one
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(2000);
    cache.offer('a', JPEG, 5000);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(2000);
  });

  it('follows the option, and a forgotten camera starts again', async () => {
    const cache = new ThumbnailCache({ minIntervalMs: 5000 });
    cache.offer('a', JPEG, 0);
    await cache.settled();
    cache.offer('a', JPEG, 4999);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(0);
    cache.offer('a', JPEG, 5000);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(5000);
    cache.delete('a');
    expect(cache.get('a')).toBeNull();
    cache.offer('a', JPEG, 6000);
    await cache.settled();
    expect(cache.get('a')?.atMs).toBe(6000);
  });
});
