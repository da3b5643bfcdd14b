import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

describe('Identity on wasm', () => {
  it('shares memory: a clone outlives its source, and memory is freed with the last of them', () => {
    const buffers = () => tf.backend().numDataIds();
    const before = buffers();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = x.clone();
    expect(buffers()).toBe(before + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.shape).toEqual([2, 3]);
    expect(buffers()).toBe(before + 1);
    y.dispose();
    expect(buffers()).toBe(before);
  });

  it('keeps what a custom gradient saved alive until its backward pass', () => {
    const square = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return {
        value: tf.square(x),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.mul(saved[0], 2)),
      };
    }) as never) as unknown as (x: tf.Tensor) => tf.Tensor;
    const grad = tf.grad((x: tf.Tensor) => tf.sum(square(tf.mul(x, 1))));
    expect(Array.from(grad(tf.tensor1d([1, -2, 3])).dataSync())).toEqual([2, -4, 6]);
  });
});
