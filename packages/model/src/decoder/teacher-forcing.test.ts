import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/tfjs-backend';
import { modelConfigSchema } from '../config';
import { SeededRandom } from '@captioner/core/random';
import { PAD_ID } from '@captioner/core/special-tokens';
import { DecoderMath } from './decoder';
import { createDecoderParams, identityFeatureNorm } from './params';
import type { CaptionBatch } from './teacher-forcing';
import { attentionTargetMask, teacherForcedLoss, timeMajorTokens } from './teacher-forcing';
import { randomCaptionBatch } from './random-batch';

beforeAll(async () => {
  await initBackend('wasm');
});

function batch(B: number, T: number, V: number, P: number, seed: number): CaptionBatch {
  return randomCaptionBatch({
    size: B,
    captionLength: T,
    vocabSize: V,
    pooledSize: P,
    lengths: 'random',
    seed,
  });
}

describe('teacherForcedLoss', () => {
  it('scoring only real tokens equals the masked mean over every padded row', () => {
    const config = modelConfigSchema.parse({
      decoder: { embeddingSize: 8, hiddenSize: 12, attention: false, dropout: 0 },
    });
    const featureShape = { pooledSize: 6, gridPositions: 0, gridChannels: 0 };
    const spec = { decoder: config.decoder, featureShape, vocabSize: 25 };
    const params = createDecoderParams(spec, 4);
    const norm = identityFeatureNorm(featureShape);
    const math = new DecoderMath(spec, params, norm);
    const b = batch(6, 10, 25, 6, 5);
    expect(timeMajorTokens(b).tokens).toBeLessThan(timeMajorTokens(b).mask.length);
    const loss = (samplingProbability: number) =>
      tf.tidy(
        () =>
          teacherForcedLoss(math, b, {
            seed: 1,
            training: true,
            samplingProbability,
            attentionRegularization: 0,
          }).dataSync()[0],
      );
    // A sampling probability that never flips a coin runs the step-by-step path, which scores all rows with a mask.
    expect(loss(0)).toBeCloseTo(loss(1e-12), 5);
    tf.dispose([...Object.values(params), ...Object.values(norm)]);
  });

  type Path = 'wasm' | 'device' | 'autodiff';
  it('weights each caption by captionWeights (the self-critical loss), on every training path', () => {
    for (const attention of [false, true]) {
      const config = modelConfigSchema.parse({
        decoder: { embeddingSize: 8, hiddenSize: 12, attentionSize: 4, attention, dropout: 0 },
      });
      const featureShape = {
        pooledSize: 6,
        gridPositions: attention ? 4 : 0,
        gridChannels: attention ? 6 : 0,
      };
      const spec = { decoder: config.decoder, featureShape, vocabSize: 25 };
      const params = createDecoderParams(spec, 4);
      const norm = identityFeatureNorm(featureShape);
      const math = new DecoderMath(spec, params, norm);
      const random = new SeededRandom(9);
      const b = batch(4, 10, 25, 6, 7);
      if (attention) b.grid = Float32Array.from({ length: 4 * 24 }, () => random.normal());
      const options = { seed: 1, training: false, samplingProbability: 0, attentionRegularization: 0 };
      const loss = (batchOf: CaptionBatch, path: Path) =>
        tf.tidy(() => teacherForcedLoss(math, batchOf, { ...options, path }).dataSync()[0]);
      // Sum of per-token losses of one caption, as the mean over the batch's tokens weighs it.
      const tokens = timeMajorTokens(b).tokens;
      const single = (row: number, path: Path) => {
        const weights = new Float32Array(4);
        weights[row] = 1;
        return loss({ ...b, captionWeights: weights }, path) * tokens;
      };
      const weights = Float32Array.from([1.5, -0.5, 0, 2]);
      for (const path of ['wasm', 'device', 'autodiff'] as const) {
        expect(loss({ ...b, captionWeights: new Float32Array(4).fill(1) }, path)).toBeCloseTo(
          loss(b, path),
          5,
        );
        let expected = 0;
        for (let row = 0; row < 4; row++) expected += weights[row] * single(row, path);
        expect(loss({ ...b, captionWeights: weights }, path) * tokens).toBeCloseTo(expected, 3);
      }
      tf.dispose([...Object.values(params), ...Object.values(norm)]);
    }
  });

  it('masks padding: time-major targets count only real tokens', () => {
    const b = batch(3, 8, 20, 4, 1);
    const tm = timeMajorTokens(b);
    let real = 0;
    for (let i = 0; i < b.captions.length; i++) if (b.captions[i] !== PAD_ID && i % 8 !== 0) real++;
    expect(tm.tokens).toBe(real);
    expect(Array.from(tm.mask).reduce((a, c) => a + c, 0)).toBe(real);
  });

  for (const [label, decoder] of [
    ['LSTM (hand-written BPTT)', { cell: 'lstm', attention: false }],
    ['LSTM with attention (shared transposes)', { cell: 'lstm', attention: true }],
    ['GRU with attention', { cell: 'gru', attention: true }],
  ] as const) {
    it(`the wasm path gives the same loss and gradients as plain autodiff: ${label}`, () => {
      const config = modelConfigSchema.parse({
        decoder: { embeddingSize: 8, hiddenSize: 12, attentionSize: 5, dropout: 0.25, ...decoder },
      });
      const featureShape = { pooledSize: 6, gridPositions: 4, gridChannels: 4 };
      const spec = { decoder: config.decoder, featureShape, vocabSize: 25 };
      const params = createDecoderParams(spec, 4);
      const norm = identityFeatureNorm(featureShape);
      const math = new DecoderMath(spec, params, norm);
      const b = batch(5, 9, 25, 6, 2);
      const random = new SeededRandom(9);
      b.grid = Float32Array.from({ length: 5 * 4 * 4 }, () => random.normal());
      const before = tf.memory().numTensors;
      const run = (path: 'wasm' | 'autodiff') =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() =>
            teacherForcedLoss(math, b, {
              seed: 3,
              training: true,
              samplingProbability: 0,
              attentionRegularization: 0.5,
              path,
            }),
          );
          return {
            value: value.dataSync()[0],
            grads: Object.fromEntries(
              Object.entries(params).map(([n, v]) => [n, Array.from(grads[v.name].dataSync())]),
            ),
          };
        });
      const fused = run('wasm');
      const plain = run('autodiff');
      expect(tf.memory().numTensors).toBe(before);
      expect(fused.value).toBeCloseTo(plain.value, 5);
      expect(fused.value).toBeGreaterThan(Math.log(25) * 0.5);
      for (const name of Object.keys(params)) {
        const a = fused.grads[name];
        const p = plain.grads[name];
        const scale = Math.max(...p.map(Math.abs), 1e-6);
        const worst = Math.max(...a.map((v, i) => Math.abs(v - p[i])));
        expect(worst / scale, name).toBeLessThan(1e-4);
      }
      tf.dispose([...Object.values(params), ...Object.values(norm)]);
    });
  }
});

