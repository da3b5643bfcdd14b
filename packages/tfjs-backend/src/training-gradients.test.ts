import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareCase, randomValues } from './compare-backends';
import { GRADIENT_CASES } from './gradient-cases';
import { expectWasmMatchesCpu } from './test-support';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

beforeAll(() => registerWasmTrainingKernels());

describe('gradients on wasm with the training kernels', () => {
  it.each(GRADIENT_CASES.map((c) => [c.name, c] as const))(
    '%s: value and gradients equal cpu',
    async (_name, c) => {
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      expect(await compareCase(c, 'wasm')).toBeLessThanOrEqual(1e-4);
      await tf.setBackend('wasm');
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('trains a small conv + embedding + LSTM model with clipped Adam to the same weights as cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const init = (shape: number[], seed: number) =>
        tf.variable(
          tf.tensor(
            randomValues(
              shape.reduce((a, b) => a * b, 1),
              seed,
            ).map((v) => v * 0.3),
            shape,
          ),
        );
      const weights = {
        conv: init([3, 3, 3, 4], 1),
        embedding: init([10, 4], 2),
        lstmKernel: init([8, 16], 3),
        lstmBias: init([16], 4),
        out: init([4, 10], 5),
      };
      const images = tf.tensor4d(randomValues(2 * 8 * 8 * 3, 6), [2, 8, 8, 3]);
      const tokens = tf.tensor1d([3, 9], 'int32');
      const targets = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10);
      const optimizer = tf.train.adam(0.01);
      for (let step = 0; step < 2; step++) {
        const { grads } = tf.variableGrads(() => {
          const features = tf.conv2d(images, weights.conv as tf.Tensor4D, 2, 'same');
          const pooled = tf.mean(tf.maxPool(tf.relu(features), 2, 2, 'valid'), [1, 2]) as tf.Tensor2D;
          const embedded = tf.gather(weights.embedding, tokens) as tf.Tensor2D;
          const [, h] = tf.basicLSTMCell(
            tf.scalar(1),
            weights.lstmKernel as tf.Tensor2D,
            weights.lstmBias as tf.Tensor1D,
            embedded,
            tf.zerosLike(pooled),
            pooled,
          );
          return tf.losses.softmaxCrossEntropy(targets, tf.matMul(h, weights.out)) as tf.Scalar;
        });
        const names = Object.keys(grads);
        const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
        const scale = tf.div(1, tf.maximum(norm, 1));
        optimizer.applyGradients(Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)])));
      }
      optimizer.dispose();
      const trained = Object.values(weights).map((v) => v.clone());
      tf.dispose(Object.values(weights));
      return trained;
    });
  });
});
