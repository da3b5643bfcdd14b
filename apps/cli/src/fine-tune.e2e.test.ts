import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRunLogs, openDatabase } from '@captioner/db';
import { initBackend, loadEncoder, loadModelBundle, readCheckpointDir } from '@captioner/model';
import { TINY_RUN_CONFIG, runCliJson, synthShapesDataset } from './testing/cli';

/**
 * The tiny run, with the encoder's last residual block trained end to end (fast enough to see it move),
 * through cross-entropy and a short self-critical phase.
 */
const FINE_TUNE_CONFIG = {
  ...TINY_RUN_CONFIG,
  model: {
    ...TINY_RUN_CONFIG.model,
    encoder: { imageSize: 32, trainable: true, trainableBlocks: 1 },
  },
  training: {
    ...TINY_RUN_CONFIG.training,
    encoderLearningRate: 0.001,
    selfCritical: { epochs: 1, samples: 2, batchSize: 8, learningRate: 0.001, imagesPerEpoch: 24 },
  },
};

/**
 * Cross-entropy fine-tuning alone streams the images from small image shards through a small shuffle
 * buffer, with flips and crops applied per batch.
 */
const STREAMED_CONFIG = {
  ...TINY_RUN_CONFIG,
  shardSize: 8,
  preprocess: {
    ...TINY_RUN_CONFIG.preprocess,
    augment: { horizontalFlip: true, cropScale: 0.8 },
  },
  model: FINE_TUNE_CONFIG.model,
  training: {
    ...TINY_RUN_CONFIG.training,
    encoderLearningRate: 0.001,
    input: { shuffleBuffer: 10, prefetchShards: 1 },
  },
};

interface RunJson {
  id: string;
  status: string;
  checkpoints: Array<{ isBest: boolean; path: string; step: number }>;
  evaluations: Array<{ id: string; status: string; imageCount: number }>;
}

interface EvaluationJson {
  best: Array<{ imageId: string; candidate: string }>;
}

