import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFeatureNorm, encodeImages, initBackend, modelConfigSchema } from '@captioner/model';
import { ImageEpochReader } from './image-stream';
import { streamedFineTune } from './streamed-fine-tune';
import { toyStreamedFineTune } from './testing/toy-image-shards';
import type { TrainStream, ValStream } from '../loop/types';

const modelConfig = modelConfigSchema.parse({
  encoder: { kind: 'small-resnet', imageSize: 16, trainable: true, trainableBlocks: 1 },
  decoder: { embeddingSize: 8, hiddenSize: 8, attentionSize: 8, attention: true },
});
const S = modelConfig.encoder.imageSize;
const PIXELS = S * S * 3;

let root: string;
beforeAll(async () => {
  await initBackend('wasm');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-image-stream-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function toy(input: { shuffleBuffer: number; normImages?: number }) {
  const dir = await fs.mkdtemp(path.join(root, 'shards-'));
  return toyStreamedFineTune(modelConfig, 30, 7, dir, {
    imagesPerShard: 4,
    input: { prefetchShards: 1, ...input },
  });
}

async function epoch(train: TrainStream, from: number, B: number) {
  const reader = new ImageEpochReader(train.index, train.input, 3, 1, from, B, S);
  const batches = [];
  let maxHeld = 0;
  for (let b = from; b < Math.ceil(train.index.captionImage.length / B); b++) {
    batches.push(await reader.next());
    maxHeld = Math.max(maxHeld, reader.heldImages);
  }
  await reader.close();
  return { batches, maxHeld };
}

describe('streamed images (fine-tuning)', () => {
  it('an epoch gives every caption once with its own image, holding only the shuffle buffer', async () => {
    const { data, memory } = await toy({ shuffleBuffer: 5 });
    const train = data.train as TrainStream;
    const { batches, maxHeld } = await epoch(train, 0, 4);
    const seen = batches.flatMap(({ rows }) => [...rows]).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const T = train.index.captionLength;
    for (const { batch, rows, pixels } of batches) {
      rows.forEach((row, b) => {
        const image = Number(train.index.ids[train.index.captionImage[row]].slice('train-'.length));
        expect(pixels.subarray(b * PIXELS, (b + 1) * PIXELS)).toEqual(
          memory.fineTune.trainImages.subarray(image * PIXELS, (image + 1) * PIXELS),
        );
        expect(batch.captions.subarray(b * T, (b + 1) * T)).toEqual(
          memory.data.train.captions.subarray(image * T, (image + 1) * T),
        );
      });
    }
    // The buffer (5 captions, one per image) plus one shard of train images (at most 4) and no more.
    expect(maxHeld).toBeLessThanOrEqual(5 + 4);
    expect(maxHeld).toBeGreaterThan(0);
  });

  it('a stream resumed at batch b gives the same bytes as the one that ran from the start', async () => {
    const { data } = await toy({ shuffleBuffer: 6 });
    const train = data.train as TrainStream;
    const full = await epoch(train, 0, 4);
    const resumed = await epoch(train, 3, 4);
    expect(resumed.batches.length).toBe(full.batches.length - 3);
    resumed.batches.forEach((batch, k) => {
      expect(batch.rows).toEqual(full.batches[k + 3].rows);
      expect(batch.pixels).toEqual(full.batches[k + 3].pixels);
    });
  });

  it('statistics and validation come from the encoder over the streamed images, as in memory', async () => {
    const { data, fineTune, memory } = await toy({ shuffleBuffer: 6, normImages: 1000 });
    const source = streamedFineTune(
      data.train as TrainStream,
      data.val as ValStream,
      fineTune,
      data.featureShape,
    );
    const val = await source.validationSplit(5);
    const expected = await encodeImages(fineTune.encoder, memory.fineTune.valImages, 5);
    expect(val.ids).toEqual(['val-0', 'val-1', 'val-2', 'val-3', 'val-4']);
    expect(val.references).toEqual(memory.data.val.references.slice(0, 5));
    expect(val.pooled).toEqual(expected.pooled);
    expect(val.grid).toEqual(expected.grid);

    const norm = await source.featureNorm(data.featureShape, true);
    const all = await encodeImages(fineTune.encoder, memory.fineTune.trainImages, 30);
    const reference = computeFeatureNorm(data.featureShape, all.pooled, all.grid);
    for (const key of ['pooledMean', 'pooledStd', 'gridMean', 'gridStd'] as const) {
      const a = norm[key].dataSync();
      const b = reference[key].dataSync();
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
    }
    tf.dispose([...Object.values(norm), ...Object.values(reference)]);
    fineTune.encoder.dispose();
  });
});
