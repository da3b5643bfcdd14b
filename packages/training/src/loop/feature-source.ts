import type * as tf from '@tensorflow/tfjs';
import { ConfigError, InvalidInputError } from '@captioner/core';
import { applyEncoderWeights, encodeImages, encoderTrainableVariables } from '@captioner/model';
import type { NamedArrays } from '@captioner/model';
import { batchFeatures, fineTunedValSplit } from './fine-tune';
import type { FineTuneInput, TrainCaptionerOptions, TrainingData, ValSplit } from './types';

/**
 * Where the image features of training come from: pre-extracted features of a frozen encoder, or an
 * encoder fine-tuned with the decoder (features computed from the images at every step). The training
 * loop is the same for both; only these points differ.
 */
export interface FeatureSource {
  /** Encoder variables trained with the decoder, by checkpoint name (none for frozen features). */
  readonly variables: Record<string, tf.Variable>;
  /** Whether a batch carries grid features gathered from `data.train` (frozen features with attention). */
  readonly batchCarriesGrid: boolean;
  /** Features of the training images before any step, for the normalisation statistics. */
  initialFeatures(): Promise<{ pooled: Float32Array; grid?: Float32Array }>;
  /** Restores the source's own weights from a checkpoint's tensors (the fine-tuned encoder's). */
  restore(tensors: NamedArrays): void;
  /** Computes a batch's features inside the gradient scope; undefined when the batch carries them. */
  batchFeatures(rows: Int32Array): (() => { pooled: tf.Tensor2D; grid?: tf.Tensor2D }) | undefined;
  /** The validation split with features as the model sees them now. */
  validationSplit(maxImages: number): Promise<ValSplit>;
}

/** The source `options` ask for, after checking that the data fits it. */
export function featureSourceFor(options: TrainCaptionerOptions): FeatureSource {
  const { modelConfig, fineTune, data } = options;
  if (modelConfig.encoder.trainable && !fineTune) {
    throw new ConfigError('encoder.trainable needs options.fineTune (the encoder and the train/val images)');
  }
  return fineTune ? fineTunedFeatures(fineTune, data) : frozenFeatures(data, modelConfig.decoder.attention);
}

/** Pre-extracted features in `data.train` / `data.val`. */
function frozenFeatures(data: TrainingData, attention: boolean): FeatureSource {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
  const { train, val } = data;
  if (train.pooled.length !== train.images * P)
    throw new InvalidInputError(
      `train.pooled has ${train.pooled.length} values, expected ${train.images}x${P}`,
    );
  if (val.pooled.length !== val.images * P)
    throw new InvalidInputError(`val.pooled has ${val.pooled.length} values, expected ${val.images}x${P}`);
  if (attention) {
    if (G <= 0 || C <= 0)
      throw new ConfigError('decoder.attention needs grid features, but featureShape has no grid');
    if (!train.grid || train.grid.length !== train.images * G * C)
      throw new InvalidInputError(`train.grid must hold ${train.images}x${G}x${C} values`);
    if (!val.grid || val.grid.length !== val.images * G * C)
      throw new InvalidInputError(`val.grid must hold ${val.images}x${G}x${C} values`);
  }
  return {
    variables: {},
    batchCarriesGrid: attention,
    initialFeatures: () => Promise.resolve(train),
    restore: () => {},
    batchFeatures: () => undefined,
    validationSplit: () => Promise.resolve(val),
  };
}

/** Features of the train/val images through an encoder whose last blocks train with the decoder. */
function fineTunedFeatures(fineTune: FineTuneInput, data: TrainingData): FeatureSource {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
  const { train, val } = data;
  const S = fineTune.encoder.config.imageSize;
  if (fineTune.trainImages.length !== train.images * S * S * 3)
    throw new InvalidInputError(`fineTune.trainImages must hold ${train.images}x${S}x${S}x3 values`);
  if (fineTune.valImages.length !== val.images * S * S * 3)
    throw new InvalidInputError(`fineTune.valImages must hold ${val.images}x${S}x${S}x3 values`);
  if (
    fineTune.encoder.pooledSize !== P ||
    fineTune.encoder.gridPositions !== G ||
    fineTune.encoder.gridChannels !== C
  )
    throw new InvalidInputError('fineTune.encoder does not produce features of data.featureShape');
  return {
    variables: encoderTrainableVariables(fineTune.encoder),
    // Grid features come from the encoder inside the gradient scope, not from data.train.
    batchCarriesGrid: false,
    // Standardise with the statistics of the initial encoder's features.
    initialFeatures: () => encodeImages(fineTune.encoder, fineTune.trainImages, train.images),
    restore: (tensors) => applyEncoderWeights(fineTune.encoder, tensors),
    batchFeatures: (rows) => batchFeatures(fineTune, data.featureShape, train.captionImage, rows),
    validationSplit: (maxImages) => fineTunedValSplit(fineTune, val, maxImages),
  };
}
