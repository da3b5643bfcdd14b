import type { FeatureSource } from '../loop/source';
import type { TrainStream, ValStream } from '../loop/types';
import { EpochReader } from './feature-stream';
import { gatherAttentionCells } from '../attention-cells';
import { streamFeatureNorm } from './norm-stats';
import { readValidationSplit } from './validation-reader';

/** Frozen features streamed from shards: the train stage's source at any data set size. */
export function streamedFeatures(train: TrainStream, val: ValStream, attention: boolean): FeatureSource {
  return {
    variables: {},
    trainCaptions: train.index.captionImage.length,
    streamLayout: {
      shards: train.index.shards.length,
      captions: train.index.captionImage.length,
      shuffleBuffer: train.input.shuffleBuffer,
      // Only when on, so checkpoints of runs without views keep their layout.
      ...(train.views ? { views: train.views.count } : {}),
    },
    featureNorm: (_shape, withGrid) => streamFeatureNorm(train.index, withGrid, train.input.normImages),
    restore: () => {},
    epochBatches: (epoch, from, batchSize, seed) => {
      const reader = new EpochReader(
        train.index,
        train.input,
        seed,
        epoch,
        from,
        batchSize,
        attention,
        train.views,
      );
      return {
        next: async () => {
          const { batch, rows } = await reader.next();
          if (train.attentionCells)
            batch.attentionCells = gatherAttentionCells(train.attentionCells, rows, batch.captionLength);
          return { batch, features: undefined };
        },
        close: () => reader.close(),
      };
    },
    validationSplit: (maxImages) => readValidationSplit(val.index, val.references, attention, maxImages),
  };
}
