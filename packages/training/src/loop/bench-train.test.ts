import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/model';
import { benchTrain, benchTrainOptionsSchema } from './bench-train';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('benchTrain', () => {
  it("defaults to the issue's configuration", () => {
    expect(benchTrainOptionsSchema.parse({})).toMatchObject({
      embeddingSize: 256,
      hiddenSize: 512,
      vocabSize: 3000,
      captionLength: 20,
      batchSize: 32,
      featureSize: 512,
      cell: 'lstm',
    });
  });

  it('reports throughput on the current backend without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const result = await benchTrain({
      embeddingSize: 16,
      hiddenSize: 32,
      vocabSize: 50,
      captionLength: 5,
      batchSize: 4,
      featureSize: 8,
      steps: 2,
      warmupSteps: 1,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.backend).toBe('wasm');
    expect(result.steps).toBe(2);
    expect(result.tokensPerSecond).toBeGreaterThan(0);
    expect(result.tokensPerCpuSecond).toBeGreaterThan(0);
  });
});
