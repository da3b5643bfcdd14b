import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '@captioner/core';
import { initBackend, loadCaptionModel, modelConfigSchema } from '@captioner/model';
import { trainingConfigSchema } from './config';
import { listCheckpoints } from './checkpoint-store';
import { exactMatchScorer, toyCaptionData } from './testing/toy-data';
import { trainCaptioner } from './train-captioner';
import type { CheckpointInfo, TrainingMetric } from './types';

let root: string;
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const model = (decoder: Record<string, unknown> = {}) =>
  modelConfigSchema.parse({
    decoder: { embeddingSize: 32, hiddenSize: 64, attentionSize: 32, dropout: 0, ...decoder },
  });

describe('trainCaptioner', () => {
  for (const [label, decoder] of [
    ['LSTM with attention', { cell: 'lstm', attention: true }],
    ['GRU without attention', { cell: 'gru', attention: false }],
  ] as const) {
    it(`learns a small synthetic data set (${label}): loss falls, decoded captions match`, async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-train-'));
      const data = toyCaptionData({ images: 200, valImages: 40, seed: 1 });
      const metrics: TrainingMetric[] = [];
      const checkpoints: CheckpointInfo[] = [];
      const pruned: string[] = [];
      const before = tf.memory().numTensors;
      const result = await trainCaptioner({
        modelConfig: model(decoder),
        trainingConfig: trainingConfigSchema.parse({
          epochs: 6,
          batchSize: 16,
          learningRate: 0.01,
          checkpointEverySteps: 20,
          keepLastCheckpoints: 2,
          logEverySteps: 5,
          earlyStoppingPatience: 0,
        }),
        data,
        checkpointsDir: root,
        scoreCaptions: exactMatchScorer,
        onMetric: (m) => void metrics.push(m),
        onCheckpoint: (c) => void checkpoints.push(c),
        onCheckpointPruned: (dir) => void pruned.push(dir),
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(result.steps).toBe(6 * 13);
      expect(result.epochs).toBe(6);

      const losses = metrics.filter((m) => m.name === 'train/loss').map((m) => m.value);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.2);
      expect(metrics.some((m) => m.name === 'train/tokens_per_second' && m.value > 0)).toBe(true);
      const val = metrics.filter((m) => m.name === 'val/CIDEr');
      expect(val).toHaveLength(6);

      // Step checkpoints every 20 steps plus one per epoch; only the last 2 and the best survive.
      expect(checkpoints.filter((c) => c.kind === 'epoch')).toHaveLength(6);
      expect(checkpoints.filter((c) => c.kind === 'step').map((c) => c.step)).toEqual([20, 40, 60]);
      const kept = (await listCheckpoints(root)).map((c) => c.dir);
      expect(kept).toContain(result.best!.dir);
      expect(kept).toContain(result.last.dir);
      expect(kept.length).toBeLessThanOrEqual(3);
      for (const dir of pruned) expect(kept).not.toContain(dir);
      expect(result.best!.valScore).toBe(Math.max(...val.map((m) => m.value)));
      expect(result.best!.valScore).toBeGreaterThanOrEqual(0.9);

      // The best checkpoint is self-contained: load it and caption training images.
      const captioner = await loadCaptionModel(result.best!.dir);
      const n = 20;
      const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
      const captions = await captioner.decode({
        pooled: data.train.pooled.subarray(0, n * P),
        grid: data.train.grid!.subarray(0, n * G * C),
        count: n,
      });
      const expected = Array.from({ length: n }, (_, i) => {
        const row = Array.from(data.train.captions.subarray(i * 8, (i + 1) * 8)).filter((t) => t > 2);
        return data.decodeTokens(row);
      });
      const matches = captions.filter((c, i) => data.decodeTokens(c) === expected[i]).length;
      expect(matches, JSON.stringify(captions.map(data.decodeTokens))).toBeGreaterThanOrEqual(18);
      captioner.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('on abort writes a checkpoint and throws CancelledError; resume continues from it', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-abort-'));
    const data = toyCaptionData({ images: 40, valImages: 10, seed: 2 });
    const controller = new AbortController();
    const options = {
      modelConfig: model({ attention: false }),
      trainingConfig: trainingConfigSchema.parse({ epochs: 2, batchSize: 10, checkpointEverySteps: 100 }),
      data,
      checkpointsDir: root,
      scoreCaptions: exactMatchScorer,
    };
    await expect(
      trainCaptioner({
        ...options,
        signal: controller.signal,
        onProgress: (u) => {
          if (u.figures?.step === 3) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect((await listCheckpoints(root)).map((c) => c.step)).toEqual([3]);
    const steps: number[] = [];
    const result = await trainCaptioner({
      ...options,
      resume: true,
      onProgress: (u) => void (u.figures?.step !== undefined && steps.push(u.figures.step)),
    });
    expect(steps[0]).toBe(4);
    expect(result.steps).toBe(8);
  });

  it('stops early when the validation score stops improving, and stays stopped on resume', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-early-'));
    const options = {
      modelConfig: model({ attention: false }),
      trainingConfig: trainingConfigSchema.parse({ epochs: 6, batchSize: 10, earlyStoppingPatience: 2 }),
      data: toyCaptionData({ images: 20, valImages: 4, seed: 2 }),
      checkpointsDir: root,
      scoreCaptions: () => ({ corpus: { CIDEr: 0.5 } }),
    };
    const result = await trainCaptioner(options);
    expect(result.stoppedBy).toBe('early-stopping');
    expect(result.epochs).toBe(3);
    expect(result.best!.epoch).toBe(1);
    const resumed = await trainCaptioner({ ...options, resume: true });
    expect(resumed.stoppedBy).toBe('early-stopping');
    expect(resumed.steps).toBe(result.steps);
  });

  it('stops as pruned when shouldPrune says so after an epoch, with that epoch checkpointed', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-pruned-'));
    const asked: Array<[number, number]> = [];
    const options = {
      modelConfig: model({ attention: false }),
      trainingConfig: trainingConfigSchema.parse({ epochs: 4, batchSize: 10 }),
      data: toyCaptionData({ images: 20, valImages: 4, seed: 2 }),
      checkpointsDir: root,
      scoreCaptions: () => ({ corpus: { CIDEr: 0.25 } }),
    };
    const result = await trainCaptioner({
      ...options,
      shouldPrune: async (epoch, valScore) => {
        asked.push([epoch, valScore]);
        return epoch === 2;
      },
    });
    expect(result.stoppedBy).toBe('pruned');
    expect(result.epochs).toBe(2);
    expect(result.last.epoch).toBe(2);
    expect(asked).toEqual([
      [1, 0.25],
      [2, 0.25],
    ]);
    // Resumed (say, after a crash before its evaluation), a pruned run does not train past its epoch.
    const resumed = await trainCaptioner({
      ...options,
      resume: true,
      prunedAtEpoch: 2,
      shouldPrune: () => Promise.reject(new Error('not asked: no epoch is trained')),
    });
    expect(resumed.stoppedBy).toBe('pruned');
    expect(resumed.steps).toBe(result.steps);
    expect(resumed.last.dir).toBe(result.last.dir);
  });

  it('rejects data that does not fit the model with a clear error', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-bad-'));
    const data = toyCaptionData({ images: 10, valImages: 2, seed: 2 });
    data.train.captions[3] = 999;
    await expect(
      trainCaptioner({
        modelConfig: model(),
        trainingConfig: trainingConfigSchema.parse({}),
        data,
        checkpointsDir: root,
        scoreCaptions: exactMatchScorer,
      }),
    ).rejects.toThrow(/outside the vocabulary/);
  });
});
