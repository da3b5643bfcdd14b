import path from 'node:path';
import { writeImageShard } from '@captioner/dataset';
import { inputSettingsSchema } from '@captioner/stage-contract';
import type { InputSettings } from '@captioner/stage-contract';
import type { ModelConfig } from '@captioner/model';
import type { FineTuneEncoder, FineTuneInput, InMemoryTrainingData, TrainingData } from '../../loop/types';
import { toyFineTuneData } from '../../loop/testing/toy-images';
import { buildImageStreamIndex } from '../stream-index';

const MEAN: [number, number, number] = [0.5, 0.5, 0.5];
const STD: [number, number, number] = [0.5, 0.5, 0.5];

/** Normalised values in [-1, 1] (mean and std 0.5) as 8-bit pixels; the toy images' ±1 are exact. */
function toPixels(images: Float32Array): Uint8Array {
  return Uint8Array.from(images, (v) => Math.round((v * STD[0] + MEAN[0]) * 255));
}

/**
 * `toyFineTuneData`'s images written as 8-bit image shards of `imagesPerShard` (train and val interleaved,
 * ids `train-i` / `val-i`), and fine-tuning data streamed from them; `memory` is the same data in memory.
 */
export async function toyStreamedFineTune(
  modelConfig: ModelConfig,
  images: number,
  valImages: number,
  dir: string,
  options: { imagesPerShard: number; input?: Partial<InputSettings> },
): Promise<{
  data: TrainingData;
  fineTune: FineTuneEncoder;
  memory: { data: InMemoryTrainingData; fineTune: FineTuneInput };
}> {
  const memory = await toyFineTuneData(modelConfig, images, valImages);
  const S = modelConfig.encoder.imageSize;
  const pixels = S * S * 3;
  const trainPixels = toPixels(memory.fineTune.trainImages);
  const valPixels = toPixels(memory.fineTune.valImages);
  const rows: Array<{ id: string; pixels: Uint8Array }> = [];
  for (let i = 0; i < Math.max(images, valImages); i++) {
    if (i < images)
      rows.push({ id: `train-${i}`, pixels: trainPixels.subarray(i * pixels, (i + 1) * pixels) });
    if (i < valImages)
      rows.push({ id: `val-${i}`, pixels: valPixels.subarray(i * pixels, (i + 1) * pixels) });
  }
  const files: string[] = [];
  for (let start = 0; start < rows.length; start += options.imagesPerShard) {
    const part = rows.slice(start, start + options.imagesPerShard);
    const shard = new Uint8Array(part.length * pixels);
    part.forEach((r, k) => shard.set(r.pixels, k * pixels));
    const file = path.join(dir, `images-${files.length}.shard`);
    await writeImageShard(file, { ids: part.map((r) => r.id), size: S, pixels: shard, mean: MEAN, std: STD });
    files.push(file);
  }
  const { data } = memory;
  const T = data.train.captionLength;
  const shards = { files, imageSize: S, featureShape: data.featureShape };
  const train = await buildImageStreamIndex({
    ...shards,
    wanted: { has: (id) => id.startsWith('train-') },
    // One caption per toy image: caption i is image i's.
    captionsOf: (id) => {
      const i = Number(id.slice('train-'.length));
      return { ids: data.train.captions.subarray(i * T, (i + 1) * T), count: 1 };
    },
    captionLength: T,
    vocabSize: data.vocabSize,
  });
  const val = await buildImageStreamIndex({ ...shards, wanted: { has: (id) => id.startsWith('val-') } });
  return {
    memory,
    fineTune: { encoder: memory.fineTune.encoder, augment: memory.fineTune.augment },
    data: {
      vocabSize: data.vocabSize,
      featureShape: data.featureShape,
      decodeTokens: data.decodeTokens,
      train: { kind: 'stream', index: train, input: inputSettingsSchema.parse(options.input ?? {}) },
      val: {
        kind: 'stream',
        index: val,
        references: (id) => data.val.references[Number(id.slice('val-'.length))],
      },
    },
  };
}
