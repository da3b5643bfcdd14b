import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomValues } from './compare-backends';
import { expectWasmMatchesCpu } from './test-support';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

const random = (shape: number[], seed: number) =>
  tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

/** Gradients of x and filter for sum(conv2d(x, f) * upstream), on the current backend. */
function convGrads(
  xShape: number[],
  fShape: number[],
  strides: number | [number, number],
  pad: 'same' | 'valid' | number,
): tf.Tensor[] {
  const x = random(xShape, 1) as tf.Tensor4D;
  const f = random(fShape, 2) as tf.Tensor4D;
  const outShape = tf.conv2d(x, f, strides, pad).shape;
  const upstream = random(outShape, 3);
  return tf.grads((xv: tf.Tensor, fv: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(xv as tf.Tensor4D, fv as tf.Tensor4D, strides, pad), upstream)),
  )([x, f]);
}

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm', () => {
  it.each([
    { x: [2, 9, 8, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 5], strides: 1, pad: 'valid' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 5], strides: 2, pad: 'same' },
    { x: [2, 10, 10, 4], f: [3, 3, 4, 6], strides: 2, pad: 'valid' },
    { x: [1, 11, 7, 2], f: [2, 4, 2, 3], strides: [2, 1], pad: 'same' },
    { x: [3, 6, 6, 8], f: [1, 1, 8, 4], strides: 2, pad: 'valid' },
    { x: [1, 15, 15, 3], f: [7, 7, 3, 4], strides: 2, pad: 'same' },
    { x: [2, 6, 6, 3], f: [3, 3, 3, 2], strides: 1, pad: 1 },
  ] as const)('x $x filter $f strides $strides pad $pad equals cpu', async ({ x, f, strides, pad }) => {
    await expectWasmMatchesCpu(() =>
      convGrads([...x], [...f], strides as number | [number, number], pad as 'same' | 'valid' | number),
    );
  });

  it('sums col2im blocks when the column matrix is split (> 4M floats)', async () => {
    // 31·31 output pixels × 7·7·96 = 4.5M column floats: two col2im blocks.
    await expectWasmMatchesCpu(() => convGrads([1, 62, 62, 96], [7, 7, 96, 1], 2, 'same'), 1e-3);
  });

  it('gives a known filter gradient', async () => {
    await tf.setBackend('wasm');
    // x = 1..9 in a 3×3 image, one channel; dy = 1 everywhere, 2×2 filter, valid: dW[i,j] = Σ of the
    // 2×2 input block at (i, j) = [[1+2+4+5, 2+3+5+6], [4+5+7+8, 5+6+8+9]].
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const dW = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(
      tf.zeros([2, 2, 1, 1]),
    );
    expect(Array.from(await dW.data())).toEqual([12, 16, 24, 28]);
    tf.dispose([x, dW]);
  });
});
