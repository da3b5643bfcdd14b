import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { randomValues } from './compare-backends';
import { expectWasmMatchesCpu } from './test-support';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

describe('Sum on wasm', () => {
  it.each([
    { shape: [7, 3], axis: [0], keepDims: false },
    { shape: [7, 3], axis: [0], keepDims: true },
    { shape: [4, 3, 5], axis: [0, 1], keepDims: false },
    { shape: [4, 3, 5], axis: [1, 0], keepDims: true },
    { shape: [4, 3, 5], axis: [0], keepDims: false },
    { shape: [4, 3, 5], axis: [2], keepDims: false },
    { shape: [4, 3], axis: [0, 1], keepDims: false },
    { shape: [6], axis: [0], keepDims: false },
  ])('sums $shape over $axis (keepDims $keepDims) like cpu', async ({ shape, axis, keepDims }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    await expectWasmMatchesCpu(() => [
      tf.sum(tf.tensor(randomValues(size, 4), shape), axis, keepDims),
      tf.sum(
        tf.tensor(
          Array.from({ length: size }, (_, i) => i - 5),
          shape,
          'int32',
        ),
        axis,
        keepDims,
      ),
    ]);
  });
});
