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

describe('BatchMatMul and _FusedMatMul on wasm with transposed, swapped or folded operands', () => {
  const cases = [
    { a: [37, 19], b: [19, 23], transposeA: false, transposeB: false },
    { a: [19, 37], b: [19, 23], transposeA: true, transposeB: false },
    { a: [37, 19], b: [23, 19], transposeA: false, transposeB: true },
    { a: [19, 37], b: [23, 19], transposeA: true, transposeB: true },
    { a: [3, 5, 4], b: [3, 6, 4], transposeA: false, transposeB: true },
    { a: [2, 3, 4, 5], b: [2, 3, 4, 6], transposeA: true, transposeB: false },
    { a: [3, 4, 5], b: [6, 4], transposeA: true, transposeB: true },
    { a: [1, 8], b: [1, 8], transposeA: true, transposeB: false },
    // Few rows times a big flagged matrix: computed with operands swapped.
    { a: [3, 40], b: [50, 40], transposeA: false, transposeB: true },
    { a: [40, 3], b: [50, 40], transposeA: true, transposeB: true },
    { a: [1, 3, 40], b: [1, 50, 40], transposeA: false, transposeB: true },
    // Batched A times unbatched B: one product of stacked rows.
    { a: [3, 5, 4], b: [4, 6], transposeA: false, transposeB: false },
    { a: [2, 3, 5, 4], b: [1, 4, 6], transposeA: false, transposeB: false },
    { a: [2, 4, 5], b: [1, 1, 6, 4], transposeA: true, transposeB: true },
  ];

  it.each(cases)('matMul $a x $b (tA=$transposeA, tB=$transposeB) equals cpu', async (c) => {
    await expectWasmMatchesCpu(() => tf.matMul(random(c.a, 1), random(c.b, 2), c.transposeA, c.transposeB));
  });

  it.each(cases.slice(0, 4))(
    'fused matMul + bias + relu $a x $b (tA=$transposeA, tB=$transposeB) equals cpu',
    async (c) => {
      const outer = c.transposeB ? c.b[0] : c.b[1];
      await expectWasmMatchesCpu(() =>
        tf.fused.matMul({
          a: random(c.a, 1),
          b: random(c.b, 2),
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          bias: random([outer], 3),
          activation: 'relu',
        }),
      );
    },
  );

  it('gives matmul gradients (which use both flags) like cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.sin(tf.matMul(a, b, false, true))));
      return grads([random([9, 7], 4), random([5, 7], 5)]);
    });
  });

  it('gives the exact product of small integers', async () => {
    await tf.setBackend('wasm');
    const product = tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      tf.tensor2d([
        [1, 0, 2],
        [0, 1, 1],
      ]),
      true,
      true,
    );
    expect(await product.array()).toEqual([
      [11, 8],
      [14, 10],
    ]);
    product.dispose();
  });

  it('is idempotent: registering again keeps one wrapper', async () => {
    const before = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
    registerWasmTrainingKernels();
    expect(tf.getKernel('BatchMatMul', 'wasm').kernelFunc).toBe(before);
  });
});
