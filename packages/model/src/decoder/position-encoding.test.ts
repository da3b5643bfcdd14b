import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@captioner/core/errors';
import { initBackend } from '@captioner/tfjs-backend';
import { SeededRandom } from '@captioner/core/random';
import { modelConfigSchema, savedModelConfigSchema } from '../config';
import type { ModelConfigInput } from '../config';
import { DecoderMath, gridCoordinates } from './decoder';
import { createDecoderParams, identityFeatureNorm, parameterShapes } from './params';

beforeAll(async () => {
  await initBackend('cpu');
});

const G = 9;
const C = 4;
const featureShape = { pooledSize: 5, gridPositions: G, gridChannels: C };

function math(positionEncoding: 'none' | 'coordinates'): DecoderMath {
  const config = modelConfigSchema.parse({
    decoder: { embeddingSize: 6, hiddenSize: 8, attentionSize: 5, positionEncoding },
  });
  const spec = { decoder: config.decoder, featureShape, vocabSize: 12 };
  return new DecoderMath(spec, createDecoderParams(spec, 3), identityFeatureNorm(featureShape));
}

/** The hidden state after one step over `grid`, for a fixed token and pooled vector. */
function firstStep(m: DecoderMath, grid: Float32Array): Float32Array {
  return tf.tidy(() => {
    const pooled = tf.tensor2d(
      Float32Array.from({ length: 5 }, (_, i) => i / 5),
      [1, 5],
    );
    const state = m.initialState(pooled, tf.tensor2d(grid, [1, G * C]));
    const out = m.step(state, m.projectInputs(m.embed(tf.tensor1d([4], 'int32'))));
    return out.state.h.dataSync() as Float32Array;
  });
}

/** The same features with two positions' vectors swapped: the same things, somewhere else. */
function swapPositions(grid: Float32Array, a: number, b: number): Float32Array {
  const out = Float32Array.from(grid);
  out.set(grid.subarray(a * C, (a + 1) * C), b * C);
  out.set(grid.subarray(b * C, (b + 1) * C), a * C);
  return out;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
}

describe('decoder.positionEncoding', () => {
  const random = new SeededRandom(7);
  const grid = Float32Array.from({ length: G * C }, () => random.normal());
  const moved = swapPositions(grid, 0, 8);

  it("'coordinates': what the decoder reads depends on where the features are", () => {
    const m = math('coordinates');
    expect(maxDifference(firstStep(m, grid), firstStep(m, moved))).toBeGreaterThan(1e-3);
  });

  it("'none': attention cannot tell where (moving features leaves the state unchanged)", () => {
    const m = math('none');
    expect(maxDifference(firstStep(m, grid), firstStep(m, moved))).toBeLessThan(1e-5);
  });

  it('appends column and row, centred and of unit variance, row-major like the encoder grid', () => {
    const coords = gridCoordinates(3);
    const values = Array.from(coords.dataSync());
    coords.dispose();
    const s = Math.sqrt(8 / 12);
    // position 1 is row 0, column 1; position 3 is row 1, column 0
    expect(values[2]).toBeCloseTo(0);
    expect(values[3]).toBeCloseTo(-1 / s);
    expect(values[6]).toBeCloseTo(-1 / s);
    expect(values[7]).toBeCloseTo(0);
    const m = math('coordinates');
    const state = tf.tidy(() => {
      const s0 = m.initialState(tf.zeros([1, 5]), tf.tensor2d(grid, [1, G * C]));
      return tf.keep(s0.grid!);
    });
    expect(state.shape).toEqual([1, G, C + 2]);
    const last = Array.from(tf.tidy(() => tf.slice(state, [0, 0, C], [1, G, 2]).dataSync()));
    expect(last.map((v, i) => v - values[i]).every((d) => Math.abs(d) < 1e-6)).toBe(true);
    state.dispose();
    expect(parameterShapes(m.spec).find((p) => p.name === 'cell/context_kernel')?.shape).toEqual([C + 2, 32]);
  });

  it('refuses a grid that is not square', () => {
    const config = modelConfigSchema.parse({ decoder: { positionEncoding: 'coordinates' } });
    const spec = {
      decoder: config.decoder,
      featureShape: { ...featureShape, gridPositions: 6 },
      vocabSize: 12,
    };
    expect(() => parameterShapes(spec)).toThrow(ConfigError);
  });

  it("is 'coordinates' for new configs and 'none' for saved configs written before the key existed", () => {
    expect(modelConfigSchema.parse({}).decoder.positionEncoding).toBe('coordinates');
    const old: ModelConfigInput = { decoder: { cell: 'lstm', attention: true } };
    expect(savedModelConfigSchema.parse(old).decoder.positionEncoding).toBe('none');
    expect(savedModelConfigSchema.parse({}).decoder.positionEncoding).toBe('none');
    const current = modelConfigSchema.parse({});
    expect(savedModelConfigSchema.parse(JSON.parse(JSON.stringify(current)))).toEqual(current);
  });
});
