import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  END_ID,
  PAD_ID,
  START_ID,
  createEncoder,
  initBackend,
  saveEncoder,
  loadFineTunedEncoder,
  modelConfigSchema,
  readCheckpointDir,
} from '@captioner/model';
import { trainingConfigSchema } from './config';
import { exactMatchScorer } from './testing/toy-data';
import { trainCaptioner } from './train-captioner';
import type { TrainingData } from './types';

let root: string;
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const S = 32;
const words = [
  '<pad>',
  '<start>',
  '<end>',
  '<unk>',
  'a',
  'red',
  'blue',
  'square',
  'on',
  'the',
  'left',
  'right',
];
const id = (w: string) => words.indexOf(w);

/** Images with one red or blue square on the left or right, and their captions. */
function squares(count: number, offset: number): { images: Float32Array; captions: string[] } {
  const images = new Float32Array(count * S * S * 3).fill(-1);
  const captions: string[] = [];
  for (let i = 0; i < count; i++) {
    const colour = (i + offset) % 2;
    const side = Math.floor((i + offset) / 2) % 2;
    const x0 = side === 0 ? 4 : 20;
    for (let y = 10; y < 20; y++) {
      for (let x = x0; x < x0 + 8; x++) {
        const p = ((i * S + y) * S + x) * 3;
        images[p] = colour === 0 ? 1 : -1;
        images[p + 2] = colour === 0 ? -1 : 1;
      }
    }
    captions.push(`a ${colour === 0 ? 'red' : 'blue'} square on the ${side === 0 ? 'left' : 'right'}`);
  }
  return { images, captions };
}

describe('trainCaptioner with encoder.trainable', () => {
  it('fine-tunes the last block end to end from images, checkpoints the encoder weights, and keeps the rest frozen', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-finetune-'));
    const modelConfig = modelConfigSchema.parse({
      encoder: { kind: 'small-resnet', imageSize: S, trainable: true, trainableBlocks: 1 },
      decoder: { embeddingSize: 16, hiddenSize: 32, attentionSize: 16, dropout: 0 },
    });
    const encoder = await createEncoder(modelConfig.encoder, 3);
    const train = squares(24, 0);
    const val = squares(8, 1);
    const T = 8;
    const captions = new Int32Array(24 * T).fill(PAD_ID);
    train.captions.forEach((c, i) => captions.set([START_ID, ...c.split(' ').map(id), END_ID], i * T));
    const featureShape = {
      pooledSize: encoder.pooledSize,
      gridPositions: encoder.gridPositions,
      gridChannels: encoder.gridChannels,
    };
    const data: TrainingData = {
      vocabSize: words.length,
      featureShape,
      train: {
        pooled: new Float32Array(0),
        images: 24,
        captions,
        captionLength: T,
        captionImage: Int32Array.from({ length: 24 }, (_, i) => i),
      },
      val: { pooled: new Float32Array(0), images: 8, references: val.captions.map((c) => [c]) },
      decodeTokens: (ids) => ids.map((w) => words[w]).join(' '),
    };
    const frozenBefore = encoder.model.getLayer('conv1_conv').getWeights()[0].dataSync().slice();
    const tunedBefore = encoder.model.getLayer('conv4_block1_2_conv').getWeights()[0].dataSync().slice();
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    const result = await trainCaptioner({
      modelConfig,
      trainingConfig: trainingConfigSchema.parse({
        epochs: 6,
        batchSize: 8,
        learningRate: 0.01,
        encoderLearningRate: 0.0001,
        earlyStoppingPatience: 0,
      }),
      data,
      checkpointsDir: root,
      scoreCaptions: exactMatchScorer,
      fineTune: { encoder, trainImages: train.images, valImages: val.images },
      onProgress: (u) => void (u.figures?.loss !== undefined && losses.push(u.figures.loss)),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.steps).toBe(18);
    expect(losses[losses.length - 1], losses.map((l) => l.toFixed(2)).join(' ')).toBeLessThan(
      losses[0] * 0.6,
    );
    expect(Array.from(encoder.model.getLayer('conv1_conv').getWeights()[0].dataSync())).toEqual(
      Array.from(frozenBefore),
    );
    const tunedAfter = encoder.model.getLayer('conv4_block1_2_conv').getWeights()[0].dataSync();
    expect(Array.from(tunedAfter)).not.toEqual(Array.from(tunedBefore));

    const { tensors } = await readCheckpointDir(result.last.dir);
    expect(
      Object.keys(tensors)
        .filter((n) => n.startsWith('encoder/'))
        .sort(),
    ).toContain('encoder/conv4_block1_2_conv/kernel');
    expect(Object.keys(tensors).some((n) => n.startsWith('encoder/conv1_'))).toBe(false);
    await saveEncoder(encoder, path.join(root, 'encoder-initial'));
    const restored = await loadFineTunedEncoder(path.join(root, 'encoder-initial'), result.last.dir);
    expect(Array.from(restored.model.getLayer('conv4_block1_2_conv').getWeights()[0].dataSync())).toEqual(
      Array.from(tunedAfter),
    );
    restored.dispose();
    encoder.dispose();
  });
});
