import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../config';
import type { Architecture } from './architectures';

/**
 * ResNet-18/34/50 computing exactly what torchvision.models.resnet18/34/50 compute in eval mode, so that
 * torchvision's state dicts (`torchvision-weights.ts`) give torchvision's features:
 * - padding is explicit and symmetric (`ZeroPadding2D` + `valid` conv): TF's `same` pads stride-2
 *   convolutions more on the bottom/right than PyTorch's `padding=k//2`, which shifts every feature;
 * - convolutions have no bias (torchvision's `bias=False`); batch norm uses epsilon 1e-5 and, always,
 *   its running statistics (ImageEncoder.apply passes `training: false`);
 * - ResNet-50 is v1.5: the stride of a bottleneck sits on its 3x3 conv, not on the first 1x1;
 * - a block has a 1x1 conv + BN shortcut (`downsample`) when its stride or channel count changes.
 * Only standard Keras layers (ZeroPadding2D, Conv2D, BatchNormalization, Activation, Add, MaxPooling2D),
 * so the saved model.json is an ordinary LayersModel that any tfjs or Keras reader walks.
 * Layer names follow Keras' scheme (`conv2_block1_1_conv`), as the Keras flavour does, so choosing the
 * trainable blocks and naming fine-tuned weights work the same; `torchvision-names.ts` maps them to
 * torchvision's state-dict keys.
 */

/** torch.nn.BatchNorm2d's default epsilon. */
const BN_EPSILON = 1e-5;

class LayerFactory {
  private counter = 0;
  /** `seed` undefined: zero kernels, for weights about to be overwritten (He init of 20M values costs seconds). */
  constructor(private readonly seed: number | undefined) {}

  private kernelInitializer(): ReturnType<typeof tf.initializers.zeros> {
    return this.seed === undefined
      ? tf.initializers.zeros()
      : tf.initializers.heNormal({ seed: this.seed + this.counter++ });
  }

  /** A k x k conv with torchvision's `padding=k//2` (explicit, symmetric) and no bias. */
  conv(
    x: tf.SymbolicTensor,
    name: string,
    filters: number,
    kernel: number,
    strides: number,
  ): tf.SymbolicTensor {
    const pad = Math.floor(kernel / 2);
    const padded =
      pad > 0
        ? (tf.layers
            .zeroPadding2d({ name: name.replace(/_conv$/, '_pad'), padding: pad })
            .apply(x) as tf.SymbolicTensor)
        : x;
    return tf.layers
      .conv2d({
        name,
        filters,
        kernelSize: kernel,
        strides,
        padding: 'valid',
        useBias: false,
        kernelInitializer: this.kernelInitializer(),
      })
      .apply(padded) as tf.SymbolicTensor;
  }

  bn(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    return tf.layers.batchNormalization({ name, axis: 3, epsilon: BN_EPSILON }).apply(x) as tf.SymbolicTensor;
  }

  relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    return tf.layers.activation({ name, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  }

  /** The residual sum and its ReLU. */
  join(shortcut: tf.SymbolicTensor, y: tf.SymbolicTensor, prefix: string): tf.SymbolicTensor {
    return this.relu(
      tf.layers.add({ name: `${prefix}_add` }).apply([shortcut, y]) as tf.SymbolicTensor,
      `${prefix}_out`,
    );
  }

  /** torchvision's `downsample`: conv1x1(stride) + BN, named `<block>_0_conv` / `<block>_0_bn`. */
  shortcut(x: tf.SymbolicTensor, prefix: string, filters: number, stride: number): tf.SymbolicTensor {
    if (stride === 1 && x.shape[3] === filters) return x;
    return this.bn(this.conv(x, `${prefix}_0_conv`, filters, 1, stride), `${prefix}_0_bn`);
  }
}

/** torchvision's BasicBlock: conv3x3(stride)-BN-ReLU-conv3x3-BN, plus the shortcut, ReLU. */
function basicBlock(
  f: LayerFactory,
  x: tf.SymbolicTensor,
  prefix: string,
  filters: number,
  stride: number,
): tf.SymbolicTensor {
  let y = f.relu(
    f.bn(f.conv(x, `${prefix}_1_conv`, filters, 3, stride), `${prefix}_1_bn`),
    `${prefix}_1_relu`,
  );
  y = f.bn(f.conv(y, `${prefix}_2_conv`, filters, 3, 1), `${prefix}_2_bn`);
  return f.join(f.shortcut(x, prefix, filters, stride), y, prefix);
}

/** torchvision's Bottleneck (v1.5): conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1(4x)-BN, shortcut, ReLU. */
function bottleneckBlock(
  f: LayerFactory,
  x: tf.SymbolicTensor,
  prefix: string,
  filters: number,
  stride: number,
): tf.SymbolicTensor {
  let y = f.relu(f.bn(f.conv(x, `${prefix}_1_conv`, filters, 1, 1), `${prefix}_1_bn`), `${prefix}_1_relu`);
  y = f.relu(f.bn(f.conv(y, `${prefix}_2_conv`, filters, 3, stride), `${prefix}_2_bn`), `${prefix}_2_relu`);
  y = f.bn(f.conv(y, `${prefix}_3_conv`, 4 * filters, 1, 1), `${prefix}_3_bn`);
  return f.join(f.shortcut(x, prefix, 4 * filters, stride), y, prefix);
}

/** Builds a torchvision-flavoured feature-map model [n, S, S, 3] -> [n, h, w, C]; He-initialised from `seed`. */
export function buildTorchvisionResNet(
  arch: Architecture,
  config: EncoderConfig,
  seed: number | undefined,
): tf.LayersModel {
  const f = new LayerFactory(seed);
  const input = tf.input({ shape: [config.imageSize, config.imageSize, 3], name: 'image' });
  let x = f.relu(f.bn(f.conv(input, 'conv1_conv', 64, 7, 2), 'conv1_bn'), 'conv1_relu');
  // MaxPool2d(3, stride 2, padding 1) pads with -inf; after the ReLU every value is >= 0, so zero
  // padding gives the same maxima.
  x = tf.layers.zeroPadding2d({ name: 'pool1_pad', padding: 1 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
  arch.stages.forEach((count, s) => {
    for (let b = 0; b < count; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const prefix = `conv${s + 2}_block${b + 1}`;
      x =
        arch.block === 'basic'
          ? basicBlock(f, x, prefix, arch.filters[s], stride)
          : bottleneckBlock(f, x, prefix, arch.filters[s], stride);
    }
  });
  return tf.model({ inputs: input, outputs: x, name: config.kind });
}
