import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core/errors';
import type { EncoderConfig } from '../config';
import type { EncodedImages } from '../encoder/image-encoder';

/**
 * The inference half of ImageEncoder, for the browser entry: image-encoder.ts also saves, builds and
 * fine-tunes encoders and imports node:fs. `encode` computes exactly what `ImageEncoder.encode` does (a
 * test compares them); batch normalisation uses its moving statistics (`training: false`).
 */
export class BundleEncoder {
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
  }

  /** Encodes `n` images given as [n, S, S, 3] normalised floats (S = `config.imageSize`). */
  async encode(images: Float32Array, n: number): Promise<EncodedImages> {
    const S = this.config.imageSize;
    if (images.length !== n * S * S * 3) throw new InvalidInputError(`encode: expected ${n}x${S}x${S}x3 values, got ${images.length}`);
    const [pooled, grid] = tf.tidy(() => {
      const map = this.model.apply(tf.tensor4d(images, [n, S, S, 3]), { training: false }) as tf.Tensor4D;
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
