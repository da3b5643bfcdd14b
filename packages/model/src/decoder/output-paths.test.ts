import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@captioner/core/errors';
import { initBackend } from '@captioner/tfjs-backend';
import { SeededRandom } from '@captioner/core/random';
import { modelConfigSchema, savedModelConfigSchema } from '../config';
import { DecoderMath, gridCoordinates } from './decoder';
import type { ForcedAttention } from './decoder';
import { createDecoderParams, identityFeatureNorm, parameterShapes } from './params';

beforeAll(async () => {
  await initBackend('cpu');
});

const G = 9;
const C = 4;
const H = 8;
const featureShape = { pooledSize: 5, gridPositions: G, gridChannels: C };

function math(decoder: Record<string, unknown>): DecoderMath {
  const config = modelConfigSchema.parse({
    decoder: { embeddingSize: 6, hiddenSize: H, attentionSize: 5, ...decoder },
  });
  const spec = { decoder: config.decoder, featureShape, vocabSize: 12 };
  return new DecoderMath(spec, createDecoderParams(spec, 3), identityFeatureNorm(featureShape));
}

const random = new SeededRandom(5);
const grid = Float32Array.from({ length: G * C }, () => random.normal());
const pooled = Float32Array.from({ length: 5 }, (_, i) => i / 5);

/**
 * Two steps over the same image: each step's output, hidden state, attention and attended coordinates;
 * `forced`: the teacher-forced attention of each step (hardAttention).
 */
function twoSteps(m: DecoderMath, forced: Array<ForcedAttention | undefined> = []) {
  return tf.tidy(() => {
    let state = m.initialState(tf.tensor2d(pooled, [1, 5]), tf.tensor2d(grid, [1, G * C]));
    const steps = [];
    for (const [t, token] of [4, 5].entries()) {
      const out = m.step(state, m.projectInputs(m.embed(tf.tensor1d([token], 'int32'))), forced[t]);
      state = out.state;
      steps.push({
        output: out.output.arraySync()[0],
        h: out.state.h.arraySync()[0],
        alpha: out.alpha!.arraySync()[0],
        where: out.state.where?.arraySync()[0],
      });
    }
    return steps;
  });
}

