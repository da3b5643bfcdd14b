import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '@captioner/stage-contract';
import { readRunConfigInput } from './run-config-input';

describe('readRunConfigInput', () => {
  it('applies --set values over the --config file, as JSON when they are JSON', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-config-input-'));
    try {
      const file = path.join(dir, 'run.json');
      await fs.writeFile(file, JSON.stringify({ training: { epochs: 1, batchSize: 8 } }));
      expect(
        await readRunConfigInput(file, ['training.epochs=3', 'model.decoder.cell=gru', 'training.epocs=abc']),
      ).toEqual({ training: { epochs: 3, batchSize: 8, epocs: 'abc' }, model: { decoder: { cell: 'gru' } } });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path the config schema would never see', async () => {
    for (const set of ['__proto__.seed=3', 'training..epochs=2', 'training.constructor=1'])
      await expect(readRunConfigInput(undefined, [set])).rejects.toThrow(UsageError);
  });

  it('lays --preset notebook under the --config file and --set, and the result resolves', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-config-input-'));
    try {
      const file = path.join(dir, 'run.json');
      await fs.writeFile(
        file,
        JSON.stringify({ training: { epochs: 2 }, model: { decoder: { hiddenSize: 64 } } }),
      );
      const input = await readRunConfigInput(file, ['preprocess.augment.horizontalFlip=true'], 'notebook');
      const config = resolveRunConfig(input);
      expect(config.model.encoder).toMatchObject({
        kind: 'resnet34',
        imageSize: 224,
        weights: 'resnet34',
        trainable: false,
      });
      expect(config.model.decoder).toMatchObject({
        cell: 'lstm',
        embeddingSize: 256,
        hiddenSize: 64,
        attention: false,
      });
      expect(config.preprocess).toMatchObject({
        imageSize: 224,
        resizeShorterTo: 256,
        augment: { horizontalFlip: true },
      });
      expect(config.training).toMatchObject({
        epochs: 2,
        batchSize: 32,
        learningRate: 0.001,
        checkpointEverySteps: 500,
      });
      expect(config.training.lrDecay.schedule).toBe('none');
      await expect(readRunConfigInput(undefined, [], 'colab')).rejects.toThrow(
        /--preset colab: unknown preset \(known: notebook\)/,
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
