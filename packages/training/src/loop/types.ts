import type { ProgressListener } from '@captioner/core';
import type { AttentionCells, FeatureShape, ImageEncoder, ModelConfig } from '@captioner/model';
import type { TrainingConfig } from './config';
import type { StreamIndex } from '../input/stream-index';
import type { StreamViews } from '../input/feature-stream';
import type { InputSettings } from '@captioner/stage-contract';
import type { FineTuneAugment } from '../augment/batch-plan';
import type { MemoryViews } from '../augment/memory-views';

/** Training captions and the features of their images. */
export interface TrainSplit {
  /** [images, P] pooled features. */
  pooled: Float32Array;
  /** [images, G*C] grid features (attention models). */
  grid?: Float32Array;
  images: number;
  /** [M, T]: `<start>` w... `<end>` `<pad>`... */
  captions: Int32Array;
  captionLength: number;
  /** [M] image row of each caption. */
  captionImage: Int32Array;
  /** What each caption word names where (`encodeAttentionCells`): [M, T] cells of a `grid`×`grid` partition. */
  attentionCells?: AttentionCells;
  /** Augmented feature views (frozen encoder, `preprocess.augment.views` > 1): one drawn per image and epoch. */
  views?: MemoryViews;
}

/** Validation images with their reference captions (ptb-tokenized, space-joined). */
export interface ValSplit {
  pooled: Float32Array;
  grid?: Float32Array;
  images: number;
  references: string[][];
  /** The images' ids, in row order, when known: validation then keys its captions by them (scorers see them). */
  ids?: string[];
}

/** Training captions whose features stream from shards as training reaches them (src/input). */
export interface TrainStream {
  kind: 'stream';
  index: StreamIndex;
  /** Prefetch and shuffle buffer: they bound memory and fix the order, so a resume must keep them. */
  input: InputSettings;
  /** Augmented feature views to draw from (frozen encoder with `preprocess.augment.views` > 1). */
  views?: StreamViews;
  /** What each caption word names where, [M, T] aligned with `index.captions` (see TrainSplit). */
  attentionCells?: AttentionCells;
}

/** Validation images streamed from shards: only the first `validation.maxImages` are ever read. */
export interface ValStream {
  kind: 'stream';
  index: StreamIndex;
  references: (id: string) => string[];
}

export interface TrainingData {
  vocabSize: number;
  /** In memory (tests, fine-tuning) or streamed from feature shards (the train stage). */
  train: TrainSplit | TrainStream;
  val: ValSplit | ValStream;
  featureShape: FeatureShape;
  /** Vocabulary ids -> space-joined words. */
  decodeTokens: (ids: number[]) => string;
}

/** Training data held in memory (tests, fine-tuning). */
export type InMemoryTrainingData = TrainingData & { train: TrainSplit; val: ValSplit };

/** One checkpoint directory, as reported to `onCheckpoint` and returned by `trainCaptioner`. */
export interface CheckpointInfo {
  step: number;
  epoch: number;
  dir: string;
  kind: 'step' | 'epoch';
  /** Validation score (epoch checkpoints). */
  valScore?: number;
  /** Metric name of `valScore`, e.g. `CIDEr`. */
  metric?: string;
  /** Best validation score so far (when this checkpoint was written). */
  isBest: boolean;
}

export interface TrainingMetric {
  /** e.g. `train/loss`, `train/tokens_per_second`, `train/learning_rate`, `val/CIDEr`. */
  name: string;
  step: number;
  epoch: number;
  value: number;
}

/** Scores candidate captions against references; the shape of `scoreCaptions` from @captioner/metrics. */
export type CaptionScorer = (
  input: { refs: Record<string, string[]>; cands: Record<string, string> },
  options?: { tokenize?: boolean },
) => { corpus: Record<string, number> };

export interface TrainCaptionerOptions {
  modelConfig: ModelConfig;
  trainingConfig: TrainingConfig;
  data: TrainingData;
  checkpointsDir: string;
  /** Continue from the newest complete checkpoint in `checkpointsDir` (starts fresh when there is none). */
  resume?: boolean;
  /** fraction, message, figures { loss, tokensPerSecond, etaSeconds, step, epoch }. */
  onProgress?: ProgressListener;
  onMetric?: (m: TrainingMetric) => void | Promise<void>;
  /**
   * Asked after each validated epoch but the last (`epoch` counts finished epochs): true stops
   * training there, as `stoppedBy: 'pruned'`. A sweep's median pruning answers it (training stage).
   */
  shouldPrune?: (epoch: number, valScore: number) => Promise<boolean>;
  /**
   * The epoch after which a sweep already pruned this run (the run's `prunedAtEpoch`): a resumed run
   * (say, after a crash before its evaluation) stops there again as `pruned` instead of training on.
   */
  prunedAtEpoch?: number;
  onCheckpoint?: (c: CheckpointInfo) => void | Promise<void>;
  /** Called before a pruned checkpoint directory is deleted (record it pruned first: see pruneCheckpoints). */
  onCheckpointPruned?: (dir: string) => void | Promise<void>;
  /** On abort: write a checkpoint, then throw CancelledError. */
  signal?: AbortSignal;
  /** Replaces the validation scorer (default: `scoreCaptions` from @captioner/metrics). */
  scoreCaptions?: CaptionScorer;
  /**
   * End-to-end fine-tuning (required when `modelConfig.encoder.trainable`): the encoder, whose last
   * `trainableBlocks` blocks train with the decoder. With data in memory, also the normalised images of the
   * train and val splits (`FineTuneInput`); with streamed data, the streams index image shards instead of
   * feature shards (`buildImageStreamIndex`). Features are computed from the images at every step;
   * `data.*.pooled`/`grid` are not read (they may be empty).
   */
  fineTune?: FineTuneInput | FineTuneEncoder;
  /**
   * Called when `trainingConfig.batchSize` is `auto` and a probe chose the batch (not when it came from a
   * checkpoint or `trainingConfig.autoBatch`): the stage records it in the run.
   */
  onAutoBatch?: (choice: AutoBatchChoice) => void | Promise<void>;
}

/** What `batchSize: 'auto'` chose (the shape of the run config's `training.autoBatch`). */
export interface AutoBatchChoice {
  batchSize: number;
  /** Peak memory of a step at that batch, MB (tensors as tfjs counts them). */
  peakMB: number;
  budgetMB: number;
  backend: string;
}

/** The encoder whose last blocks train with the decoder, and how its training images are augmented. */
export interface FineTuneEncoder {
  encoder: ImageEncoder;
  /** Per-batch augmentation of the training images (never validation); none when omitted. */
  augment?: FineTuneAugment;
}

/** Fine-tuning on images held in memory: normalised [images, S, S, 3], rows as in `data.train` / `data.val`. */
export interface FineTuneInput extends FineTuneEncoder {
  trainImages: Float32Array;
  valImages: Float32Array;
}

export interface TrainCaptionerResult {
  steps: number;
  epochs: number;
  best: CheckpointInfo | null;
  last: CheckpointInfo;
  /** Why training ended. */
  stoppedBy: 'epochs' | 'early-stopping' | 'pruned';
  /** Captions per step (the probed one with `batchSize: 'auto'`). */
  batchSize: number;
}
