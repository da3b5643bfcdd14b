import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core/errors';
import type { DecoderMath, DecoderState } from '../decoder/decoder';
import { stateTensors } from '../decoder/decoder';
import { END_ID, PAD_ID, START_ID, UNK_ID } from '@captioner/core/special-tokens';
import type { DecodeFeatures } from './types';

/** Initial decoder state for a batch of images; the caller disposes it with `disposeState`. */
export function initialDecodeState(math: DecoderMath, features: DecodeFeatures): DecoderState {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = math.spec.featureShape;
  const n = features.count;
  if (features.pooled.length !== n * P) {
    throw new InvalidInputError(`pooled features: expected ${n}x${P} values, got ${features.pooled.length}`);
  }
  if (math.spec.decoder.attention && (!features.grid || features.grid.length !== n * G * C)) {
    throw new InvalidInputError(
      `grid features: expected ${n}x${G}x${C} values, got ${features.grid?.length ?? 'none'}`,
    );
  }
  return tf.tidy(() => {
    const state = math.initialState(
      tf.tensor2d(features.pooled, [n, P]),
      math.spec.decoder.attention ? tf.tensor2d(features.grid!, [n, G * C]) : undefined,
    );
    return state as unknown as tf.TensorContainerObject;
  }) as unknown as DecoderState;
}

export function disposeState(state: DecoderState): void {
  tf.dispose(stateTensors(state));
}

/** Disposes the tensors of `previous` that `next` does not share (a step keeps the grid tensors as they are). */
export function retireState(previous: DecoderState, next: DecoderState): void {
  const kept = new Set(stateTensors(next));
  tf.dispose(stateTensors(previous).filter((t) => !kept.has(t)));
}

/**
 * Advances every row by one token and returns log-probabilities [rows, V] with the tokens that may never
 * be produced set to -Infinity: `<pad>`, `<start>` and `<unk>` always, `<end>` at the first step. Words
 * are the ids from 4 up (the vocabulary decodes nothing else), so every caption has at least one word.
 * With `keepAttention` (attention models), also the step's attention weights [rows, G], which the
 * caller disposes; otherwise they are dropped inside the step.
 */
export function stepLogProbs(
  math: DecoderMath,
  state: DecoderState,
  tokens: Int32Array,
  firstStep: boolean,
  keepAttention = false,
): { state: DecoderState; logProbs: tf.Tensor2D; alpha?: tf.Tensor2D } {
  const result = tf.tidy(() => {
    const out = math.step(state, math.projectInputs(math.embed(tf.tensor1d(tokens, 'int32'))));
    const V = math.spec.vocabSize;
    const banned = new Float32Array(V);
    banned[PAD_ID] = -Infinity;
    banned[START_ID] = -Infinity;
    banned[UNK_ID] = -Infinity;
    if (firstStep) banned[END_ID] = -Infinity;
    const logProbs = tf.add(tf.logSoftmax(math.logits(out.output)), tf.tensor1d(banned));
    const alpha = keepAttention && out.alpha ? { alpha: out.alpha } : {};
    return {
      ...(out.state as unknown as tf.TensorContainerObject),
      logProbs,
      ...alpha,
    } as tf.TensorContainerObject;
  }) as unknown as DecoderState & { logProbs: tf.Tensor2D; alpha?: tf.Tensor2D };
  const { logProbs, alpha, ...next } = result;
  return { state: next, logProbs, alpha };
}

/** The rows of a [rows, G] attention tensor as plain arrays (one per decoded row); disposes it. */
export async function attentionRows(alpha: tf.Tensor2D | undefined): Promise<number[][] | undefined> {
  if (!alpha) return undefined;
  const rows = (await alpha.array()) as number[][];
  alpha.dispose();
  return rows;
}

/** Yields to the event loop (decoding and training are synchronous on wasm/cpu; this keeps timers alive). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The words that would repeat an n-gram of `n` words already in `tokens` if produced next: for every
 * earlier occurrence of the last n - 1 words, the word that followed it. Empty for n = 0 (no ban).
 */
export function repeatedNgramBans(tokens: readonly number[], n: number): Set<number> {
  const banned = new Set<number>();
  if (n < 1 || tokens.length < n - 1) return banned;
  const prefixStart = tokens.length - (n - 1);
  for (let i = 0; i + n - 1 < tokens.length; i++) {
    let same = true;
    for (let j = 0; j < n - 1 && same; j++) same = tokens[i + j] === tokens[prefixStart + j];
    if (same) banned.add(tokens[i + n - 1]);
  }
  return banned;
}
