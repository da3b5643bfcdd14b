import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@captioner/core';
import {
  DecoderMath,
  createDecoderParams,
  identityFeatureNorm,
  initBackend,
  modelConfigSchema,
  readCheckpointDir,
} from '@captioner/model';
import { MAX_AUTO_BATCH, peakBytesDuring, probeBatchSize } from './batch-probe';
import { trainingConfigSchema } from './config';
import { featureSourceFor } from './feature-source';
import { memoryBudgetMB } from './memory-budget';
import { exactMatchScorer, toyCaptionData } from './testing/toy-data';
import { trainCaptioner } from './train-captioner';
import type { AutoBatchChoice } from './types';

const MB = 1024 * 1024;
let root: string | undefined;
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
  root = undefined;
});

const modelConfig = modelConfigSchema.parse({
  decoder: {
    embeddingSize: 16,
    hiddenSize: 32,
    attentionSize: 16,
    dropout: 0,
    cell: 'lstm',
    attention: true,
  },
});

describe("batchSize 'auto'", () => {
  it('probes the largest batch whose measured peak fits the budget, without changing the weights', async () => {
    const data = toyCaptionData({ images: 400, valImages: 10, seed: 3 });
    const spec = { decoder: modelConfig.decoder, featureShape: data.featureShape, vocabSize: data.vocabSize };
    const params = createDecoderParams(spec, 1);
    const norm = identityFeatureNorm(data.featureShape);
    const math = new DecoderMath(spec, params, norm);
    const source = featureSourceFor({
      modelConfig,
      trainingConfig: trainingConfigSchema.parse({}),
      data,
      checkpointsDir: '/nonexistent',
    });
    const before = Object.fromEntries(Object.entries(params).map(([n, v]) => [n, v.dataSync().slice()]));
    const tensors = tf.memory().numTensors;
    const probe = (budgetMB: number) =>
      probeBatchSize({
        math,
        trained: params,
        source,
        data,
        budgetBytes: budgetMB * MB,
        attentionRegularization: 1,
        samplingProbability: 0,
      });
    try {
      const small = await probe(1.5);
      const large = await probe(4);
      expect(tf.memory().numTensors).toBe(tensors);
      for (const [name, values] of Object.entries(before))
        expect(Array.from(params[name].dataSync()), name).toEqual(Array.from(values));
      expect(small.batchSize).toBeLessThan(large.batchSize);
      for (const p of [small, large]) {
        expect(p.peakBytes).toBeLessThanOrEqual(p.budgetBytes);
        // Largest: the next batch was measured not to fit (or the data set has no more captions).
        const next = p.trials.find((t) => t.batchSize === p.batchSize + 1);
        if (p.batchSize < Math.min(MAX_AUTO_BATCH, 400)) {
          expect(next, JSON.stringify(p.trials)).toBeDefined();
          expect(next!.peakBytes ?? Infinity).toBeGreaterThan(p.budgetBytes);
        }
      }
      await expect(probe(0.01)).rejects.toThrow(ConfigError);
    } finally {
      tf.dispose([...Object.values(params), ...Object.values(norm)]);
    }
  });

  it('trains with the chosen batch, reports it, stores it in checkpoints and keeps it on resume', async () => {
    const data = toyCaptionData({ images: 120, valImages: 8, seed: 4 });
    const M = data.train.captionImage.length;
    const run = async (budgetMB: number, dir: string, epochs = 1) => {
      const choices: AutoBatchChoice[] = [];
      const result = await trainCaptioner({
        modelConfig,
        trainingConfig: trainingConfigSchema.parse({
          epochs,
          batchSize: 'auto',
          memoryBudgetMB: budgetMB,
          checkpointEverySteps: 1000,
          earlyStoppingPatience: 0,
          validation: { maxImages: 4 },
        }),
        data,
        checkpointsDir: dir,
        resume: true,
        scoreCaptions: exactMatchScorer,
        onAutoBatch: (c) => void choices.push(c),
      });
      return { result, choices };
    };
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-auto-batch-'));
    const small = await run(2, path.join(root, 'small'));
    const large = await run(64, path.join(root, 'large'));
    expect(small.choices).toHaveLength(1);
    expect(small.choices[0]).toMatchObject({
      batchSize: small.result.batchSize,
      budgetMB: 2,
      backend: 'wasm',
    });
    expect(small.choices[0].peakMB).toBeLessThanOrEqual(2);
    expect(small.result.batchSize).toBeLessThan(large.result.batchSize);
    expect(large.result.batchSize).toBe(M); // 64 MB holds every caption of this data set in one step
    // Used: one epoch is ceil(M / batch) steps, and the checkpoint's loop state names the batch.
    expect(small.result.steps).toBe(Math.ceil(M / small.result.batchSize));
    const meta = (await readCheckpointDir(small.result.last.dir)).meta;
    expect((meta.training as { batchSize: number }).batchSize).toBe(small.result.batchSize);
    // A resumed run keeps the batch of its checkpoints, even under another budget, without probing.
    const resumed = await run(64, path.join(root, 'small'), 2);
    expect(resumed.choices).toHaveLength(0);
    expect(resumed.result.batchSize).toBe(small.result.batchSize);
    expect(resumed.result.steps).toBe(2 * Math.ceil(M / small.result.batchSize));
  });

  it('measures peaks as tf.memory() counts bytes, and has a default budget on every backend', async () => {
    const peak = peakBytesDuring(() => {
      const a = tf.zeros([1000]);
      const b = tf.zeros([3000]);
      a.dispose();
      b.dispose();
    });
    expect(peak - tf.memory().numBytes).toBe(16_000);
    const machine = os.totalmem() / MB;
    expect(await memoryBudgetMB('wasm')).toBeLessThanOrEqual(2048);
    expect(await memoryBudgetMB('cpu')).toBeLessThanOrEqual(Math.ceil(machine * 0.25));
    expect(await memoryBudgetMB('cpu')).toBeGreaterThan(0);
    expect(await memoryBudgetMB('tfjs-node-gpu', 3000)).toBe(3000);
  });
});
