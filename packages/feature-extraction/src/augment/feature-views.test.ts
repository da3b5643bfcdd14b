import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGENET_MEAN, IMAGENET_STD, readFeatureShard, writeImageShard } from '@captioner/dataset';
import { encoderConfigSchema, initBackend } from '@captioner/model';
import type { ImageEncoder } from '@captioner/model';
import { AUGMENT_OFF } from '@captioner/stage-contract';
import { loadOrCreateRunEncoder } from '../encoder-store';
import { extractFeatureShard } from '../extract-shard';
import { extractFeatureViews, featureViewCount, viewOfShard, viewShardFile } from './feature-views';

const SIZE = 16;
const IMAGES = 12;
const ids = Array.from({ length: IMAGES }, (_, i) => (i % 3 === 2 ? `val-${i}` : `train-${i}`));
const settings = { ...AUGMENT_OFF, horizontalFlip: true, colorJitter: 0.3, cropScale: 0.7, views: 3 };

describe('extractFeatureViews', () => {
  let dir: string;
  let encoder: ImageEncoder;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-views-'));
    await initBackend('cpu');
    encoder = await loadOrCreateRunEncoder(
      path.join(dir, 'encoder'),
      encoderConfigSchema.parse({ imageSize: SIZE }),
      5,
    );
  });
  afterAll(async () => {
    encoder?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('counts views only for a frozen encoder with some transform on', () => {
    expect(featureViewCount(settings, false)).toBe(3);
    expect(featureViewCount(settings, true)).toBe(1);
    expect(featureViewCount({ ...AUGMENT_OFF, views: 4 }, false)).toBe(1);
    const drawn = new Set(Array.from({ length: 40 }, (_, e) => viewOfShard(7, e, 2, 3)));
    expect([...drawn].sort()).toEqual([0, 1, 2]);
    expect(viewOfShard(7, 5, 2, 3)).toBe(viewOfShard(7, 5, 2, 3));
  });

  it('writes augmented features of training images only, flips only images allowed to flip, and skips when done', async () => {
    const imageFile = path.join(dir, 'images.bin');
    const featureFile = path.join(dir, 'features', 'shard-00000.bin');
    const pixels = Uint8Array.from({ length: IMAGES * SIZE * SIZE * 3 }, (_, i) => (i * 31) % 256);
    await writeImageShard(imageFile, { ids, size: SIZE, pixels, mean: IMAGENET_MEAN, std: IMAGENET_STD });
    await fs.mkdir(path.dirname(featureFile), { recursive: true });
    await extractFeatureShard({ imageFile, featureFile, encoder, encoderName: 'test' });
    const options = {
      imageFile,
      featureFile,
      encoder,
      settings,
      seed: 9,
      augmented: (id: string) => id.startsWith('train-'),
      mayFlip: (id: string) => id !== 'train-0' && id !== 'train-1',
      grid: 'float32' as const,
    };
    expect(await extractFeatureViews(options)).toEqual({ written: 2, skipped: 0 });
    const plain = await readFeatureShard(featureFile);
    const P = plain.pooledSize;
    const row = (a: Float32Array, r: number) => Array.from(a.subarray(r * P, (r + 1) * P));
    const view1 = await readFeatureShard(viewShardFile(featureFile, 1));
    const view2 = await readFeatureShard(viewShardFile(featureFile, 2));
    expect(view1.ids).toEqual(ids);
    ids.forEach((id, r) => {
      if (id.startsWith('val-')) {
        expect(row(view1.pooled, r)).toEqual(row(plain.pooled, r));
      } else {
        expect(row(view1.pooled, r)).not.toEqual(row(plain.pooled, r));
        expect(row(view2.pooled, r)).not.toEqual(row(view1.pooled, r));
      }
    });
    const flipped = [...(view1.meta.flipped as string[]), ...(view2.meta.flipped as string[])];
    expect(flipped.length).toBeGreaterThan(0);
    expect(flipped.every((id) => id.startsWith('train-') && id !== 'train-0' && id !== 'train-1')).toBe(true);
    // Same draws again: skipped; another seed: written again, with other features.
    expect(await extractFeatureViews(options)).toEqual({ written: 0, skipped: 2 });
    expect(await extractFeatureViews({ ...options, seed: 10 })).toEqual({ written: 2, skipped: 0 });
    expect(row((await readFeatureShard(viewShardFile(featureFile, 1))).pooled, 0)).not.toEqual(
      row(view1.pooled, 0),
    );
  });
});
