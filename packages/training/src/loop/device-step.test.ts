import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DecoderMath,
  createDecoderParams,
  identityFeatureNorm,
  initBackend,
  modelConfigSchema,
  randomCaptionBatch,
} from '@captioner/model';
import type { CaptionBatch, TrainingPath } from '@captioner/model';
import { Adam } from './adam';
import { trainStep } from './train-step';
import { countHostReads } from './testing/host-reads';

afterAll(async () => {
  await initBackend('wasm');
});

const V = 30;
const featureShape = { pooledSize: 6, gridPositions: 4, gridChannels: 5 };

function batch(seed: number): CaptionBatch {
  return randomCaptionBatch({
    size: 6,
    captionLength: 10,
    vocabSize: V,
    pooledSize: 6,
    grid: { positions: 4, channels: 5 },
    lengths: 'random',
    seed,
  });
}

/**
 * Two optimizer steps on `backend` through `path`, the second with its host reads counted; returns the
 * losses, the reads and the weights after both steps. Gradient clipping is active (norm limit 0.05).
 */
async function twoSteps(
  backend: 'wasm' | 'cpu',
  decoder: { cell: 'lstm' | 'gru'; attention: boolean },
  path: TrainingPath,
) {
  await initBackend(backend);
  const config = modelConfigSchema.parse({
    decoder: { embeddingSize: 8, hiddenSize: 12, attentionSize: 5, dropout: 0.2, ...decoder },
  });
  const spec = { decoder: config.decoder, featureShape, vocabSize: V };
  const params = createDecoderParams(spec, 7);
  const norm = identityFeatureNorm(featureShape);
  const math = new DecoderMath(spec, params, norm);
  const adam = new Adam(params);
  const before = tf.memory().numTensors;
  const options = (seed: number) => ({
    seed,
    learningRate: 0.01,
    gradClipNorm: 0.05,
    samplingProbability: 0,
    attentionRegularization: 0.5,
    path,
  });
  try {
    const first = trainStep(math, adam, batch(1), options(1));
    const losses = [first.dataSync()[0]];
    first.dispose();
    const reads = countHostReads(() => trainStep(math, adam, batch(2), options(2)));
    const second = reads.result as tf.Scalar;
    losses.push(second.dataSync()[0]);
    second.dispose();
    expect(tf.memory().numTensors, 'tensors leaked by the steps').toBe(before);
    const weights = Object.fromEntries(
      Object.entries(params).map(([name, v]) => [name, v.dataSync() as Float32Array]),
    );
    return { losses, reads, weights };
  } finally {
    adam.dispose();
    tf.dispose([...Object.values(params), ...Object.values(norm)]);
  }
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  return worst / scale;
}

describe('a training step on the backend-neutral (device) path', () => {
  for (const decoder of [
    { cell: 'lstm', attention: false },
    { cell: 'lstm', attention: true },
    { cell: 'gru', attention: false },
    { cell: 'gru', attention: true },
  ] as const) {
    const label = `${decoder.cell.toUpperCase()} ${decoder.attention ? 'with' : 'without'} attention`;
    it(`reads nothing back to the host and reaches the wasm path's weights (cpu): ${label}`, async () => {
      const wasm = await twoSteps('wasm', decoder, 'wasm');
      const device = await twoSteps('cpu', decoder, 'device');
      // The counter sees the wasm path's reads (Adam's norm, cross-entropy rows, scatter-add gradients)...
      expect(wasm.reads.syncThroughTensors).toBeGreaterThan(0);
      // ...and none on the device path: no dataSync/arraySync/data inside the step.
      expect(device.reads.syncThroughTensors).toBe(0);
      expect(device.reads.asyncThroughTensors).toBe(0);
      // What the cpu backend reads inside its own kernels (GatherV2 and UnsortedSegmentSum read their
      // operands with bufferSync): a few per step, never per time step.
      expect(device.reads.insideKernels).toBeLessThanOrEqual(8);
      for (let i = 0; i < 2; i++)
        expect(Math.abs(device.losses[i] - wasm.losses[i]) / wasm.losses[i]).toBeLessThanOrEqual(1e-5);
      for (const name of Object.keys(wasm.weights))
        expect(relativeError(device.weights[name], wasm.weights[name]), name).toBeLessThanOrEqual(1e-5);
    });
  }

  it('is what trainStep picks by itself on cpu (no host read without naming the path)', async () => {
    await initBackend('cpu');
    const config = modelConfigSchema.parse({
      decoder: { embeddingSize: 8, hiddenSize: 12, attention: false },
    });
    const spec = { decoder: config.decoder, featureShape, vocabSize: V };
    const params = createDecoderParams(spec, 7);
    const norm = identityFeatureNorm(featureShape);
    const adam = new Adam(params);
    try {
      const reads = countHostReads(() =>
        trainStep(new DecoderMath(spec, params, norm), adam, batch(3), {
          seed: 1,
          learningRate: 0.01,
          gradClipNorm: 5,
          samplingProbability: 0,
          attentionRegularization: 0,
        }),
      );
      (reads.result as tf.Scalar).dispose();
      expect(reads.syncThroughTensors + reads.asyncThroughTensors).toBe(0);
    } finally {
      adam.dispose();
      tf.dispose([...Object.values(params), ...Object.values(norm)]);
    }
  });
});
