import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFloat16, readShardFile } from '@captioner/core';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalizeImages,
  readFeatureShard,
  writeImageShard,
} from '@captioner/dataset';
import { encoderConfigSchema, initBackend } from '@captioner/model';
import type { ImageEncoder } from '@captioner/model';
import { loadOrCreateRunEncoder } from './encoder-store';
import { EXTRACT_BATCH_SIZE, extractFeatureShard } from './extract-shard';

const SIZE = 16;
/** More images than one batch, so that batches are stitched together. */
const IMAGES = EXTRACT_BATCH_SIZE + 3;

function pixels(seed: number): Uint8Array {
  return Uint8Array.from({ length: IMAGES * SIZE * SIZE * 3 }, (_, i) => (i * 31 + seed * 17) % 256);
}

describe('extractFeatureShard (cpu backend, a small seeded encoder)', () => {
  let dir: string;
  let encoder: ImageEncoder;
  const ids = Array.from({ length: IMAGES }, (_, i) => `img-${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-extract-'));
    await initBackend('cpu');
    const config = encoderConfigSchema.parse({ imageSize: SIZE });
    encoder = await loadOrCreateRunEncoder(path.join(dir, 'encoder'), config, 5);
  });
  afterAll(async () => {
    encoder?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const writeImages = (file: string, seed: number) =>
    writeImageShard(file, { ids, size: SIZE, pixels: pixels(seed), mean: IMAGENET_MEAN, std: IMAGENET_STD });

  it("writes the encoder's features of every image in order, tagged with the image shard's checksum", async () => {
    const imageFile = path.join(dir, 'images-0.bin');
    const featureFile = path.join(dir, 'features-0.bin');
    const imageHeader = await writeImages(imageFile, 1);
    const result = await extractFeatureShard({ imageFile, featureFile, encoder, encoderName: 'test' });
    expect(result).toMatchObject({ skipped: false, count: IMAGES });

    const shard = await readFeatureShard(featureFile);
    expect(shard.ids).toEqual(ids);
    expect(shard.meta).toEqual({ encoder: 'test', imagesSha256: imageHeader.sha256, grid: 'float32' });
    // The same numbers as encoding the whole shard at once.
    const direct = await encoder.encode(normalizeImages(pixels(1), IMAGENET_MEAN, IMAGENET_STD), IMAGES);
    expect(shard.pooled).toHaveLength(IMAGES * encoder.pooledSize);
    expect(shard.grid).toHaveLength(IMAGES * encoder.gridPositions * encoder.gridChannels);
    for (let i = 0; i < shard.pooled.length; i++) expect(shard.pooled[i]).toBeCloseTo(direct.pooled[i], 4);
  });

  it('stores only what the decoder reads: no grid without attention, or the grid as float16', async () => {
    const imageFile = path.join(dir, 'images-c.bin');
    await writeImages(imageFile, 3);
    const full = path.join(dir, 'features-c32.bin');
    await extractFeatureShard({ imageFile, featureFile: full, encoder, encoderName: 'test' });
    const none = path.join(dir, 'features-cnone.bin');
    await extractFeatureShard({ imageFile, featureFile: none, encoder, encoderName: 'test', grid: 'none' });
    const half = path.join(dir, 'features-c16.bin');
    await extractFeatureShard({
      imageFile,
      featureFile: half,
      encoder,
      encoderName: 'test',
      grid: 'float16',
    });
    const [a, b, c] = await Promise.all([full, none, half].map((f) => readFeatureShard(f)));
    expect(b.gridPositions).toBe(0);
    expect(b.grid).toHaveLength(0);
    expect(b.pooled).toEqual(a.pooled);
    expect(c.grid).toBeInstanceOf(Uint16Array);
    const back = fromFloat16(c.grid as Uint16Array);
    for (let i = 0; i < back.length; i++)
      expect(Math.abs(back[i] - a.grid[i])).toBeLessThanOrEqual(Math.abs(a.grid[i]) * 2 ** -11 + 1e-7);
    const sizes = await Promise.all([full, none, half].map(async (f) => (await fs.stat(f)).size));
    expect(sizes[1]).toBeLessThan(sizes[2]);
    // The grid's bytes halve (headers differ by a few bytes).
    expect(Math.abs((sizes[0] - sizes[1]) / (sizes[2] - sizes[1]) - 2)).toBeLessThan(0.01);
    // A shard stored another way is extracted again, not skipped.
    const again = await extractFeatureShard({ imageFile, featureFile: half, encoder, encoderName: 'test' });
    expect(again.skipped).toBe(false);
  });

  it('skips a complete feature shard, and redoes a stale or truncated one', async () => {
    const imageFile = path.join(dir, 'images-1.bin');
    const featureFile = path.join(dir, 'features-1.bin');
    await writeImages(imageFile, 2);
    await extractFeatureShard({ imageFile, featureFile, encoder, encoderName: 'test' });
    const again = await extractFeatureShard({ imageFile, featureFile, encoder, encoderName: 'test' });
    expect(again.skipped).toBe(true);

    // The image shard changed (preprocessing redone): its features are stale.
    const changed = await writeImages(imageFile, 3);
    const redone = await extractFeatureShard({ imageFile, featureFile, encoder, encoderName: 'test' });
    expect(redone.skipped).toBe(false);
    expect((await readShardFile(featureFile)).meta.imagesSha256).toBe(changed.sha256);

    // A crash left half a file.
    const bytes = await fs.readFile(featureFile);
    await fs.writeFile(featureFile, bytes.subarray(0, bytes.length >> 1));
    const repaired = await extractFeatureShard({ imageFile, featureFile, encoder, encoderName: 'test' });
    expect(repaired.skipped).toBe(false);
    expect((await readFeatureShard(featureFile)).ids).toEqual(ids);
  });

  it('stops between batches when asked to', async () => {
    const imageFile = path.join(dir, 'images-2.bin');
    const featureFile = path.join(dir, 'features-2.bin');
    await writeImages(imageFile, 4);
    const stop = new AbortController();
    stop.abort();
    await expect(
      extractFeatureShard({ imageFile, featureFile, encoder, encoderName: 'test', signal: stop.signal }),
    ).rejects.toThrow(/stopped/);
    await expect(fs.access(featureFile)).rejects.toThrow();
  });

  it('gives every caller the same run encoder: created once, then loaded', async () => {
    const config = encoderConfigSchema.parse({ imageSize: SIZE });
    const loaded = await loadOrCreateRunEncoder(path.join(dir, 'encoder'), config, 99);
    try {
      const batch = normalizeImages(pixels(5).subarray(0, 2 * SIZE * SIZE * 3), IMAGENET_MEAN, IMAGENET_STD);
      const [a, b] = [await encoder.encode(batch, 2), await loaded.encode(batch, 2)];
      expect(Array.from(b.pooled)).toEqual(Array.from(a.pooled));
    } finally {
      loaded.dispose();
    }
  });
});
