import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { randomValues } from './compare-backends';
import { expectWasmMatchesCpu } from './test-support';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

describe('Transpose on wasm', () => {
  it.each([
    { shape: [37, 70], perm: [1, 0] },
    { shape: [3, 33, 5], perm: [0, 2, 1] },
    { shape: [3, 4, 5], perm: [2, 0, 1] },
    { shape: [1, 64], perm: [1, 0] },
  ])('transposes $shape by $perm like cpu', async ({ shape, perm }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    await expectWasmMatchesCpu(() => [
      tf.transpose(tf.tensor(randomValues(size, 6), shape), perm),
      tf.transpose(
        tf.tensor(
          Array.from({ length: size }, (_, i) => i - 7),
          shape,
          'int32',
        ),
        perm,
      ),
    ]);
  });
});
