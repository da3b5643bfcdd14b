import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

describe('MaxPoolGrad on wasm', () => {
  it('sends each window gradient to its first maximum, also for ties and negatives', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d([0, 0, -3, -1, 0, 0, -2, -5, -4, -6, -1, -1, -7, -8, -2, -9], [1, 4, 4, 1]);
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(x);
    // Windows: all 0 (first wins: index 0), max -1 at 3, max -4 at 8, tie of -1 at 10 and 11 (10 wins).
    expect(Array.from(await dx.data())).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    tf.dispose([x, dx]);
  });
});