describe('the output paths of an attention decoder', () => {
  it('by default the output layer reads the hidden state only, and old artifacts read as such', () => {
    const plain = math({});
    expect(parameterShapes(plain.spec).map((p) => p.name)).not.toContain('output/context_kernel');
    for (const step of twoSteps(plain)) expect(step.output).toEqual(step.h);
    const saved = savedModelConfigSchema.parse({ decoder: { positionEncoding: 'coordinates' } });
    expect(saved.decoder).toMatchObject({ contextToOutput: false, attentionShift: false });
  });

  it('contextToOutput adds the projected context to the hidden state before the output layer', () => {
    const m = math({ contextToOutput: true });
    const kernel = m.params['output/context_kernel'].arraySync() as number[][];
    expect([kernel.length, kernel[0].length]).toEqual([C + 2, H]);
    const [first] = twoSteps(m);
    // The context by hand: attention-weighted grid with its coordinates, times the gate.
    const coordinates = gridCoordinates(3).arraySync() as number[][];
    const h0 = tf.tidy(
      () => m.initialState(tf.tensor2d(pooled, [1, 5]), tf.tensor2d(grid, [1, G * C])).h.arraySync()[0],
    );
    const gateKernel = m.params['attention/gate_kernel'].arraySync() as number[][];
    const gateBias = m.params['attention/gate_bias'].arraySync() as number[];
    const context = Array.from({ length: C + 2 }, (_, k) => {
      let sum = 0;
      for (let p = 0; p < G; p++) sum += first.alpha[p] * (k < C ? grid[p * C + k] : coordinates[p][k - C]);
      let gate = gateBias[k];
      h0.forEach((v, j) => (gate += v * gateKernel[j][k]));
      return sum / (1 + Math.exp(-gate));
    });
    first.output.forEach((value, j) => {
      const added = context.reduce((s, v, k) => s + v * kernel[k][j], 0);
      expect(value).toBeCloseTo(first.h[j] + added, 5);
    });
  });

  it('attentionShift keeps where attention looked and feeds how far it moved to the cell and the output', () => {
    const m = math({ contextToOutput: true, attentionShift: true });
    const names = parameterShapes(m.spec).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['cell/shift_kernel', 'output/shift_kernel']));
    const steps = twoSteps(m);
    const coordinates = gridCoordinates(3).arraySync() as number[][];
    for (const step of steps) {
      const expected = [0, 1].map((d) => step.alpha.reduce((s, a, p) => s + a * coordinates[p][d], 0));
      expect(step.where![0]).toBeCloseTo(expected[0], 5);
      expect(step.where![1]).toBeCloseTo(expected[1], 5);
    }
    // Zeroing the shift kernels changes both the cell (h) and the output: the shift reaches both.
    const withShift = steps[1];
    for (const name of ['cell/shift_kernel', 'output/shift_kernel'])
      m.params[name].assign(tf.zerosLike(m.params[name]));
    const without = twoSteps(m)[1];
    expect(without.h).not.toEqual(withShift.h);
    expect(without.output).not.toEqual(withShift.output);
  });

  it('hardAttention reads the most attended position, or the teacher-forced one, and learns through the choice', () => {
    const decoder = { contextToOutput: true, attentionShift: true };
    const soft = math(decoder);
    const hard = math({ ...decoder, hardAttention: true });
    // Same seed, same parameters: the first step's weights agree, what is read from them does not.
    const [softFirst] = twoSteps(soft);
    const [hardFirst] = twoSteps(hard);
    expect(hardFirst.alpha).toEqual(softFirst.alpha);
    const coordinates = gridCoordinates(3).arraySync() as number[][];
    const argmax = hardFirst.alpha.indexOf(Math.max(...hardFirst.alpha));
    expect(hardFirst.where![0]).toBeCloseTo(coordinates[argmax][0], 6);
    expect(hardFirst.where![1]).toBeCloseTo(coordinates[argmax][1], 6);
    expect(hardFirst.output).not.toEqual(softFirst.output);

    // A forced row reads its target; an unforced row (rows 0) still chooses its own position.
    const target = argmax === 0 ? 8 : 0;
    const oneHot = Array.from({ length: G }, (_, p) => (p === target ? 1 : 0));
    const forced = (row: number) => [{ alpha: tf.tensor2d([oneHot]), rows: tf.tensor2d([[row]]) }];
    const [forcedFirst] = twoSteps(hard, forced(1));
    expect(forcedFirst.where![0]).toBeCloseTo(coordinates[target][0], 6);
    expect(forcedFirst.where![1]).toBeCloseTo(coordinates[target][1], 6);
    expect(twoSteps(hard, forced(0))[0].where).toEqual(hardFirst.where);

    // Straight through: the output's gradient reaches the attention weights despite the argmax.
    const grads = tf.tidy(() => {
      const { grads: g } = tf.variableGrads(() => {
        const state = hard.initialState(tf.tensor2d(pooled, [1, 5]), tf.tensor2d(grid, [1, G * C]));
        const out = hard.step(state, hard.projectInputs(hard.embed(tf.tensor1d([4], 'int32'))));
        return tf.sum(hard.logits(out.output)) as tf.Scalar;
      }, [hard.params['attention/score_kernel']]);
      return tf.abs(g[hard.params['attention/score_kernel'].name]).sum().arraySync() as number;
    });
    expect(grads).toBeGreaterThan(0);
  });

  it('attentionShift without coordinates is refused', () => {
    expect(() => math({ attentionShift: true, positionEncoding: 'none' })).toThrow(ConfigError);
  });
});
