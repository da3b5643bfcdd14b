import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@captioner/core';
import { initBackend } from '@captioner/tfjs-backend';
import { encoderConfigSchema } from '../config';
import { SeededRandom } from '@captioner/core/random';
import { createEncoder, loadEncoder, saveEncoder } from './encoder-files';
import { buildResNet } from './resnet';
import { saveLayersModel } from '../io/layers-model-io';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function images(n: number, size: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: n * size * size * 3 }, () => random.next() * 2 - 1);
}

describe('ImageEncoder', () => {
  it('small-resnet gives pooled features and an 8x8 grid for 64 px, deterministic per seed, and round-trips through save/load', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-encoder-'));
    const before = tf.memory().numTensors;
    const config = encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 64 });
    const a = await createEncoder(config, 7);
    const b = await createEncoder(config, 7);
    expect([a.pooledSize, a.gridPositions, a.gridChannels]).toEqual([128, 64, 128]);
    const input = images(2, 64, 1);
    const fa = await a.encode(input, 2);
    const fb = await b.encode(input, 2);
    expect(fa.pooled).toHaveLength(2 * 128);
    expect(fa.grid).toHaveLength(2 * 64 * 128);
    expect(Buffer.from(fa.grid.buffer).equals(Buffer.from(fb.grid.buffer))).toBe(true);
    // pooled is the mean of the grid over positions
    let mean = 0;
    for (let g = 0; g < 64; g++) mean += fa.grid[g * 128 + 5];
    expect(fa.pooled[5]).toBeCloseTo(mean / 64, 4);
    await saveEncoder(a, dir);
    const loaded = await loadEncoder(dir);
    const fl = await loaded.encode(input, 2);
    expect(Array.from(fl.pooled)).toEqual(Array.from(fa.pooled));
    expect(loaded.config).toEqual(config);
    [a, b, loaded].forEach((e) => e.dispose());
    expect(tf.memory().numTensors).toBe(before);
    await expect(a.encode(new Float32Array(5), 1)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('builds ResNet-18/34/50 with the expected feature sizes and Keras layer names', () => {
    const expectations = {
      resnet18: [512, 20],
      resnet34: [512, 36],
      resnet50: [2048, 53],
      'keras-resnet50': [2048, 53],
    } as const;
    for (const [kind, [channels, convs]] of Object.entries(expectations)) {
      const model = buildResNet(encoderConfigSchema.parse({ kind, imageSize: 64 }), 1);
      expect(model.outputs[0].shape).toEqual([null, 2, 2, channels]);
      const conv = model.layers.filter((l) => l.name.endsWith('_conv'));
      expect(conv.length).toBe(convs);
      // torchvision's convolutions have no bias, Keras' have one.
      const weightsPerConv = kind === 'keras-resnet50' ? 2 : 1;
      expect(conv.every((l) => l.weights.length === weightsPerConv)).toBe(true);
      if (kind === 'resnet50') {
        // v1.5: the stride of a stage's first bottleneck is on the 3x3 conv.
        const strides = (name: string) => (model.getLayer(name).getConfig().strides as number[])[0];
        expect([strides('conv3_block1_1_conv'), strides('conv3_block1_2_conv')]).toEqual([1, 2]);
      }
      if (kind === 'keras-resnet50') {
        for (const name of [
          'conv1_conv',
          'conv1_bn',
          'conv2_block1_0_conv',
          'conv2_block3_3_bn',
          'conv5_block3_out',
        ])
          expect(model.getLayer(name)).toBeDefined();
      }
      model.dispose();
    }
  });

  it('loads pretrained weights by layer name and lists every mismatch', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-pretrained-'));
    const config = encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 32 });
    // "Pretrained" = another seed's weights, saved as a tfjs LayersModel.
    const source = buildResNet(config, 99);
    await saveLayersModel(source, path.join(dir, 'good'));
    const expected = source.getLayer('conv3_block1_1_conv').getWeights()[0].dataSync();
    const encoder = await createEncoder({ ...config, weights: path.join(dir, 'good') }, 1);
    expect(Array.from(encoder.model.getLayer('conv3_block1_1_conv').getWeights()[0].dataSync())).toEqual(
      Array.from(expected),
    );
    encoder.dispose();
    source.dispose();

    // A model of another width: every conv kernel mismatches, and the error says which.
    const wrong = buildResNet(encoderConfigSchema.parse({ kind: 'resnet18', imageSize: 32 }), 1);
    await saveLayersModel(wrong, path.join(dir, 'wrong'));
    wrong.dispose();
    const error = await createEncoder({ ...config, weights: path.join(dir, 'wrong') }, 1).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(String((error as Error).message)).toMatch(
      /shape of conv1_conv\/kernel: model \[3,3,3,32\], file \[7,7,3,64\]/,
    );
    expect(String((error as Error).message)).toMatch(/mismatches/);
  });

  it('marks only the last N blocks trainable when fine-tuning', async () => {
    const encoder = await createEncoder(
      encoderConfigSchema.parse({ kind: 'small-resnet', imageSize: 32, trainable: true, trainableBlocks: 1 }),
      1,
    );
    const trainable = encoder.model.layers
      .filter((l) => l.trainable && l.weights.length > 0)
      .map((l) => l.name);
    expect(trainable.length).toBeGreaterThan(0);
    expect(trainable.every((n) => n.startsWith('conv4_block1_'))).toBe(true);
    encoder.dispose();
  });
});
