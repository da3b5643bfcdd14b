import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readShardFile } from '@captioner/core';
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
    expect(shard.meta).toEqual({ encoder: 'test', imagesSha256: imageHeader.sha256 });
    // The same numbers as encoding the whole shard at once.
    const direct = await encoder.encode(normalizeImages(pixels(1), IMAGENET_MEAN, IMAGENET_STD), IMAGES);
    expect(shard.pooled).toHaveLength(IMAGES * encoder.pooledSize);
    expect(shard.grid).toHaveLength(IMAGES * encoder.gridPositions * encoder.gridChannels);
    for (let i = 0; i < shard.pooled.length; i++) expect(shard.pooled[i]).toBeCloseTo(direct.pooled[i], 4);
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
