import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@captioner/core';
import { SeededRandom } from '@captioner/core/random';
import { initBackend } from '@captioner/tfjs-backend';
import { encoderConfigSchema } from '../config';
import type { EncoderConfig } from '../config';
import { ImageEncoder } from '../encoder/image-encoder';
import { buildResNet } from '../encoder/resnet';
import { layersModelToOnnx, tfPads } from './layers-to-onnx';
import { OnnxImageEncoder } from './onnx-encoder';

beforeAll(async () => {
  await initBackend('wasm');
});

function images(n: number, size: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: n * size * size * 3 }, () => random.next() * 2 - 1);
}

/**
 * Gives every batch norm non-trivial statistics (He-initialised ones are the identity, which would not
 * catch a mixed-up gamma/beta/mean/variance) and every bias a value.
 */
function perturb(model: tf.LayersModel, seed: number): void {
  const random = new SeededRandom(seed);
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const isBn = layer.getClassName() === 'BatchNormalization';
    layer.setWeights(
      weights.map((w, i) => {
        if (!isBn && i === 0) return w; // conv kernels keep their He initialisation
        const values = Float32Array.from({ length: w.size }, () =>
          isBn && i === 3 ? 0.5 + random.next() : isBn && i === 0 ? 0.5 + random.next() : random.next() - 0.5,
        );
        return tf.tensor(values, w.shape);
      }),
    );
  }
}

/** max |a - b| / max |b|. */
function relativeDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

async function compare(config: EncoderConfig, n: number): Promise<void> {
  const model = buildResNet(config, 3);
  perturb(model, 11);
  const tfjs = new ImageEncoder(config, 3, model);
  const onnx = await OnnxImageEncoder.fromImageEncoder(tfjs, { threads: 1 });
  try {
    expect([onnx.pooledSize, onnx.gridPositions, onnx.gridChannels]).toEqual([
      tfjs.pooledSize,
      tfjs.gridPositions,
      tfjs.gridChannels,
    ]);
    const input = images(n, config.imageSize, 5);
    const expected = await tfjs.encode(input, n);
    const actual = await onnx.encode(input, n);
    expect(relativeDiff(actual.pooled, expected.pooled)).toBeLessThanOrEqual(1e-4);
    expect(relativeDiff(actual.grid, expected.grid)).toBeLessThanOrEqual(1e-4);
  } finally {
    tfjs.dispose();
    await onnx.dispose();
  }
}

describe('ONNX export of the encoders', () => {
  for (const kind of ['small-resnet', 'resnet18', 'resnet34', 'resnet50'] as const) {
    it(`${kind} at 64 px: ONNX Runtime gives tfjs' pooled and grid features`, async () => {
      await compare(encoderConfigSchema.parse({ kind, imageSize: 64 }), 2);
    });
  }

  it('small-resnet at an odd size (asymmetric same padding) matches', async () => {
    await compare(encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 37 }), 1);
  });

  it('small-resnet ending in a cell head (uneven 3x3 cells of an 8x8 map, softmax) matches', async () => {
    await compare(
      encoderConfigSchema.parse({
        kind: 'small-resnet',
        imageSize: 64,
        width: 8,
        cellHead: { grid: 3, classes: 7 },
      }),
      2,
    );
  });

  it('resnet18 at 224 px matches', async () => {
    await compare(encoderConfigSchema.parse({ kind: 'resnet18', imageSize: 224 }), 1);
  });

  it('exports other standard layers: biased conv with relu, zero padding before pooling, average pooling', async () => {
    const input = tf.input({ shape: [19, 19, 3] });
    let x = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
      .apply(input);
    x = tf.layers
      .zeroPadding2d({
        padding: [
          [1, 0],
          [0, 1],
        ],
      })
      .apply(x);
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x);
    x = tf.layers.conv2d({ filters: 6, kernelSize: 2, padding: 'same', useBias: false }).apply(x);
    x = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid' }).apply(x);
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    perturb(model, 2);
    const config = encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 19 });
    const tfjs = new ImageEncoder(config, 0, model);
    const onnx = await OnnxImageEncoder.fromImageEncoder(tfjs, { threads: 1 });
    const pixels = images(3, 19, 9);
    const [expected, actual] = [await tfjs.encode(pixels, 3), await onnx.encode(pixels, 3)];
    expect(relativeDiff(actual.grid, expected.grid)).toBeLessThanOrEqual(1e-5);
    expect(relativeDiff(actual.pooled, expected.pooled)).toBeLessThanOrEqual(1e-5);
    tfjs.dispose();
    await onnx.dispose();
  });

  it("computes TensorFlow's same padding, extra row and column at the end", () => {
    expect(tfPads('same', [64, 64], [3, 3], [2, 2])).toEqual([0, 0, 1, 1]);
    expect(tfPads('same', [37, 37], [3, 3], [2, 2])).toEqual([1, 1, 1, 1]);
    expect(tfPads('same', [8, 8], [3, 3], [1, 1])).toEqual([1, 1, 1, 1]);
    expect(tfPads('valid', [8, 8], [3, 3], [1, 1])).toEqual([0, 0, 0, 0]);
  });

  it('refuses a layer it cannot translate, naming it', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const x = tf.layers
      .conv2d({ name: 'odd_conv', filters: 2, kernelSize: 3, activation: 'tanh' })
      .apply(input);
    const model = tf.model({ inputs: input, outputs: x as tf.SymbolicTensor });
    expect(() => layersModelToOnnx(model)).toThrow(InvalidInputError);
    expect(() => layersModelToOnnx(model)).toThrow(/odd_conv.*tanh/);
    model.dispose();
  });
});
