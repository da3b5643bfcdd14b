import { InvalidInputError } from '@captioner/core';
import { applyEncoderWeights, encodeImages, encoderTrainableVariables } from '@captioner/model';
import type { FeatureShape } from '@captioner/model';
import { batchFeatures } from '../loop/fine-tune';
import type { FeatureSource } from '../loop/source';
import type { FineTuneEncoder, TrainStream, ValSplit, ValStream } from '../loop/types';
import { ImageEpochReader, forEachImageChunk } from './image-stream';
import { gatherAttentionCells } from '../attention-cells';
import { FeatureSums } from './norm-stats';

/** Images encoded per chunk when the stream computes statistics or validation features. */
const ENCODE_CHUNK = 32;

function checkImageStream(name: string, stream: TrainStream | ValStream, shape: FeatureShape): void {
  if (stream.index.source !== 'images')
    throw new InvalidInputError(`${name}: fine-tuning streams image shards, this stream indexes features`);
  const s = stream.index.featureShape;
  if (
    s.pooledSize !== shape.pooledSize ||
    s.gridPositions !== shape.gridPositions ||
    s.gridChannels !== shape.gridChannels
  )
    throw new InvalidInputError(`${name}: the index's feature shape is not the encoder's`);
}

/**
 * An encoder fine-tuned with the decoder on images streamed from image shards: the same epoch plan,
 * shuffle buffer and resume position as streamed features, with 8-bit images held instead of features.
 * Statistics and validation encode a bounded number of images, chunk by chunk.
 */
export function streamedFineTune(
  train: TrainStream,
  val: ValStream,
  fineTune: FineTuneEncoder,
  featureShape: FeatureShape,
): FeatureSource {
  const { encoder } = fineTune;
  const S = encoder.config.imageSize;
  checkImageStream('data.train', train, featureShape);
  checkImageStream('data.val', val, featureShape);
  return {
    variables: encoderTrainableVariables(encoder),
    trainCaptions: train.index.captionImage.length,
    streamLayout: {
      shards: train.index.shards.length,
      captions: train.index.captionImage.length,
      shuffleBuffer: train.input.shuffleBuffer,
    },
    // Standardise with the statistics of the initial encoder's features of the first normImages images.
    featureNorm: async (shape, withGrid) => {
      const sums = new FeatureSums(shape, withGrid);
      await forEachImageChunk(train.index, S, train.input.normImages, ENCODE_CHUNK, async (pixels, n) => {
        const encoded = await encodeImages(encoder, pixels, n);
        sums.add(encoded.pooled, encoded.grid);
      });
      return sums.toNorm();
    },
    restore: (tensors) => applyEncoderWeights(encoder, tensors),
    epochBatches: (epoch, from, batchSize, seed) => {
      const reader = new ImageEpochReader(train.index, train.input, seed, epoch, from, batchSize, S);
      let index = from;
      return {
        next: async () => {
          const { batch, pixels, rows } = await reader.next();
          if (train.attentionCells)
            batch.attentionCells = gatherAttentionCells(train.attentionCells, rows, batch.captionLength);
          const at = { seed, epoch, index };
          index += 1;
          return { batch, features: batchFeatures(fineTune, featureShape, pixels, batch, at) };
        },
        close: () => reader.close(),
      };
    },
    validationSplit: async (maxImages) => {
      const count = Math.min(maxImages, val.index.images);
      const pooled = new Float32Array(count * featureShape.pooledSize);
      const gridSize = featureShape.gridPositions * featureShape.gridChannels;
      const grid = new Float32Array(count * gridSize);
      let image = 0;
      await forEachImageChunk(val.index, S, count, ENCODE_CHUNK, async (pixels, n) => {
        const encoded = await encodeImages(encoder, pixels, n);
        pooled.set(encoded.pooled, image * featureShape.pooledSize);
        grid.set(encoded.grid, image * gridSize);
        image += n;
      });
      const ids = val.index.ids.slice(0, count);
      const split: ValSplit = { pooled, grid, images: count, references: ids.map(val.references), ids };
      return split;
    },
  };
}
