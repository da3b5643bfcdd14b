import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrainingDivergedError, isPermanentError } from '@captioner/core';
import { initBackend, modelConfigSchema } from '@captioner/model';
import { trainingConfigSchema } from './config';
import { exactMatchScorer, toyCaptionData } from './testing/toy-data';
import { trainCaptioner } from './train-captioner';

let root: string;
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('a loss that is not finite', () => {
  it('stops training with a permanent TrainingDivergedError naming the step', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-diverged-'));
    const data = toyCaptionData({ images: 20, valImages: 4, seed: 3 });
    // One NaN feature poisons the feature statistics, hence every standardised feature and the loss.
    data.train.pooled[0] = Number.NaN;
    const training = trainCaptioner({
      modelConfig: modelConfigSchema.parse({
        decoder: { embeddingSize: 16, hiddenSize: 16, attention: false, dropout: 0 },
      }),
      trainingConfig: trainingConfigSchema.parse({ epochs: 1, batchSize: 10 }),
      data,
      checkpointsDir: root,
      scoreCaptions: exactMatchScorer,
    });
    const error = await training.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(isPermanentError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^training diverged at step 1: loss NaN/);
  });
});
