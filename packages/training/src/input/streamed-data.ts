import { InvalidInputError } from '@captioner/core';
import type { Vocabulary } from '@captioner/dataset';
import type { InputSettings } from '@captioner/stage-contract';
import type { TrainingData } from '../loop/types';
import { indexStreamedShards } from './stream-index';
import type { StreamedShards } from './stream-index';
import { tokenSideSwap } from '@captioner/feature-extraction';
import { vocabularyWords } from '../augment/run-augment';

/**
 * Training data that streams from shards: the train split's captions encoded once (token ids, the only
 * part that grows with the data set), features (or images) read shard by shard as training reaches them.
 */
export async function streamedTrainingData(options: {
  shards: StreamedShards;
  trainIds: ReadonlySet<string>;
  valIds: ReadonlySet<string>;
  captionsOf: (id: string) => readonly string[] | undefined;
  references: (id: string) => string[];
  vocabulary: Vocabulary;
  input: InputSettings;
  /** Feature views per training image (1: none). */
  views?: number;
}): Promise<TrainingData> {
  const { vocabulary } = options;
  const T = vocabulary.encodeBatch([]).length;
  const train = await indexStreamedShards(options.shards, {
    wanted: options.trainIds,
    captionsOf: (id) => {
      const captions = options.captionsOf(id);
      if (!captions || captions.length === 0) return undefined;
      return { ids: vocabulary.encodeBatch(captions).ids, count: captions.length };
    },
    captionLength: T,
    vocabSize: vocabulary.size,
  });
  const val = await indexStreamedShards(options.shards, { wanted: options.valIds });
  const shards = `${options.shards.source === 'features' ? 'feature' : 'image'} shards`;
  if (train.images === 0) throw new InvalidInputError(`the train split has no images in the ${shards}`);
  if (val.images === 0) throw new InvalidInputError(`the val split has no images in the ${shards}`);
  return {
    vocabSize: vocabulary.size,
    train: {
      kind: 'stream',
      index: train,
      input: options.input,
      ...((options.views ?? 1) > 1
        ? { views: { count: options.views!, mirrorCaption: tokenSideSwap(vocabularyWords(vocabulary)) } }
        : {}),
    },
    val: { kind: 'stream', index: val, references: options.references },
    featureShape: train.featureShape,
    decodeTokens: (ids) => vocabulary.decode(ids),
  };
}
