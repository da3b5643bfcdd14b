import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@captioner/core';
import { initBackend } from '@captioner/tfjs-backend';
import { encoderConfigSchema } from '../config';
import { SeededRandom } from '@captioner/core/random';
import { buildResNet } from './resnet';
import {
  loadTorchvisionStateDict,
  torchvisionStateDictOf,
  torchvisionWeightName,
} from './torchvision-weights';

beforeAll(async () => {
  await initBackend('wasm');
});

const config = encoderConfigSchema.parse({ kind: 'resnet18', imageSize: 32 });

function input(): tf.Tensor4D {
  const random = new SeededRandom(3);
  return tf.tensor4d(
    Float32Array.from({ length: 2 * 32 * 32 * 3 }, () => random.next() * 2 - 1),
    [2, 32, 32, 3],
  );
}

describe('torchvision state dicts', () => {
  it('maps layer weights to torchvision names', () => {
    expect(torchvisionWeightName('conv1_conv/kernel')).toBe('conv1.weight');
    expect(torchvisionWeightName('conv1_bn/moving_variance')).toBe('bn1.running_var');
    expect(torchvisionWeightName('conv2_block1_1_conv/kernel')).toBe('layer1.0.conv1.weight');
    expect(torchvisionWeightName('conv5_block3_3_bn/gamma')).toBe('layer4.2.bn3.weight');
    expect(torchvisionWeightName('conv3_block1_0_conv/kernel')).toBe('layer2.0.downsample.0.weight');
    expect(torchvisionWeightName('conv3_block1_0_bn/beta')).toBe('layer2.0.downsample.1.bias');
  });

  it('round-trips: the weights of one model, as a state dict, make another compute the same', () => {
    const source = buildResNet(config, 5);
    const target = buildResNet(config, undefined);
    const dict = torchvisionStateDictOf(source);
    expect(dict.get('conv1.weight')!.shape).toEqual([64, 3, 7, 7]);
    expect(dict.get('layer2.0.downsample.0.weight')!.shape).toEqual([128, 64, 1, 1]);
    // What torchvision's file also holds: the classifier and BN counters, ignored.
    dict.set('fc.weight', { dtype: 'float32', shape: [1000, 512], data: new Float32Array(512000) });
    dict.set('bn1.num_batches_tracked', { dtype: 'int64', shape: [], data: new Float32Array(1) });
    expect(loadTorchvisionStateDict(target, dict, 'x.pth')).toBe(target.weights.length);
    const x = input();
    const a = source.predict(x) as tf.Tensor;
    const b = target.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    source.dispose();
    target.dispose();
  });

  it('names every missing, extra and misshapen tensor, and changes nothing then', () => {
    const source = buildResNet(config, 5);
    const target = buildResNet(config, 6);
    const before = target.getLayer('conv1_conv').getWeights()[0].dataSync().slice();
    const dict = torchvisionStateDictOf(source);
    dict.delete('layer3.1.bn2.running_mean');
    dict.set('layer5.0.conv1.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    const conv = dict.get('layer1.0.conv2.weight')!;
    dict.set('layer1.0.conv2.weight', { ...conv, shape: [64, 64, 9, 1] });
    let error: unknown;
    try {
      loadTorchvisionStateDict(target, dict, 'w.pth');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    const message = (error as Error).message;
    expect(message).toMatch(/^w\.pth does not fit the resnet18 encoder \(3 problems\): /);
    expect(message).toContain('missing layer3.1.bn2.running_mean [256]');
    expect(message).toContain('extra layer5.0.conv1.weight [1]');
    expect(message).toContain(
      'layer1.0.conv2.weight has shape [64,64,9,1], the resnet18 encoder needs [64,64,3,3]',
    );
    expect(Array.from(target.getLayer('conv1_conv').getWeights()[0].dataSync())).toEqual(Array.from(before));
    source.dispose();
    target.dispose();
  });

  it('accepts the module. prefix nn.DataParallel adds', () => {
    const source = buildResNet(config, 5);
    const target = buildResNet(config, undefined);
    const dict = new Map([...torchvisionStateDictOf(source)].map(([k, v]) => [`module.${k}`, v]));
    expect(loadTorchvisionStateDict(target, dict, 'dp.pth')).toBe(target.weights.length);
    source.dispose();
    target.dispose();
  });
});
