import { InvalidInputError } from '@captioner/core';
import type { Vocabulary } from '@captioner/dataset';
import type { InputSettings } from '@captioner/stage-contract';
import type { TrainingData } from '../loop/types';
import { buildStreamIndex } from './stream-index';
import { tokenSideSwap } from '@captioner/feature-extraction';
import { vocabularyWords } from '../augment/run-augment';

/**
 * Training data that streams from feature shards: the train split's captions encoded once (token ids,
 * the only part that grows with the data set), features read shard by shard as training reaches them.
 */
export async function streamedTrainingData(options: {
  files: string[];
  trainIds: ReadonlySet<string>;
  valIds: ReadonlySet<string>;
  captionsOf: (id: string) => readonly string[] | undefined;
  references: (id: string) => string[];
  vocabulary: Vocabulary;
  withGrid: boolean;
  input: InputSettings;
  /** Feature views per training image (1: none). */
  views?: number;
}): Promise<TrainingData> {
  const { vocabulary } = options;
  const T = vocabulary.encodeBatch([]).length;
  const train = await buildStreamIndex({
    files: options.files,
    wanted: options.trainIds,
    captionsOf: (id) => {
      const captions = options.captionsOf(id);
      if (!captions || captions.length === 0) return undefined;
      return { ids: vocabulary.encodeBatch(captions).ids, count: captions.length };
    },
    captionLength: T,
    vocabSize: vocabulary.size,
    withGrid: options.withGrid,
  });
  const val = await buildStreamIndex({
    files: options.files,
    wanted: options.valIds,
    withGrid: options.withGrid,
  });
  if (train.images === 0) throw new InvalidInputError('the train split has no images in the feature shards');
  if (val.images === 0) throw new InvalidInputError('the val split has no images in the feature shards');
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
