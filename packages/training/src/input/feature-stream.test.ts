import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFloat16, toFloat16 } from '@captioner/core';
import { toyCaptionData } from '../loop/testing/toy-data';
import { EpochReader } from './feature-stream';
import { streamedFeatures } from './streamed-source';
import { planEpoch } from './epoch-plan';
import { toyStreamedData } from './testing/toy-shards';
import type { TrainStream } from '../loop/types';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-stream-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function streamOf(float16: boolean) {
  const data = toyCaptionData({ images: 50, valImages: 9, seed: 5 });
  const dir = await fs.mkdtemp(path.join(root, 'shards-'));
  const streamed = await toyStreamedData(data, dir, { imagesPerShard: 7, float16 });
  return { data, train: streamed.train as TrainStream };
}

async function epochBatches(train: TrainStream, epoch: number, from: number, B: number, buffer = 6) {
  const reader = new EpochReader(
    train.index,
    { prefetchShards: 2, shuffleBuffer: buffer },
    11,
    epoch,
    from,
    B,
    true,
  );
  const out = [];
  let maxHeld = 0;
  for (let b = from; b < Math.ceil(train.index.captionImage.length / B); b++) {
    out.push(await reader.next());
    maxHeld = Math.max(maxHeld, reader.heldImages);
  }
  await reader.close();
  return { batches: out, maxHeld };
}

describe('streamed features', () => {
  it('an epoch gives every caption once, with its own image features, holding only the shuffle buffer', async () => {
    const { data, train } = await streamOf(false);
    const { batches, maxHeld } = await epochBatches(train, 0, 0, 4);
    const seen = batches.flatMap(({ rows }) => [...rows]).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const P = data.featureShape.pooledSize;
    const gridSize = data.featureShape.gridPositions * data.featureShape.gridChannels;
    for (const { batch, rows } of batches) {
      rows.forEach((row, b) => {
        const image = Number(train.index.ids[train.index.captionImage[row]].slice('train-'.length));
        expect(batch.pooled.subarray(b * P, (b + 1) * P)).toEqual(
          data.train.pooled.subarray(image * P, (image + 1) * P),
        );
        expect(batch.grid!.subarray(b * gridSize, (b + 1) * gridSize)).toEqual(
          data.train.grid!.subarray(image * gridSize, (image + 1) * gridSize),
        );
        expect([...batch.captions.subarray(b * 8, b * 8 + 8)]).toEqual([
          ...data.train.captions.subarray(image * 8, image * 8 + 8),
        ]);
      });
    }
    // Buffer of 6 captions + one shard's (at most 7 images, one caption each): never more images held.
    expect(maxHeld).toBeLessThanOrEqual(6 + 7);
  });

  it('is shuffled across shards, differently every epoch, the same for the same seed', async () => {
    const { train } = await streamOf(false);
    const a = planEpoch(train.index, 11, 0, 6).order;
    const b = planEpoch(train.index, 11, 1, 6).order;
    expect([...a]).not.toEqual([...b]);
    expect([...planEpoch(train.index, 11, 0, 6).order]).toEqual([...a]);
    // Not in shard order: the first batch already mixes captions from shards far apart.
    expect([...a].slice(0, 8).sort((x, y) => x - y)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('resumed at batch b, an epoch gives the same bytes as read from the start', async () => {
    const { train } = await streamOf(true);
    const full = await epochBatches(train, 1, 0, 4);
    const resumed = await epochBatches(train, 1, 5, 4);
    expect(resumed.batches.length).toBe(full.batches.length - 5);
    resumed.batches.forEach((r, k) => {
      const f = full.batches[k + 5];
      expect(Buffer.from(r.batch.captions.buffer).equals(Buffer.from(f.batch.captions.buffer))).toBe(true);
      expect(Buffer.from(r.batch.pooled.buffer).equals(Buffer.from(f.batch.pooled.buffer))).toBe(true);
      expect(Buffer.from(r.batch.grid!.buffer).equals(Buffer.from(f.batch.grid!.buffer))).toBe(true);
    });
  });

  it('float16 grids come back within half precision', () => {
    const values = Float32Array.from([0, 1, -2.5, 0.1, 65504, 1e-6, -3.14159]);
    const back = fromFloat16(toFloat16(values));
    values.forEach((v, i) =>
      expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 6e-8),
    );
  });
});

describe('streamed features with attention targets', () => {
  it('each batch carries the attention cells of its own caption rows', async () => {
    const { data, train } = await streamOf(false);
    const T = train.index.captionLength;
    const M = train.index.captionImage.length;
    // A recognisable target per caption row: row r's words all look at cell r mod 9.
    const cells = new Int8Array(M * T);
    for (let r = 0; r < M; r++) cells.fill(r % 9, r * T, (r + 1) * T);
    const input = { ...train.input, shuffleBuffer: 6, prefetchShards: 2 };
    const source = streamedFeatures(
      { ...train, input, attentionCells: { cells, grid: 3 } },
      data.val as never,
      true,
    );
    // The same epoch read directly says which caption row each slot holds.
    const { batches } = await epochBatches(train, 0, 0, 4);
    const reader = source.epochBatches(0, 0, 4, 11);
    for (const { rows } of batches) {
      const { batch } = await reader.next();
      expect(batch.attentionCells!.grid).toBe(3);
      rows.forEach((row, k) =>
        expect([...batch.attentionCells!.cells.subarray(k * T, (k + 1) * T)]).toEqual(Array(T).fill(row % 9)),
      );
    }
    await reader.close();
  });
});
