import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '@captioner/core';
import { END_ID, START_ID, UNK_ID } from '@captioner/model';
import type { CaptionBatch, DecoderMath, TrainingPath } from '@captioner/model';
import { Adam } from './adam';
import type { BatchFeatures, FeatureSource } from './source';
import { trainStep } from './train-step';
import type { TrainingData } from './types';

const MB = 1024 * 1024;

/**
 * The largest batch `auto` considers: beyond it an epoch of the data sets this runs on has too few steps
 * for the default learning rates, and a probe step there would cost minutes on a CPU.
 */
export const MAX_AUTO_BATCH = 1024;

/** Probe steps at most (two small ones, then predictions checked by measuring them). */
const MAX_TRIALS = 6;

export interface BatchProbe {
  /** The largest batch measured to fit the budget. */
  batchSize: number;
  /** Its peak, in bytes of live tensors (weights and optimizer state included). */
  peakBytes: number;
  budgetBytes: number;
  /** Every probe step, in order; `peakBytes` null when the step failed (a device out of memory). */
  trials: Array<{ batchSize: number; peakBytes: number | null }>;
}

export interface BatchProbeInput {
  math: DecoderMath;
  /** The variables a step trains (decoder, plus fine-tuned encoder blocks). */
  trained: Record<string, tf.Variable>;
  source: FeatureSource;
  data: TrainingData;
  budgetBytes: number;
  attentionRegularization: number;
  /** The scheduled-sampling probability to probe with (its step-by-step path keeps more per step). */
  samplingProbability: number;
  path?: TrainingPath;
}

/**
 * Finds the largest batch whose training step peaks within `budgetBytes`, counting the tensors tfjs
 * tracks (tf.memory().numBytes: weights, Adam's moments, activations kept for the backward pass,
 * gradients, Adam's temporaries). The same count on every backend; it errs on the safe side, since a
 * reshape or a saved clone counts again although it shares memory.
 *
 * Each trial is a real step on worst-case captions (every one as long as the longest) with a throwaway
 * Adam at learning rate 0, so the weights do not change. Memory grows linearly with the batch: two small
 * trials give the line, its prediction is measured, and the line through the two newest points refines
 * it until the prediction is a batch already known to fit. A step that throws (a GPU out of memory)
 * counts as not fitting.
 */
export async function probeBatchSize(input: BatchProbeInput): Promise<BatchProbe> {
  const { budgetBytes } = input;
  const maxBatch = Math.min(MAX_AUTO_BATCH, input.source.trainCaptions);
  const probeAdam = new Adam(input.trained);
  // The throwaway moments exist only during the probe: the session's Adam already holds its own.
  const probeAdamBytes = 2 * Object.values(input.trained).reduce((sum, v) => sum + v.size * 4, 0);
  const trials: BatchProbe['trials'] = [];
  const measure = async (batchSize: number): Promise<number | null> => {
    // The batch is read before the measurement (reading a streamed shard allocates no tensor anyway).
    const { batch, features } = await firstBatch(input, batchSize);
    let peak: number | null;
    try {
      peak = peakBytesDuring(() => probeStep(input, probeAdam, batch, features)) - probeAdamBytes;
    } catch (error) {
      // The smallest trials must run: a failure there is a real error, not a full device.
      if (trials.length < 2) throw error;
      peak = null;
    }
    trials.push({ batchSize, peakBytes: peak });
    return peak;
  };
  try {
    let fit = { batchSize: 0, peakBytes: 0 };
    let tooBig = maxBatch + 1;
    const record = (batchSize: number, peak: number | null) => {
      if (peak !== null && peak <= budgetBytes) {
        if (batchSize > fit.batchSize) fit = { batchSize, peakBytes: peak };
      } else tooBig = Math.min(tooBig, batchSize);
    };
    const first = Math.min(4, maxBatch);
    const second = Math.min(2 * first, maxBatch);
    const points: Array<{ batchSize: number; peakBytes: number }> = [];
    for (const size of new Set([first, second])) {
      const peak = (await measure(size))!;
      points.push({ batchSize: size, peakBytes: peak });
      record(size, peak);
    }
    while (trials.length < MAX_TRIALS && tooBig - fit.batchSize > 1) {
      const [a, b] = points.slice(-2);
      const slope =
        b && b.batchSize !== a.batchSize ? (b.peakBytes - a.peakBytes) / (b.batchSize - a.batchSize) : 0;
      const last = points[points.length - 1];
      let next = slope > 0 ? Math.floor(last.batchSize + (budgetBytes - last.peakBytes) / slope) : tooBig - 1;
      // Stay strictly between what fits and what does not: when the line says the largest fitting batch
      // is one already measured, the next one up is measured to confirm that it does not fit.
      next = Math.min(Math.max(next, fit.batchSize + 1), tooBig - 1);
      const peak = await measure(next);
      record(next, peak);
      if (peak !== null) points.push({ batchSize: next, peakBytes: peak });
    }
    if (fit.batchSize === 0) {
      const smallest = trials[0];
      throw new ConfigError(
        `training.memoryBudgetMB: ${(budgetBytes / MB).toFixed(1)} MB is less than a step of ${smallest.batchSize} captions needs (${((smallest.peakBytes ?? 0) / MB).toFixed(1)} MB); raise it or set training.batchSize`,
      );
    }
    return { ...fit, budgetBytes, trials };
  } finally {
    probeAdam.dispose();
  }
}

