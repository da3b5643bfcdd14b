import { ConfigError, InvalidInputError } from '@captioner/core';
import {
  applyEncoderWeights,
  computeFeatureNorm,
  encodeImages,
  encoderTrainableVariables,
} from '@captioner/model';
import type { CaptionBatch, FeatureShape } from '@captioner/model';
import { batchFeatures, fineTunedValSplit, holdsImages, trainPixelsOfRows } from './fine-tune';
import { batchRows, epochOrder, gatherBatch } from './batches';
import { streamedFeatures } from '../input/streamed-source';
import { streamedFineTune } from '../input/streamed-fine-tune';
import { isStreamed } from './source';
import { applyMemoryViews } from '../augment/memory-views';
import type { BatchFeatures, FeatureSource } from './source';
import type { FineTuneInput, TrainCaptionerOptions, TrainSplit, TrainingData, ValSplit } from './types';

/** The source `options` ask for, after checking that the data fits it. */
export function featureSourceFor(options: TrainCaptionerOptions): FeatureSource {
  const { modelConfig, fineTune, data } = options;
  if (modelConfig.encoder.trainable && !fineTune) {
    throw new ConfigError('encoder.trainable needs options.fineTune (the encoder and the train/val images)');
  }
  const { train, val } = data;
  if (isStreamed(train) || isStreamed(val)) {
    if (!isStreamed(train) || !isStreamed(val))
      throw new ConfigError('streamed training data needs both splits streamed');
    if (fineTune && holdsImages(fineTune))
      throw new ConfigError(
        'streamed fine-tuning reads its images from the streams, not from options.fineTune',
      );
    return fineTune
      ? streamedFineTune(train, val, fineTune, data.featureShape)
      : streamedFeatures(train, val, modelConfig.decoder.attention);
  }
  if (fineTune && !holdsImages(fineTune))
    throw new ConfigError('fine-tuning on data in memory needs the images in options.fineTune');
  return fineTune
    ? fineTunedFeatures(fineTune, data, train, val)
    : frozenFeatures(data, train, val, modelConfig.decoder.attention);
}

/** The in-memory epoch: a seeded permutation of every caption, gathered batch by batch. */
function memoryBatches(
  split: TrainSplit,
  shape: FeatureShape,
  withGrid: boolean,
  features: (
    rows: Int32Array,
    batch: CaptionBatch,
    at: { seed: number; epoch: number; index: number },
  ) => BatchFeatures,
): FeatureSource['epochBatches'] {
  return (epoch, from, batchSize, seed) => {
    const order = epochOrder(seed, epoch, split.captionImage.length);
    let index = from;
    const { pooledSize: P, gridPositions: G, gridChannels: C } = shape;
    return {
      next: () => {
        const batch = gatherBatch(split, order, index, batchSize, P, G * C, withGrid);
        const rows = batchRows(order, index, batchSize);
        const batchFeatures = features(rows, batch, { seed, epoch, index });
        index += 1;
        return Promise.resolve({ batch, features: batchFeatures });
      },
      close: () => Promise.resolve(),
    };
  };
}

/** Pre-extracted features in `data.train` / `data.val`. */
function frozenFeatures(
  data: TrainingData,
  train: TrainSplit,
  val: ValSplit,
  attention: boolean,
): FeatureSource {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
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
    trainCaptions: train.captionImage.length,
    featureNorm: (shape, withGrid) =>
      Promise.resolve(computeFeatureNorm(shape, train.pooled, withGrid ? train.grid : undefined)),
    restore: () => {},
    epochBatches: memoryBatches(train, data.featureShape, attention, (rows, batch, at) => {
      if (train.views) applyMemoryViews(train.views, train.captionImage, rows, batch, at, P, G * C);
      return undefined;
    }),
    validationSplit: () => Promise.resolve(val),
  };
}

/** Features of the train/val images through an encoder whose last blocks train with the decoder. */
function fineTunedFeatures(
  fineTune: FineTuneInput,
  data: TrainingData,
  train: TrainSplit,
  val: ValSplit,
): FeatureSource {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
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
    trainCaptions: train.captionImage.length,
    // Standardise with the statistics of the initial encoder's features.
    featureNorm: async (shape, withGrid) => {
      const initial = await encodeImages(fineTune.encoder, fineTune.trainImages, train.images);
      return computeFeatureNorm(shape, initial.pooled, withGrid ? initial.grid : undefined);
    },
    restore: (tensors) => applyEncoderWeights(fineTune.encoder, tensors),
    // Grid features come from the encoder inside the gradient scope, not from data.train.
    epochBatches: memoryBatches(train, data.featureShape, false, (rows, batch, at) =>
      batchFeatures(
        fineTune,
        data.featureShape,
        trainPixelsOfRows(fineTune, train.captionImage, rows),
        batch,
        at,
      ),
    ),
    validationSplit: (maxImages) => fineTunedValSplit(fineTune, val, maxImages),
  };
}