/**
 * An attention decoder over a 2x2 grid (its positions are the cells of a 2x2 partition) and a batch of 4
 * captions of 8 slots whose words all look at cell `cellOf(b)` of caption b; `attentionCells` is left to
 * the caller.
 */
function attentionSetup(decoder: Record<string, unknown>, cellOf: (b: number) => number) {
  const config = modelConfigSchema.parse({
    decoder: { embeddingSize: 8, hiddenSize: 12, attentionSize: 8, attention: true, dropout: 0, ...decoder },
  });
  const featureShape = { pooledSize: 6, gridPositions: 4, gridChannels: 6 };
  const spec = { decoder: config.decoder, featureShape, vocabSize: 25 };
  const params = createDecoderParams(spec, 4);
  const norm = identityFeatureNorm(featureShape);
  const math = new DecoderMath(spec, params, norm);
  const random = new SeededRandom(3);
  const b = batch(4, 8, 25, 6, 11);
  b.grid = Float32Array.from({ length: 4 * 24 }, () => random.normal());
  const cells = {
    cells: Int8Array.from({ length: 4 * 8 }, (_, k) =>
      b.captions[k] === PAD_ID ? -1 : cellOf(Math.floor(k / 8)),
    ),
    grid: 2,
  };
  const dispose = () => tf.dispose([...Object.values(params), ...Object.values(norm)]);
  return { math, params, b, cells, dispose };
}

