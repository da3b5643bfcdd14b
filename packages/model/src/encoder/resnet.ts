import type * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../config';
import { architectureOf } from './architectures';
import { buildKerasResNet } from './keras-resnet';
import { buildTorchvisionResNet } from './torchvision-resnet';
import { appendCellHead } from './cell-head';

export { blockNames } from './architectures';

/**
 * Builds the feature-map model [n, S, S, 3] -> [n, h, w, C] for an encoder config; weights are
 * He-initialised from `seed` (kernels are zeros when `seed` is undefined: for weights that will be
 * loaded). `resnet18/34/50` compute what torchvision computes; `small-resnet` and
 * `keras-resnet50` follow keras.applications (see architectures.ts). Pooling is done by the ImageEncoder.
 * With `config.cellHead` the model ends in that head instead: [n, S, S, 3] -> [n, grid, grid, classes].
 */
export function buildResNet(config: EncoderConfig, seed: number | undefined): tf.LayersModel {
  const arch = architectureOf(config);
  const trunk =
    arch.flavour === 'torchvision'
      ? buildTorchvisionResNet(arch, config, seed)
      : buildKerasResNet(arch, config, seed);
  return config.cellHead ? appendCellHead(trunk, config.cellHead, seed) : trunk;
}