describe('a run with encoder.trainable (local executor)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-fine-tune-'));
    env = { CAPTIONER_HOME: home, REDIS_URL: '', DATABASE_URL: '', CAPTIONER_LOG_LEVEL: 'warn' };
    await fs.writeFile(path.join(home, 'run.json'), JSON.stringify(FINE_TUNE_CONFIG));
    await fs.writeFile(path.join(home, 'streamed.json'), JSON.stringify(STREAMED_CONFIG));
    await initBackend('wasm');
    await synthShapesDataset(home, env);
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('trains the encoder with the decoder and evaluates, captions and exports with the fine-tuned encoder', async () => {
    const started = await runCliJson<{ id: string; status: string }>(
      ['run', 'start', '--dataset', 'tiny', '--config', path.join(home, 'run.json')],
      env,
    );
    expect(started.status).toBe('succeeded');
    const run = await runCliJson<RunJson>(['run', 'show', started.id], env);

    // The best checkpoint holds the trained block's weights, and training moved them.
    const best = run.checkpoints.find((c) => c.isBest)!;
    const { tensors } = await readCheckpointDir(best.path);
    const encoderWeights = Object.keys(tensors).filter((name) => name.startsWith('encoder/'));
    expect(encoderWeights.length).toBeGreaterThan(0);
    expect(encoderWeights.every((name) => name.includes('conv4_block'))).toBe(true);
    const initial = await loadEncoder(path.join(home, 'runs', run.id, 'encoder'));
    const moved = initial.model.weights.filter((w) => {
      const saved = tensors[`encoder/${w.originalName}`];
      if (!saved) return false;
      const before = w.read().dataSync();
      return saved.data.some((v, i) => v !== before[i]);
    });
    initial.dispose();
    expect(moved.length).toBeGreaterThan(0);

    // The self-critical phase trained the encoder too: its checkpoint carries the block, changed again.
    const selfCritical = run.checkpoints.find((c) => c.path.includes(`${path.sep}self-critical${path.sep}`));
    expect(selfCritical).toBeDefined();
    const scstTensors = (await readCheckpointDir(selfCritical!.path)).tensors;
    const crossEntropyEnd = run.checkpoints
      .filter((c) => !c.path.includes('self-critical'))
      .sort((a, b) => b.step - a.step)[0];
    const xeTensors = (await readCheckpointDir(crossEntropyEnd.path)).tensors;
    expect(Object.keys(scstTensors).filter((n) => n.startsWith('encoder/'))).toEqual(encoderWeights);
    expect(encoderWeights.some((n) => scstTensors[n].data.some((v, i) => v !== xeTensors[n].data[i]))).toBe(
      true,
    );

    // The pipeline's evaluation, `caption --run` and the exported bundle all caption the test images with
    // the fine-tuned encoder, so they agree image by image.
    expect(run.evaluations[0]).toMatchObject({ status: 'succeeded', imageCount: 6 });
    // The evaluation re-encoded the split with the fine-tuned encoder on the extract stage's engine
    // (ONNX Runtime when it loads) and said which in the run's log.
    const database = await openDatabase(`file:${path.join(home, 'captioner.db')}`);
    try {
      const logs = await listRunLogs(database.client, run.id, {});
      expect(logs.map((l) => l.message)).toContainEqual(
        expect.stringMatching(/^evaluation eval-\w+: fine-tuned encoder run on onnx \(cpu\)$/),
      );
    } finally {
      await database.close();
    }
    const evaluation = await runCliJson<EvaluationJson>(
      ['eval', 'show', run.evaluations[0].id, '--samples', '6'],
      env,
    );
    const imageIds = evaluation.best.map((s) => s.imageId);
    expect(new Set(imageIds).size).toBe(6);
    const files = imageIds.map((id) => path.join(home, 'shapes', 'images', `${id}.png`));
    const fromRun = await runCliJson<Array<{ caption: string }>>(
      ['caption', ...files, '--run', run.id, '--beam', '2'],
      env,
    );
    expect(fromRun.map((c) => c.caption)).toEqual(evaluation.best.map((s) => s.candidate));

    const bundleDir = path.join(home, 'bundle');
    await runCliJson(['export', run.id, '--out', bundleDir], env);
    const fromBundle = await runCliJson<Array<{ caption: string }>>(
      ['caption', ...files, '--model', bundleDir, '--beam', '2'],
      env,
    );
    expect(fromBundle).toEqual(fromRun);
    const bundle = await loadModelBundle(bundleDir);
    try {
      const exported = new Map(
        bundle.encoder.model.weights.map((w) => [w.originalName, w.read().dataSync()]),
      );
      for (const name of encoderWeights) {
        expect(Array.from(exported.get(name.slice('encoder/'.length))!)).toEqual(
          Array.from(tensors[name].data),
        );
      }
    } finally {
      bundle.encoder.dispose();
      bundle.captioner.dispose();
      tf.disposeVariables();
    }
  });

  it('streams the images from image shards when only cross-entropy fine-tunes the encoder', async () => {
    const started = await runCliJson<{ id: string; status: string }>(
      ['run', 'start', '--dataset', 'tiny', '--config', path.join(home, 'streamed.json')],
      env,
    );
    expect(started.status).toBe('succeeded');
    const run = await runCliJson<RunJson>(['run', 'show', started.id], env);
    const database = await openDatabase(`file:${path.join(home, 'captioner.db')}`);
    try {
      const logs = (await listRunLogs(database.client, run.id, {})).map((l) => l.message);
      const streamed = logs
        .map((m) =>
          /^training streams (\d+) image shards \(shuffle buffer 10 captions, 1 read ahead\)$/.exec(m),
        )
        .find(Boolean);
      expect(streamed, logs.join('\n')).toBeDefined();
      expect(Number(streamed![1])).toBeGreaterThan(2);
    } finally {
      await database.close();
    }
    const best = run.checkpoints.find((c) => c.isBest)!;
    const { tensors } = await readCheckpointDir(best.path);
    const initial = await loadEncoder(path.join(home, 'runs', run.id, 'encoder'));
    const moved = initial.model.weights.filter((w) => {
      const saved = tensors[`encoder/${w.originalName}`];
      return saved !== undefined && saved.data.some((v, i) => v !== w.read().dataSync()[i]);
    });
    initial.dispose();
    expect(moved.length).toBeGreaterThan(0);
    expect(run.evaluations[0]).toMatchObject({ status: 'succeeded', imageCount: 6 });
  });
});
