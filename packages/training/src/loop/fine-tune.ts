import * as tf from '@tensorflow/tfjs';
import { encodeImages } from '@captioner/model';
import type { CaptionBatch, FeatureShape, NamedArrays } from '@captioner/model';
import type { FineTuneEncoder, FineTuneInput, ValSplit } from './types';
import { augmentImages, augmentsImages } from '@captioner/feature-extraction';
import { planBatchAugment } from '../augment/batch-plan';

/** The validation split with features from the current (fine-tuned) encoder, first `maxImages` images only. */
export async function fineTunedValSplit(
  fineTune: FineTuneInput,
  val: ValSplit,
  maxImages: number,
): Promise<ValSplit> {
  const count = Math.min(val.images, maxImages);
  const { pooled, grid } = await encodeImages(fineTune.encoder, fineTune.valImages, count);
  return {
    pooled,
    grid,
    images: count,
    references: val.references.slice(0, count),
    ...(val.ids ? { ids: val.ids.slice(0, count) } : {}),
  };
}

/** Fine-tuning with the images in memory (not streamed). */
export function holdsImages(fineTune: FineTuneInput | FineTuneEncoder): fineTune is FineTuneInput {
  return 'trainImages' in fineTune;
}

/** The normalised images of the captions `rows` of the in-memory train split, [rows.length, S, S, 3]. */
export function trainPixelsOfRows(
  fineTune: FineTuneInput,
  captionImage: Int32Array,
  rows: Int32Array,
): Float32Array {
  const S = fineTune.encoder.config.imageSize;
  const pixels = S * S * 3;
  const out = new Float32Array(rows.length * pixels);
  rows.forEach((row, b) => {
    const image = captionImage[row];
    out.set(fineTune.trainImages.subarray(image * pixels, (image + 1) * pixels), b * pixels);
  });
  return out;
}

/**
 * A function that computes a batch's features with the encoder, inside the caller's gradient scope, from
 * the images of the batch's captions (`pixels`, one image per caption). With `fineTune.augment`, the images
 * are augmented with the draws of batch `at` (seeded by the run seed and the position) and flipped rows get
 * mirrored captions in `batch`.
 */
export function batchFeatures(
  fineTune: FineTuneEncoder,
  featureShape: FeatureShape,
  pixels: Float32Array,
  batch: CaptionBatch,
  at: { seed: number; epoch: number; index: number },
): () => { pooled: tf.Tensor2D; grid: tf.Tensor2D } {
  const augment =
    fineTune.augment && augmentsImages(fineTune.augment.settings) ? fineTune.augment : undefined;
  const draws = augment
    ? planBatchAugment(augment, batch.captions, batch.captionLength, at.seed, at.epoch, at.index)
    : undefined;
  const S = fineTune.encoder.config.imageSize;
  const B = batch.size;
  const { gridPositions: G, gridChannels: C } = featureShape;
  return () => {
    const images = tf.tensor4d(pixels, [B, S, S, 3]);
    const input = draws && augment ? augmentImages(images, draws, augment) : images;
    const map = fineTune.encoder.apply(input);
    return {
      pooled: tf.mean(map, [1, 2]) as tf.Tensor2D,
      grid: tf.reshape(map, [B, G * C]) as tf.Tensor2D,
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
