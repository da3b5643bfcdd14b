import type * as tf from '@tensorflow/tfjs';
import type { CaptionBatch, FeatureNorm, FeatureShape, NamedArrays } from '@captioner/model';
import type { StreamLayout } from './loop-state';
import type { ValSplit } from './types';

/** Features computed inside the gradient scope (fine-tuning); undefined when the batch carries them. */
export type BatchFeatures = (() => { pooled: tf.Tensor2D; grid?: tf.Tensor2D }) | undefined;

/** The batches of one epoch, in order, from a given batch on. */
export interface BatchReader {
  next(): Promise<{ batch: CaptionBatch; features: BatchFeatures }>;
  /** Lets go of what the reader holds (shards read ahead, features). */
  close(): Promise<void>;
}

/**
 * Where the image features of training come from: pre-extracted features of a frozen encoder (in memory or
 * streamed from shards), or an encoder fine-tuned with the decoder (features computed from the images at
 * every step). The training loop is the same for all; only these points differ.
 */
export interface FeatureSource {
  /** Encoder variables trained with the decoder, by checkpoint name (none for frozen features). */
  readonly variables: Record<string, tf.Variable>;
  /** Training captions per epoch. */
  readonly trainCaptions: number;
  /** Streamed sources: what fixes the epoch order besides the seed (saved in checkpoints, checked on resume). */
  readonly streamLayout?: StreamLayout;
  /** The decoder's feature normalisation, from the training images' features before any step. */
  featureNorm(shape: FeatureShape, attention: boolean): Promise<FeatureNorm>;
  /** Restores the source's own weights from a checkpoint's tensors (the fine-tuned encoder's). */
  restore(tensors: NamedArrays): void;
  /** Batches of `epoch` from batch `from` (a resumed epoch starts past 0), the same bytes either way. */
  epochBatches(epoch: number, from: number, batchSize: number, seed: number): BatchReader;
  /** The validation split with features as the model sees them now. */
  validationSplit(maxImages: number): Promise<ValSplit>;
}

export function isStreamed<T extends object>(split: T | { kind: 'stream' }): split is { kind: 'stream' } {
  return (split as { kind?: string }).kind === 'stream';
}
