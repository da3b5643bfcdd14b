import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CorruptArtifactError } from '@captioner/core';
import { initBackend, modelConfigSchema } from '@captioner/model';
import { trainingConfigSchema } from './config';
import { listCheckpoints } from './checkpoint-store';
import { exactMatchScorer, toyCaptionData } from './testing/toy-data';
import { trainCaptioner } from './train-captioner';

let root: string;
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('the loop state of a checkpoint', () => {
  it('is checked on resume: a state that does not match names the checkpoint file and the field', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-loop-state-'));
    const options = {
      modelConfig: modelConfigSchema.parse({
        decoder: { embeddingSize: 16, hiddenSize: 16, attention: false, dropout: 0 },
      }),
      trainingConfig: trainingConfigSchema.parse({ epochs: 2, batchSize: 10, checkpointEverySteps: 100 }),
      data: toyCaptionData({ images: 20, valImages: 4, seed: 3 }),
      checkpointsDir: root,
      scoreCaptions: exactMatchScorer,
    };
    await trainCaptioner({ ...options, trainingConfig: { ...options.trainingConfig, epochs: 1 } });
    const [checkpoint] = await listCheckpoints(root);
    const metaFile = path.join(checkpoint.dir, 'checkpoint.json');
    const meta = JSON.parse(await fs.readFile(metaFile, 'utf8'));
    expect(meta.training.cursor).toEqual({ epoch: 1, batch: 0 });

    // A state from another loop (the cursor was once a flat step count): resuming from it would train garbage.
    await fs.writeFile(metaFile, JSON.stringify({ ...meta, training: { ...meta.training, cursor: 2 } }));
    const resumed = trainCaptioner({ ...options, resume: true });
    await expect(resumed).rejects.toBeInstanceOf(CorruptArtifactError);
    await expect(resumed).rejects.toThrow(`${metaFile}: training.cursor:`);

    // Put back, the same checkpoint resumes to the end.
    await fs.writeFile(metaFile, JSON.stringify(meta));
    const result = await trainCaptioner({ ...options, resume: true });
    expect(result.epochs).toBe(2);
  });
});
