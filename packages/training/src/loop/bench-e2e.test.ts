import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/model';
import { benchE2e, benchE2eOptionsSchema } from './bench-e2e';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('benchE2e', () => {
  it("defaults to torch_anchor.py's train_e2e_resnet18 shapes", () => {
    expect(benchE2eOptionsSchema.parse({})).toMatchObject({
      kind: 'resnet18',
      imageSize: 224,
      batchSize: 8,
      embeddingSize: 256,
      hiddenSize: 512,
      vocabSize: 3000,
      captionLength: 20,
    });
  });

  it('trains the encoder with the decoder (every residual block) without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const result = await benchE2e({
      kind: 'resnet18',
      imageSize: 32,
      batchSize: 2,
      embeddingSize: 8,
      hiddenSize: 16,
      vocabSize: 20,
      captionLength: 3,
      steps: 1,
      warmupSteps: 0,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({
      backend: 'wasm',
      kind: 'resnet18',
      imageSize: 32,
      batchSize: 2,
      steps: 1,
    });
    // ResNet-18's residual blocks hold ~11.2M trained weights, the decoder a few thousand: the encoder
    // really is in the step.
    expect(result.trainedParameters).toBeGreaterThan(11_000_000);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
  });
});
