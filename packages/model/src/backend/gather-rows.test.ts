import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { randomValues } from './compare-backends';
import { expectWasmMatchesCpu } from './test-support';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

describe('GatherV2 on wasm', () => {
  it.each([
    { xShape: [7, 3], ids: [0, 6, 2, 2, 5], axis: 0 },
    { xShape: [5, 2, 3], ids: [4, 0, 1], axis: 0 },
    { xShape: [6], ids: [5, 0, 3, 3], axis: 0 },
    { xShape: [4, 5], ids: [1, 4, 0], axis: 1 },
    { xShape: [4, 5], ids: [3, 0], axis: -2 },
  ])('gathers $ids of $xShape along axis $axis like cpu', async ({ xShape, ids, axis }) => {
    const size = xShape.reduce((a, b) => a * b, 1);
    await expectWasmMatchesCpu(() => [
      tf.gather(tf.tensor(randomValues(size, 2), xShape), tf.tensor1d(ids, 'int32'), axis),
      tf.gather(
        tf.tensor(
          Array.from({ length: size }, (_, i) => i - 4),
          xShape,
          'int32',
        ),
        tf.tensor2d(ids, [1, ids.length], 'int32'),
        axis,
      ),
    ]);
  });
});
