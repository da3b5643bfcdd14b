import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../config';
import type { Architecture } from './architectures';

/**
 * ResNets in keras.applications' conventions: TF `same` padding, convolutions with a bias, batch-norm
 * epsilon 1.001e-5, ResNet-50 v1 (stride on the first 1x1 conv). Layer names follow Keras' ResNet50
 * (`conv1_conv`, `conv2_block1_1_conv`, `conv2_block1_0_bn`, ...) so that its ImageNet weights, converted
 * with `tensorflowjs_converter`, load by name (`keras-resnet50`). `small-resnet` uses the same scheme.
 */

/** Keras' batch-norm epsilon in ResNet50. */
const BN_EPSILON = 1.001e-5;

class LayerFactory {
  private counter = 0;
  /** `seed` undefined: zero kernels, for weights about to be overwritten (He init of 20M values costs seconds). */
  constructor(private readonly seed: number | undefined) {}

  private kernelInitializer(): ReturnType<typeof tf.initializers.zeros> {
    return this.seed === undefined
      ? tf.initializers.zeros()
      : tf.initializers.heNormal({ seed: this.seed + this.counter++ });
  }
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
      kernelInitializer: this.kernelInitializer(),
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

/** Builds a Keras-flavoured feature-map model [n, S, S, 3] -> [n, h, w, C]; He-initialised from `seed`. */
export function buildKerasResNet(
  arch: Architecture,
  config: EncoderConfig,
  seed: number | undefined,
): tf.LayersModel {
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
