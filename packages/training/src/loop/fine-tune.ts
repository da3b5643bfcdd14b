import * as tf from '@tensorflow/tfjs';
import { encodeImages } from '@captioner/model';
import type { FeatureShape, NamedArrays } from '@captioner/model';
import type { FineTuneInput, ValSplit } from './types';

/** The validation split with features from the current (fine-tuned) encoder, first `maxImages` images only. */
export async function fineTunedValSplit(
  fineTune: FineTuneInput,
  val: ValSplit,
  maxImages: number,
): Promise<ValSplit> {
  const count = Math.min(val.images, maxImages);
  const { pooled, grid } = await encodeImages(fineTune.encoder, fineTune.valImages, count);
  return { pooled, grid, images: count, references: val.references.slice(0, count) };
}

/**
 * A function that computes a batch's features with the encoder, inside the caller's gradient scope, from
 * the images of the batch's captions.
 */
export function batchFeatures(
  fineTune: FineTuneInput,
  featureShape: FeatureShape,
  captionImage: Int32Array,
  rows: Int32Array,
): () => { pooled: tf.Tensor2D; grid: tf.Tensor2D } {
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
    return {
      pooled: tf.mean(map, [1, 2]) as tf.Tensor2D,
      grid: tf.reshape(map, [rows.length, G * C]) as tf.Tensor2D,
    };
  };
}

/** Values of variables as named arrays (for checkpoints). */
export function variablesToArrays(variables: Record<string, tf.Variable>): NamedArrays {
  const out: NamedArrays = {};
  for (const [name, v] of Object.entries(variables))
    out[name] = { shape: v.shape, data: v.dataSync() as Float32Array };
  return out;
}
