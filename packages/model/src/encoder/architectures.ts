import { InvalidInputError } from '@captioner/core/errors';
import type { EncoderConfig } from '../config';

/** The shape of a ResNet: what `buildResNet` builds and `blockNames` lists. */
export interface Architecture {
  block: 'basic' | 'bottleneck';
  /** Blocks per stage. */
  stages: number[];
  /** Filters of each stage (bottleneck output is 4x). */
  filters: number[];
  /** ImageNet stem (7x7/2 conv + 3x3/2 max pool) or the low-resolution stem (3x3/2 conv). */
  stem: 'imagenet' | 'small';
  /**
   * `torchvision`: exactly what torchvision.models.resnetNN computes (symmetric padding, no conv bias,
   * batch-norm epsilon 1e-5, ResNet-50 v1.5 with the stride on the 3x3 conv), so its state dicts load.
   * `keras`: keras.applications' conventions (TF `same` padding, conv bias, epsilon 1.001e-5, v1 with the
   * stride on the first 1x1 conv).
   */
  flavour: 'torchvision' | 'keras';
}

export const ARCHITECTURES: Record<EncoderConfig['kind'], Architecture> = {
  'small-resnet': {
    block: 'basic',
    stages: [1, 1, 1],
    filters: [32, 64, 128],
    stem: 'small',
    flavour: 'keras',
  },
  resnet18: {
    block: 'basic',
    stages: [2, 2, 2, 2],
    filters: [64, 128, 256, 512],
    stem: 'imagenet',
    flavour: 'torchvision',
  },
  resnet34: {
    block: 'basic',
    stages: [3, 4, 6, 3],
    filters: [64, 128, 256, 512],
    stem: 'imagenet',
    flavour: 'torchvision',
  },
  resnet50: {
    block: 'bottleneck',
    stages: [3, 4, 6, 3],
    filters: [64, 128, 256, 512],
    stem: 'imagenet',
    flavour: 'torchvision',
  },
  'keras-resnet50': {
    block: 'bottleneck',
    stages: [3, 4, 6, 3],
    filters: [64, 128, 256, 512],
    stem: 'imagenet',
    flavour: 'keras',
  },
};

/**
 * The architecture a config builds: `small-resnet`'s filters follow `width` (doubling per stage); the
 * ImageNet ResNets have their fixed widths, so their weights load.
 */
export function architectureOf(config: Pick<EncoderConfig, 'kind' | 'width'>): Architecture {
  const arch = ARCHITECTURES[config.kind];
  const defaultWidth = ARCHITECTURES['small-resnet'].filters[0];
  if (config.kind !== 'small-resnet') {
    if (config.width !== defaultWidth)
      throw new InvalidInputError(
        `model.encoder.width: only small-resnet has a width, ${config.kind} has its own`,
      );
    return arch;
  }
  return { ...arch, filters: arch.filters.map((_, s) => config.width * 2 ** s) };
}

/**
 * Names of the residual blocks in order (`conv2_block1`, ...), for choosing the trainable ones. Every
 * builder names its layers `<block>_<part>` (Keras' scheme), whatever the flavour.
 */
export function blockNames(kind: EncoderConfig['kind']): string[] {
  const arch = ARCHITECTURES[kind];
  return arch.stages.flatMap((count, s) =>
    Array.from({ length: count }, (_, b) => `conv${s + 2}_block${b + 1}`),
  );
}
