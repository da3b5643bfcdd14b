import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/tfjs-backend';
import { modelConfigSchema } from '../config';
import { DecoderMath } from './decoder';
import { createDecoderParams, identityFeatureNorm } from './params';
import type { CaptionBatch, LossOptions } from './teacher-forcing';
import { teacherForcedLoss } from './teacher-forcing';
import { randomCaptionBatch } from './random-batch';
import { trainingPathFor } from './training-path';

afterAll(async () => {
  await initBackend('wasm');
});

const V = 25;
const featureShape = { pooledSize: 6, gridPositions: 4, gridChannels: 4 };

/** Captions of random lengths (so that padding rows exist) with features, the same on every call. */
function batch(): CaptionBatch {
  return randomCaptionBatch({
    size: 5,
    captionLength: 9,
    vocabSize: V,
    pooledSize: 6,
    grid: { positions: 4, channels: 4 },
    lengths: 'random',
    seed: 2,
  });
}

/** Loss and every parameter's gradient, computed on `backend` through `path`, as plain arrays. */
async function lossAndGrads(
  backend: 'wasm' | 'cpu',
  decoder: { cell: 'lstm' | 'gru'; attention: boolean; contextToOutput?: boolean; attentionShift?: boolean },
  path: LossOptions['path'],
  samplingProbability = 0,
): Promise<{ value: number; grads: Record<string, Float32Array> }> {
  await initBackend(backend);
  const config = modelConfigSchema.parse({
    decoder: { embeddingSize: 8, hiddenSize: 12, attentionSize: 5, dropout: 0.25, ...decoder },
  });
  const spec = { decoder: config.decoder, featureShape, vocabSize: V };
  const params = createDecoderParams(spec, 4);
  const norm = identityFeatureNorm(featureShape);
  const math = new DecoderMath(spec, params, norm);
  const before = tf.memory().numTensors;
  try {
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() =>
        teacherForcedLoss(math, batch(), {
          seed: 3,
          training: true,
          samplingProbability,
          attentionRegularization: 0.5,
          path,
        }),
      );
      return {
        value: value.dataSync()[0],
        grads: Object.fromEntries(
          Object.entries(params).map(([n, v]) => [n, grads[v.name].dataSync() as Float32Array]),
        ),
      };
    });
  } finally {
    expect(tf.memory().numTensors, 'tensors leaked by the loss computation').toBe(before);
    tf.dispose([...Object.values(params), ...Object.values(norm)]);
  }
}

/** Largest difference relative to the reference's largest magnitude. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

describe('the backend-neutral (device) training path', () => {
  it('is chosen by backend name: wasm keeps its fast path, every other backend takes the device path', () => {
    expect(trainingPathFor('wasm')).toBe('wasm');
    for (const name of ['cpu', 'tfjs-node', 'tfjs-node-gpu', 'tensorflow', 'webgl'])
      expect(trainingPathFor(name)).toBe('device');
  });

  for (const decoder of [
    { cell: 'lstm', attention: false },
    { cell: 'lstm', attention: true },
    { cell: 'gru', attention: false },
    { cell: 'gru', attention: true },
    { cell: 'lstm', attention: true, contextToOutput: true, attentionShift: true },
    { cell: 'lstm', attention: true, contextToOutput: true, attentionShift: true, hardAttention: true },
  ] as const) {
    const extras =
      ('attentionShift' in decoder ? ', context and attention shift at the output' : '') +
      ('hardAttention' in decoder ? ', hard attention' : '');
    const label = `${decoder.cell.toUpperCase()} ${decoder.attention ? 'with' : 'without'} attention${extras}`;
    it(`on cpu gives the wasm path's loss and gradients within 1e-5: ${label}`, async () => {
      const wasm = await lossAndGrads('wasm', decoder, 'wasm');
      const device = await lossAndGrads('cpu', decoder, 'device');
      // The default path on cpu is the device path.
      const byDefault = await lossAndGrads('cpu', decoder, undefined);
      expect(wasm.value).toBeGreaterThan(Math.log(V) * 0.5);
      expect(Math.abs(device.value - wasm.value) / Math.abs(wasm.value)).toBeLessThanOrEqual(1e-5);
      expect(byDefault.value).toBe(device.value);
      for (const name of Object.keys(wasm.grads)) {
        expect(relativeError(device.grads[name], wasm.grads[name]), name).toBeLessThanOrEqual(1e-5);
        expect(Math.max(...wasm.grads[name].map(Math.abs)), `${name} has a gradient`).toBeGreaterThan(0);
      }
    });
  }

  it('with scheduled sampling, equals plain autodiff on cpu', async () => {
    const decoder = { cell: 'lstm', attention: true } as const;
    const device = await lossAndGrads('cpu', decoder, 'device', 0.5);
    const autodiff = await lossAndGrads('cpu', decoder, 'autodiff', 0.5);
    expect(Math.abs(device.value - autodiff.value) / autodiff.value).toBeLessThanOrEqual(1e-5);
    for (const name of Object.keys(autodiff.grads))
      expect(relativeError(device.grads[name], autodiff.grads[name]), name).toBeLessThanOrEqual(1e-5);
  });
});
