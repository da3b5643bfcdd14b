import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { randomValues } from './compare-backends';
import { expectWasmMatchesCpu } from './test-support';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

describe('Slice on wasm', () => {
  it.each([
    { shape: [9, 5], begin: [3, 0], size: [4, 5] },
    { shape: [9, 5], begin: [2, 1], size: [3, 3] },
    { shape: [9, 5], begin: [0, 4], size: [-1, 1] },
    { shape: [4, 3, 5], begin: [1, 0, 0], size: [2, 3, 5] },
    { shape: [4, 3, 5], begin: [1, 1, 2], size: [2, 2, 2] },
    { shape: [7], begin: [2], size: [4] },
  ])('slices $shape from $begin by $size like cpu', async ({ shape, begin, size }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    await expectWasmMatchesCpu(() => [
      tf.slice(tf.tensor(randomValues(n, 8), shape), begin, size),
      tf.slice(
        tf.tensor(
          Array.from({ length: n }, (_, i) => i - 9),
          shape,
          'int32',
        ),
        begin,
        size,
      ),
    ]);
  });
});
