import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, modelConfigSchema } from '@captioner/model';
import { featureSourceFor } from '../loop/feature-source';
import { trainingConfigSchema } from '../loop/config';
import { toyFineTuneData } from '../loop/testing/toy-images';
import type { FineTuneInput } from '../loop/types';

beforeAll(async () => {
  await initBackend('wasm');
});

const modelConfig = modelConfigSchema.parse({
  encoder: { kind: 'small-resnet', imageSize: 32, trainable: true, trainableBlocks: 1 },
  decoder: { embeddingSize: 16, hiddenSize: 32, attentionSize: 16 },
});

/** Captions and pooled features of the first batch of `epoch`, as the training loop gets them. */
async function firstBatch(
  toy: Awaited<ReturnType<typeof toyFineTuneData>>,
  fineTune: FineTuneInput,
  epoch: number,
  seed = 5,
): Promise<{ captions: number[]; pooled: number[] }> {
  const source = featureSourceFor({
    modelConfig,
    trainingConfig: trainingConfigSchema.parse({}),
    data: toy.data,
    checkpointsDir: '/nonexistent',
    fineTune,
  });
  const reader = source.epochBatches(epoch, 0, 12, seed);
  const { batch, features } = await reader.next();
  await reader.close();
  const pooled = tf.tidy(() => Array.from(features!().pooled.dataSync()));
  return { captions: Array.from(batch.captions), pooled };
}

describe('fine-tuning batches with preprocess.augment', () => {
  it('differ from the plain ones, repeat exactly for the same seed and position, and mirror the captions of flipped images', async () => {
    const toy = await toyFineTuneData(modelConfig, 24, 4);
    const { augment, ...plainInput } = toy.fineTune;
    const plain = await firstBatch(toy, plainInput, 1);
    const augmented = await firstBatch(toy, toy.fineTune, 1);
    expect(augmented.pooled).not.toEqual(plain.pooled);
    expect(await firstBatch(toy, toy.fineTune, 1)).toEqual(augmented);
    expect((await firstBatch(toy, toy.fineTune, 2)).pooled).not.toEqual(augmented.pooled);
    // Some captions changed, and only by swapping left (10) and right (11).
    const changed = augmented.captions.flatMap((id, i) =>
      id !== plain.captions[i] ? [[plain.captions[i], id]] : [],
    );
    expect(changed.length).toBeGreaterThan(0);
    for (const [from, to] of changed) expect([from, to].sort()).toEqual([10, 11]);
    expect(augment).toBeDefined();
    toy.fineTune.encoder.dispose();
  });
});
