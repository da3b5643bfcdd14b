import path from 'node:path';
import { toFloat16 } from '@captioner/core';
import { writeFeatureShard } from '@captioner/dataset';
import { inputSettingsSchema } from '@captioner/stage-contract';
import type { InputSettings } from '@captioner/stage-contract';
import type { InMemoryTrainingData, TrainingData } from '../../loop/types';
import { buildStreamIndex } from '../stream-index';

/**
 * Writes in-memory toy data (train and val images interleaved, as preprocessing shards a data set) into
 * feature shards of `imagesPerShard`, and returns the same data streamed from them.
 */
export async function toyStreamedData(
  data: InMemoryTrainingData,
  dir: string,
  options: { imagesPerShard: number; float16?: boolean; input?: Partial<InputSettings> },
): Promise<TrainingData & { files: string[] }> {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
  const rows: Array<{ id: string; split: 'train' | 'val'; i: number }> = [];
  for (let i = 0; i < Math.max(data.train.images, data.val.images); i++) {
    if (i < data.train.images) rows.push({ id: `train-${i}`, split: 'train', i });
    if (i < data.val.images) rows.push({ id: `val-${i}`, split: 'val', i });
  }
  const files: string[] = [];
  for (let start = 0; start < rows.length; start += options.imagesPerShard) {
    const part = rows.slice(start, start + options.imagesPerShard);
    const pooled = new Float32Array(part.length * P);
    const grid = new Float32Array(part.length * G * C);
    part.forEach((r, k) => {
      const split = r.split === 'train' ? data.train : data.val;
      pooled.set(split.pooled.subarray(r.i * P, (r.i + 1) * P), k * P);
      grid.set(split.grid!.subarray(r.i * G * C, (r.i + 1) * G * C), k * G * C);
    });
    const file = path.join(dir, `features-${files.length}.shard`);
    await writeFeatureShard(file, {
      ids: part.map((r) => r.id),
      pooled,
      grid: options.float16 ? toFloat16(grid) : grid,
      pooledSize: P,
      gridPositions: G,
      gridChannels: C,
      meta: {},
    });
    files.push(file);
  }
  const T = data.train.captionLength;
  const byImage = new Map<number, number[]>();
  data.train.captionImage.forEach((image, m) => byImage.set(image, [...(byImage.get(image) ?? []), m]));
  const train = await buildStreamIndex({
    files,
    wanted: new Set(rows.filter((r) => r.split === 'train').map((r) => r.id)),
    captionsOf: (id) => {
      const captions = byImage.get(Number(id.slice('train-'.length))) ?? [];
      const ids = new Int32Array(captions.length * T);
      captions.forEach((m, k) => ids.set(data.train.captions.subarray(m * T, (m + 1) * T), k * T));
      return { ids, count: captions.length };
    },
    captionLength: T,
    vocabSize: data.vocabSize,
    withGrid: true,
  });
  const val = await buildStreamIndex({
    files,
    wanted: new Set(rows.filter((r) => r.split === 'val').map((r) => r.id)),
    withGrid: true,
  });
  return {
    files,
    vocabSize: data.vocabSize,
    featureShape: data.featureShape,
    decodeTokens: data.decodeTokens,
    train: { kind: 'stream', index: train, input: inputSettingsSchema.parse(options.input ?? {}) },
    val: {
      kind: 'stream',
      index: val,
      references: (id) => data.val.references[Number(id.slice('val-'.length))],
    },
  };
}