/**
 * The first `batchSize` captions of epoch 0 as the source gives them (in memory or streamed), with
 * captions replaced by worst-case ones: every caption as long as the longest.
 */
async function firstBatch(
  input: BatchProbeInput,
  batchSize: number,
): Promise<{ batch: CaptionBatch; features: BatchFeatures }> {
  const reader = input.source.epochBatches(0, 0, batchSize, 0);
  try {
    const { batch, features } = await reader.next();
    batch.captions = fullLengthCaptions(batch.size, batch.captionLength, input.data.vocabSize);
    return { batch, features };
  } finally {
    await reader.close();
  }
}

/** One training step on `batch` with the probe's Adam at learning rate 0. */
function probeStep(input: BatchProbeInput, adam: Adam, batch: CaptionBatch, features: BatchFeatures): void {
  const { math } = input;
  tf.tidy(() => {
    trainStep(
      math,
      adam,
      batch,
      {
        seed: 0,
        learningRate: 0,
        learningRateOf: () => 0,
        gradClipNorm: 1,
        samplingProbability: input.samplingProbability,
        attentionRegularization: input.attentionRegularization,
        path: input.path,
      },
      input.trained,
      features,
    );
  });
}

/** Captions that fill all T positions: `<start>`, T - 2 words, `<end>` (the most a step ever holds). */
function fullLengthCaptions(B: number, T: number, V: number): Int32Array {
  const out = new Int32Array(B * T);
  const firstWord = UNK_ID + 1;
  for (let b = 0; b < B; b++) {
    out[b * T] = START_ID;
    for (let t = 1; t < T - 1; t++)
      out[b * T + t] = V > firstWord ? firstWord + ((b + t) % (V - firstWord)) : UNK_ID;
    out[b * T + T - 1] = END_ID;
  }
  return out;
}

/**
 * The highest tf.memory().numBytes reached while `fn` runs. The engine keeps that count in one field,
 * updated on every tensor made or disposed; an accessor on it sees every change (tf.profile samples
 * only after each kernel, and reads every kernel's output back to time it).
 */
export function peakBytesDuring(fn: () => void): number {
  const state = (tf.engine() as unknown as { state: { numBytes: number } }).state;
  let value = state.numBytes;
  let peak = value;
  Object.defineProperty(state, 'numBytes', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (next: number) => {
      value = next;
      if (next > peak) peak = next;
    },
  });
  try {
    fn();
  } finally {
    delete (state as { numBytes?: number }).numBytes;
    state.numBytes = value;
  }
  return peak;
}
