import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomValues } from './compare-backends';
import { expectWasmMatchesCpu } from './test-support';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

describe('UnsortedSegmentSum on wasm', () => {
  it.each([
    { xShape: [7, 3], ids: [0, 2, 2, 4, 0, 1, 2], numSegments: 5 },
    { xShape: [6, 2, 2], ids: [1, 0, 1, 1, 3, 0], numSegments: 4 },
    { xShape: [6], ids: [0, 0, 0, 1, 1, 2], numSegments: 3 },
    { xShape: [4, 2], ids: [-1, 1, 9, 1], numSegments: 3 },
  ])('sums $xShape into $numSegments segments like cpu', async ({ xShape, ids, numSegments }) => {
    const size = xShape.reduce((a, b) => a * b, 1);
    await expectWasmMatchesCpu(() => [
      tf.unsortedSegmentSum(tf.tensor(randomValues(size, 3), xShape), tf.tensor1d(ids, 'int32'), numSegments),
      tf.unsortedSegmentSum(
        tf.tensor(
          Array.from({ length: size }, (_, i) => i - 3),
          xShape,
          'int32',
        ),
        tf.tensor1d(ids, 'int32'),
        numSegments,
      ),
    ]);
  });

  it('gives known sums, including dropped out-of-range ids', async () => {
    await tf.setBackend('wasm');
    const out = tf.unsortedSegmentSum(
      tf.tensor1d([1, 2, 3, 4, 5]),
      tf.tensor1d([1, 1, -1, 0, 7], 'int32'),
      3,
    );
    expect(Array.from(await out.data())).toEqual([4, 3, 0]);
    out.dispose();
  });

  it('gives embedding (gather) gradients like cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const table = tf.tensor2d(randomValues(40 * 8, 5), [40, 8]);
      const ids = tf.tensor2d(
        [
          [3, 7, 7, 0],
          [39, 3, 3, 3],
        ],
        [2, 4],
        'int32',
      );
      const upstream = tf.tensor3d(randomValues(2 * 4 * 8, 6), [2, 4, 8]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), upstream)))(table);
    });
  });
});
