import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../config';

/**
 * ResNet encoders built with tfjs layers. Layer names follow Keras' `keras.applications.ResNet50`
 * (`conv1_conv`, `conv2_block1_1_conv`, `conv2_block1_0_bn`, ...) so that its ImageNet weights, converted
 * with `tensorflowjs_converter`, load by name. ResNet-18/34 use the same scheme with basic blocks.
 * The model's output is the last feature map [n, h, w, C]; pooling is done by the ImageEncoder.
 */

type Block = 'basic' | 'bottleneck';
interface Architecture {
  block: Block;
  /** Blocks per stage. */
  stages: number[];
  /** Filters of each stage (bottleneck output is 4x). */
  filters: number[];
  /** ImageNet stem (7x7/2 conv + 3x3/2 max pool) or the low-resolution stem (3x3/2 conv). */
  stem: 'imagenet' | 'small';
}

const ARCHITECTURES: Record<EncoderConfig['kind'], Architecture> = {
  'small-resnet': { block: 'basic', stages: [1, 1, 1], filters: [32, 64, 128], stem: 'small' },
  resnet18: { block: 'basic', stages: [2, 2, 2, 2], filters: [64, 128, 256, 512], stem: 'imagenet' },
  resnet34: { block: 'basic', stages: [3, 4, 6, 3], filters: [64, 128, 256, 512], stem: 'imagenet' },
  resnet50: { block: 'bottleneck', stages: [3, 4, 6, 3], filters: [64, 128, 256, 512], stem: 'imagenet' },
};

/** Keras' batch-norm epsilon in ResNet50. */
const BN_EPSILON = 1.001e-5;

class LayerFactory {
  private counter = 0;
  constructor(private readonly seed: number) {}
  conv(
    name: string,
    filters: number,
    kernel: number,
    strides: number,
    padding: 'same' | 'valid',
  ): tf.layers.Layer {
    return tf.layers.conv2d({
      name,
      filters,
      kernelSize: kernel,
      strides,
      padding,
      kernelInitializer: tf.initializers.heNormal({ seed: this.seed + this.counter++ }),
    });
  }
  bn(name: string): tf.layers.Layer {
    return tf.layers.batchNormalization({ name, axis: 3, epsilon: BN_EPSILON });
  }
}

function basicBlock(
  f: LayerFactory,
  x: tf.SymbolicTensor,
  prefix: string,
  filters: number,
  stride: number,
): tf.SymbolicTensor {
  const inChannels = x.shape[3]!;
  let shortcut = x;
  if (stride !== 1 || inChannels !== filters) {
    shortcut = f
      .bn(`${prefix}_0_bn`)
      .apply(f.conv(`${prefix}_0_conv`, filters, 1, stride, 'valid').apply(x)) as tf.SymbolicTensor;
  }
  let y = f.conv(`${prefix}_1_conv`, filters, 3, stride, 'same').apply(x) as tf.SymbolicTensor;
  y = tf.layers
    .activation({ name: `${prefix}_1_relu`, activation: 'relu' })
    .apply(f.bn(`${prefix}_1_bn`).apply(y)) as tf.SymbolicTensor;
  y = f.conv(`${prefix}_2_conv`, filters, 3, 1, 'same').apply(y) as tf.SymbolicTensor;
  y = f.bn(`${prefix}_2_bn`).apply(y) as tf.SymbolicTensor;
  y = tf.layers.add({ name: `${prefix}_add` }).apply([shortcut, y]) as tf.SymbolicTensor;
  return tf.layers.activation({ name: `${prefix}_out`, activation: 'relu' }).apply(y) as tf.SymbolicTensor;
}

/** Keras ResNet50 v1 bottleneck: the stride sits on the first 1x1 conv, and block 1 of every stage has a conv shortcut. */
function bottleneckBlock(
  f: LayerFactory,
  x: tf.SymbolicTensor,
  prefix: string,
  filters: number,
  stride: number,
  convShortcut: boolean,
): tf.SymbolicTensor {
  let shortcut = x;
  if (convShortcut) {
    shortcut = f
      .bn(`${prefix}_0_bn`)
      .apply(f.conv(`${prefix}_0_conv`, 4 * filters, 1, stride, 'valid').apply(x)) as tf.SymbolicTensor;
  }
  let y = f.conv(`${prefix}_1_conv`, filters, 1, stride, 'valid').apply(x) as tf.SymbolicTensor;
  y = tf.layers
    .activation({ name: `${prefix}_1_relu`, activation: 'relu' })
    .apply(f.bn(`${prefix}_1_bn`).apply(y)) as tf.SymbolicTensor;
  y = f.conv(`${prefix}_2_conv`, filters, 3, 1, 'same').apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .activation({ name: `${prefix}_2_relu`, activation: 'relu' })
    .apply(f.bn(`${prefix}_2_bn`).apply(y)) as tf.SymbolicTensor;
  y = f.conv(`${prefix}_3_conv`, 4 * filters, 1, 1, 'valid').apply(y) as tf.SymbolicTensor;
  y = f.bn(`${prefix}_3_bn`).apply(y) as tf.SymbolicTensor;
  y = tf.layers.add({ name: `${prefix}_add` }).apply([shortcut, y]) as tf.SymbolicTensor;
  return tf.layers.activation({ name: `${prefix}_out`, activation: 'relu' }).apply(y) as tf.SymbolicTensor;
}

/** Names of the residual blocks in order (`conv2_block1`, ...), for choosing the trainable ones. */
export function blockNames(kind: EncoderConfig['kind']): string[] {
  const arch = ARCHITECTURES[kind];
  return arch.stages.flatMap((count, s) =>
    Array.from({ length: count }, (_, b) => `conv${s + 2}_block${b + 1}`),
  );
}

/** Builds the feature-map model for an encoder config; weights are He-initialised from `seed`. */
export function buildResNet(config: EncoderConfig, seed: number): tf.LayersModel {
  const arch = ARCHITECTURES[config.kind];
  const f = new LayerFactory(seed);
  const input = tf.input({ shape: [config.imageSize, config.imageSize, 3], name: 'image' });
  let x: tf.SymbolicTensor;
  if (arch.stem === 'imagenet') {
    x = tf.layers.zeroPadding2d({ name: 'conv1_pad', padding: 3 }).apply(input) as tf.SymbolicTensor;
    x = f.conv('conv1_conv', 64, 7, 2, 'valid').apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .activation({ name: 'conv1_relu', activation: 'relu' })
      .apply(f.bn('conv1_bn').apply(x)) as tf.SymbolicTensor;
    x = tf.layers.zeroPadding2d({ name: 'pool1_pad', padding: 1 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
  } else {
    x = f.conv('conv1_conv', arch.filters[0], 3, 2, 'same').apply(input) as tf.SymbolicTensor;
    x = tf.layers
      .activation({ name: 'conv1_relu', activation: 'relu' })
      .apply(f.bn('conv1_bn').apply(x)) as tf.SymbolicTensor;
  }
  arch.stages.forEach((count, s) => {
    for (let b = 0; b < count; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const prefix = `conv${s + 2}_block${b + 1}`;
      x =
        arch.block === 'basic'
          ? basicBlock(f, x, prefix, arch.filters[s], stride)
          : bottleneckBlock(f, x, prefix, arch.filters[s], stride, b === 0);
    }
  });
  return tf.model({ inputs: input, outputs: x, name: config.kind.replace('-', '_') });
}
