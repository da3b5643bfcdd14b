import * as tf from '@tensorflow/tfjs';
import type { FeatureShape, ImageEncoder, NamedArrays } from '@captioner/model';
import type { FineTuneInput, ValSplit } from './types';

/** Features of images [n, S, S, 3] (rows `from`..`from+n` of `images`) computed with the encoder, chunk by chunk. */
export async function encodeAll(encoder: ImageEncoder, images: Float32Array, count: number): Promise<{ pooled: Float32Array; grid: Float32Array }> {
  const S = encoder.config.imageSize;
  const pixels = S * S * 3;
  const pooled = new Float32Array(count * encoder.pooledSize);
  const grid = new Float32Array(count * encoder.gridPositions * encoder.gridChannels);
  const chunk = 32;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const f = await encoder.encode(images.subarray(start * pixels, (start + n) * pixels), n);
    pooled.set(f.pooled, start * encoder.pooledSize);
    grid.set(f.grid, start * encoder.gridPositions * encoder.gridChannels);
  }
  return { pooled, grid };
}

/** The validation split with features from the current (fine-tuned) encoder, first `maxImages` images only. */
export async function fineTunedValSplit(fineTune: FineTuneInput, val: ValSplit, maxImages: number): Promise<ValSplit> {
  const count = Math.min(val.images, maxImages);
  const { pooled, grid } = await encodeAll(fineTune.encoder, fineTune.valImages, count);
  return { pooled, grid, images: count, references: val.references.slice(0, count) };
}

/**
 * A function that computes a batch's features with the encoder, inside the caller's gradient scope, from
 * the images of the batch's captions.
 */
export function batchFeatures(fineTune: FineTuneInput, featureShape: FeatureShape, captionImage: Int32Array, rows: Int32Array): () => { pooled: tf.Tensor2D; grid: tf.Tensor2D } {
  const S = fineTune.encoder.config.imageSize;
  const pixels = S * S * 3;
  const batch = new Float32Array(rows.length * pixels);
  rows.forEach((row, b) => {
    const image = captionImage[row];
    batch.set(fineTune.trainImages.subarray(image * pixels, (image + 1) * pixels), b * pixels);
  });
  const { gridPositions: G, gridChannels: C } = featureShape;
  return () => {
    const map = fineTune.encoder.apply(tf.tensor4d(batch, [rows.length, S, S, 3]));
    return { pooled: tf.mean(map, [1, 2]) as tf.Tensor2D, grid: tf.reshape(map, [rows.length, G * C]) as tf.Tensor2D };
  };
}

/** Values of variables as named arrays (for checkpoints). */
export function variablesToArrays(variables: Record<string, tf.Variable>): NamedArrays {
  const out: NamedArrays = {};
  for (const [name, v] of Object.entries(variables)) out[name] = { shape: v.shape, data: v.dataSync() as Float32Array };
  return out;
}
