import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core/errors';
import type { EncoderConfig } from '../config';
import { blockNames } from './resnet';

/*
 * The encoder itself, free of Node modules so that the browser entry uses it too; saving, loading and
 * building encoders are in encoder-files.ts.
 */

/** Pooled and spatial features of a batch of images. */
export interface EncodedImages {
  /** [n, D] global average of the last feature map. */
  pooled: Float32Array;
  /** [n, G, C] the last feature map, positions row-major (G = h*w). */
  grid: Float32Array;
}

/** A CNN that turns normalised images into features. */
export class ImageEncoder {
  readonly pooledSize: number;
  readonly gridPositions: number;
  readonly gridChannels: number;

  constructor(
    readonly config: EncoderConfig,
    readonly seed: number,
    /** The feature-map model [n, S, S, 3] -> [n, h, w, C]. */
    readonly model: tf.LayersModel,
  ) {
    const [, h, w, c] = model.outputs[0].shape as number[];
    this.gridPositions = h * w;
    this.gridChannels = c;
    this.pooledSize = c;
    this.applyTrainable();
  }

  /** Freezes every layer except those of the last `trainableBlocks` residual blocks (when `trainable`). */
  private applyTrainable(): void {
    const trainable = this.config.trainable
      ? new Set(blockNames(this.config.kind).slice(-this.config.trainableBlocks))
      : new Set<string>();
    for (const layer of this.model.layers) {
      const block = /^(conv\d+_block\d+)_/.exec(layer.name)?.[1];
      layer.trainable = block !== undefined && trainable.has(block);
    }
  }

  /**
   * Feature map of a batch, as a tensor [n, h, w, C]. For end-to-end training call it inside a gradient
   * scope; batch normalisation always uses its moving statistics (small fine-tuning batches would disturb them).
   */
  apply(images: tf.Tensor4D): tf.Tensor4D {
    return this.model.apply(images, { training: false }) as tf.Tensor4D;
  }

  /** The variables that fine-tuning trains (those of the last `trainableBlocks` blocks when `trainable`). */
  trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Encodes `n` images given as [n, S, S, 3] normalised floats. */
  async encode(images: Float32Array, n: number): Promise<EncodedImages> {
    const S = this.config.imageSize;
    if (images.length !== n * S * S * 3)
      throw new InvalidInputError(`encode: expected ${n}x${S}x${S}x3 values, got ${images.length}`);
    const [pooled, grid] = tf.tidy(() => {
      const map = this.apply(tf.tensor4d(images, [n, S, S, 3]));
      return [tf.mean(map, [1, 2]), tf.reshape(map, [n, this.gridPositions, this.gridChannels])];
    });
    try {
      return { pooled: (await pooled.data()) as Float32Array, grid: (await grid.data()) as Float32Array };
    } finally {
      tf.dispose([pooled, grid]);
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
