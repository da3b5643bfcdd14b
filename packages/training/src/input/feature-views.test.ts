import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureShard, writeFeatureShard } from '@captioner/dataset';
import { tokenSideSwap, viewShardFile } from '@captioner/feature-extraction';
import { toyCaptionData } from '../loop/testing/toy-data';
import { EpochReader } from './feature-stream';
import type { StreamViews } from './feature-stream';
import { toyStreamedData } from './testing/toy-shards';
import type { TrainStream } from '../loop/types';
import { readMemoryViews } from '../augment/memory-views';
import { epochOrder } from '../loop/batches';
import { featureSourceFor } from '../loop/feature-source';
import { trainingConfigSchema } from '../loop/config';
import { modelConfigSchema } from '@captioner/model';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-views-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Toy shards plus a view 1 of each: train rows' pooled features + 100, even train images flipped. */
async function shardsWithViews() {
  const data = toyCaptionData({ images: 30, valImages: 5, seed: 5 });
  const streamed = await toyStreamedData(data, await fs.mkdtemp(path.join(root, 'shards-')), {
    imagesPerShard: 6,
  });
  for (const file of streamed.files) {
    const shard = await readFeatureShard(file);
    const P = shard.pooledSize;
    const pooled = Float32Array.from(shard.pooled);
    const flipped: string[] = [];
    shard.ids.forEach((id, row) => {
      if (!id.startsWith('train-')) return;
      for (let p = 0; p < P; p++) pooled[row * P + p] += 100;
      if (Number(id.slice(6)) % 2 === 0) flipped.push(id);
    });
    const target = viewShardFile(file, 1);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await writeFeatureShard(target, { ...shard, pooled, meta: { view: 1, flipped } });
  }
  return { data, train: streamed.train as TrainStream, files: streamed.files };
}

/** Every caption of an epoch: its image id, whether its features came from view 1, and its caption words. */
async function epochRows(train: TrainStream, words: string[], epoch: number, views?: StreamViews) {
  const B = 8;
  const reader = new EpochReader(
    train.index,
    { prefetchShards: 1, shuffleBuffer: 6 },
    11,
    epoch,
    0,
    B,
    false,
    views,
  );
  const out: Array<{ id: string; view1: boolean; caption: string }> = [];
  const P = train.index.featureShape.pooledSize;
  const T = train.index.captionLength;
  for (let b = 0; b < Math.ceil(train.index.captionImage.length / B); b++) {
    const { batch, rows } = await reader.next();
    rows.forEach((row, k) => {
      out.push({
        id: train.index.ids[train.index.captionImage[row]],
        view1: batch.pooled[k * P] > 50,
        caption: Array.from(batch.captions.subarray(k * T, (k + 1) * T), (w) => words[w]).join(' '),
      });
    });
  }
  await reader.close();
  return out;
}

describe('streamed training with augmented feature views', () => {
  it('draws one view per shard and epoch (seeded), mirrors the captions of flipped views, and reads view 0 only without views', async () => {
    const { data, train } = await shardsWithViews();
    const views: StreamViews = { count: 2, mirrorCaption: tokenSideSwap(data.words) };
    const plain = await epochRows(train, data.words, 0);
    expect(plain.every((r) => !r.view1)).toBe(true);

    const epochs = [];
    for (let epoch = 0; epoch < 4; epoch++) epochs.push(await epochRows(train, data.words, epoch, views));
    expect(await epochRows(train, data.words, 2, views)).toEqual(epochs[2]);
    const all = epochs.flat();
    // Both views are drawn, and each image sees both over the epochs for some images.
    expect(all.some((r) => r.view1)).toBe(true);
    expect(all.some((r) => !r.view1)).toBe(true);
    const original = new Map(plain.map((r) => [r.id, r.caption]));
    for (const r of all) {
      const flipped = r.view1 && Number(r.id.slice(6)) % 2 === 0;
      const expected = flipped
        ? original.get(r.id)!.replace(/\b(left|right)\b/g, (w) => (w === 'left' ? 'right' : 'left'))
        : original.get(r.id);
      expect(r.caption, r.id).toBe(expected);
    }
    expect(all.some((r) => r.view1 && r.caption !== original.get(r.id))).toBe(true);
  });
});

describe('in-memory training with augmented feature views', () => {
  it('draws one view per image and epoch, mirrors the captions of flipped views, and repeats for a seed', async () => {
    const { data, files } = await shardsWithViews();
    const ids = Array.from({ length: data.train.images }, (_, i) => `train-${i}`);
    const views = await readMemoryViews(files, ids, 2, true, tokenSideSwap(data.words));
    expect(views.flipped[0].reduce((n, f) => n + f, 0)).toBe(15);
    const withViews = { ...data, train: { ...data.train, views } };
    const modelConfig = modelConfigSchema.parse({ decoder: { attention: false } });
    const batches = async (d: typeof data, epoch: number) => {
      const source = featureSourceFor({
        modelConfig,
        trainingConfig: trainingConfigSchema.parse({}),
        data: d,
        checkpointsDir: '',
      });
      const reader = source.epochBatches(epoch, 0, 30, 11);
      const { batch } = await reader.next();
      return batch;
    };
    const plain = await batches(data, 1);
    const viewed = await batches(withViews, 1);
    expect(await batches(withViews, 1)).toEqual(viewed);
    const P = data.featureShape.pooledSize;
    const T = data.train.captionLength;
    const order = epochOrder(11, 1, 30);
    let fromView1 = 0;
    for (let b = 0; b < 30; b++) {
      const image = data.train.captionImage[order[b]];
      const view1 = viewed.pooled[b * P] - plain.pooled[b * P] > 50;
      const words = (x: typeof plain) =>
        Array.from(x.captions.subarray(b * T, (b + 1) * T), (w) => data.words[w]).join(' ');
      const mirrored = words(plain).replace(/\b(left|right)\b/g, (w) => (w === 'left' ? 'right' : 'left'));
      expect(words(viewed)).toBe(view1 && image % 2 === 0 ? mirrored : words(plain));
      if (view1) fromView1++;
    }
    expect(fromView1).toBeGreaterThan(5);
    expect(fromView1).toBeLessThan(25);
  });
});