describe('attention supervision', () => {
  it('maps each grid position to its cell, step t to token t + 1, and leaves tokens without a cell free', () => {
    // 2 captions of 4 slots; a 2x2 grid whose positions are the cells of a 2x2 partition.
    const cells = Int8Array.from([-1, 3, 0, -1, -1, -1, 2, -1]);
    const target = attentionTargetMask({ cells, grid: 2 }, 3, 2, 4, 4)!;
    expect(target.supervised).toBe(3);
    const row = (t: number, b: number) => [...target.mask.subarray((t * 2 + b) * 4, (t * 2 + b + 1) * 4)];
    expect(row(0, 0)).toEqual([0, 0, 0, 1]);
    expect(row(0, 1)).toEqual([1, 1, 1, 1]);
    expect(row(1, 0)).toEqual([1, 0, 0, 0]);
    expect(row(1, 1)).toEqual([0, 0, 1, 0]);
    expect(row(2, 0)).toEqual([1, 1, 1, 1]);
    // A 4x4 grid over a 2x2 partition: each cell holds a 2x2 block of positions.
    const coarse = attentionTargetMask({ cells: Int8Array.from([-1, 1]), grid: 2 }, 1, 1, 2, 16)!;
    expect([...coarse.mask]).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => attentionTargetMask({ cells, grid: 2 }, 3, 2, 4, 6)).toThrow(/square feature grid/);
  });

  it('hardAttention: words with a target cell read it (teacher-forced attention); soft attention ignores the cells', () => {
    for (const hardAttention of [false, true]) {
      // Every word of caption b looks at cell 3 - b.
      const { math, b, cells, dispose } = attentionSetup({ hardAttention }, (row) => 3 - row);
      const options = { seed: 1, training: false, samplingProbability: 0, attentionRegularization: 0 };
      const loss = () => tf.tidy(() => teacherForcedLoss(math, b, options).dataSync()[0]);
      const free = loss();
      b.attentionCells = cells;
      if (hardAttention) expect(loss()).not.toBeCloseTo(free, 4);
      else expect(loss()).toBe(free);
      dispose();
    }
  });

  it('adds -log of the attention on the target cells, and training on it moves attention there', async () => {
    // Every word of caption b looks at cell b.
    const { math, params, b, cells, dispose } = attentionSetup({}, (row) => row);
    b.attentionCells = cells;
    const options = { seed: 1, training: false, samplingProbability: 0, attentionRegularization: 0 };
    const loss = (weight: number) =>
      tf.tidy(() => teacherForcedLoss(math, b, { ...options, attentionSupervision: weight }).dataSync()[0]);
    // The term by hand: mean over supervised steps of -log alpha[cell], alphas from the decoding steps.
    const tm = timeMajorTokens(b);
    const byHand = tf.tidy(() => {
      let state = math.initialState(tf.tensor2d(b.pooled, [4, 6]), tf.tensor2d(b.grid!, [4, 24]));
      let sum = 0;
      let count = 0;
      for (let t = 0; t < tm.steps; t++) {
        const out = math.step(
          state,
          math.projectInputs(math.embed(tf.tensor1d(tm.inputs.subarray(t * 4, t * 4 + 4), 'int32'))),
        );
        state = out.state;
        const alpha = out.alpha!.arraySync();
        for (let row = 0; row < 4; row++) {
          const cell = b.attentionCells!.cells[row * 8 + t + 1];
          if (cell < 0) continue;
          sum -= Math.log(alpha[row][cell] + 1e-6);
          count++;
        }
      }
      return sum / count;
    });
    expect(loss(2) - loss(0)).toBeCloseTo(2 * byHand, 4);

    const onTargets = () => loss(1) - loss(0);
    const before = onTargets();
    const adamOptimizer = tf.train.adam(0.05);
    const variables = Object.values(params) as tf.Variable[];
    for (let step = 0; step < 30; step++)
      adamOptimizer.minimize(
        () => teacherForcedLoss(math, b, { ...options, attentionSupervision: 1 }),
        false,
        variables,
      );
    expect(onTargets()).toBeLessThan(before / 4);
    adamOptimizer.dispose();
    dispose();
  });
});
