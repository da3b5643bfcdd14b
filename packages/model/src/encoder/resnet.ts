import type * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../config';
import { architectureOf } from './architectures';
import { buildKerasResNet } from './keras-resnet';
import { buildTorchvisionResNet } from './torchvision-resnet';

export { blockNames } from './architectures';

/**
 * Builds the feature-map model [n, S, S, 3] -> [n, h, w, C] for an encoder config; weights are
 * He-initialised from `seed` (kernels are zeros when `seed` is undefined: for weights that will be
 * loaded). `resnet18/34/50` compute what torchvision computes; `small-resnet` and
 * `keras-resnet50` follow keras.applications (see architectures.ts). Pooling is done by the ImageEncoder.
 */
export function buildResNet(config: EncoderConfig, seed: number | undefined): tf.LayersModel {
  const arch = architectureOf(config);
  return arch.flavour === 'torchvision'
    ? buildTorchvisionResNet(arch, config, seed)
    : buildKerasResNet(arch, config, seed);
}
