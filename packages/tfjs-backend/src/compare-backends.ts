import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@captioner/core';
import type { GradientCase } from './gradient-cases';

/** Deterministic pseudo-random floats (SeededRandom), so both backends see the same inputs. */
export function randomValues(size: number, seed: number, positive = false): Float32Array {
  const values = new Float32Array(size);
  const random = new SeededRandom(seed).next;
  for (let i = 0; i < size; i++) {
    const uniform = random();
    values[i] = positive ? uniform : (uniform - 0.5) * 3.4;
  }
  return values;
}

/** The loss and the gradient of each input of one case, run on one backend, as plain arrays. */
export interface CaseResult {
  loss: number;
  gradients: Float32Array[];
}

/** Runs a case on the current backend; leaves no tensor behind. */
export function runCase(testCase: GradientCase, seed = 1): CaseResult {
  return tf.tidy(() => {
    const inputs = testCase.shapes.map((shape, i) =>
      tf.tensor(
        randomValues(
          shape.reduce((a, b) => a * b, 1),
          seed + i,
          testCase.positive,
        ),
        shape,
      ),
    );
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => testCase.loss(...xs))(inputs);
    return {
      loss: value.dataSync()[0],
      gradients: grads.map((g) => g.dataSync() as Float32Array),
    };
  });
}

/** Largest |a - b| / (1 + |b|) over all elements: a relative error that tolerates values near 0. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
  }
  return worst;
}

/** Runs a case on both backends and returns the worst relative error of loss and gradients. */
export async function compareCase(
  testCase: GradientCase,
  backend: string,
  reference = 'cpu',
): Promise<number> {
  await tf.setBackend(reference);
  const expected = runCase(testCase);
  await tf.setBackend(backend);
  const actual = runCase(testCase);
  let worst = maxRelativeError([actual.loss], [expected.loss]);
  actual.gradients.forEach((g, i) => {
    worst = Math.max(worst, maxRelativeError(g, expected.gradients[i]));
  });
  return worst;
}
