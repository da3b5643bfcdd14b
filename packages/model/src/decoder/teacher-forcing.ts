import * as tf from '@tensorflow/tfjs';
import { PAD_ID } from '@captioner/core/special-tokens';
import { deriveSeed } from '@captioner/core/random';
import type { DecoderMath, DecoderState } from './decoder';
import { lstmSequence } from './lstm-sequence';
import { maskedCrossEntropy } from './masked-cross-entropy';
import { dropout, embeddingLookup } from './ops';

/** One training batch, already gathered into plain arrays (rows = captions). */
export interface CaptionBatch {
  /** [B, T]: `<start>` w... `<end>` `<pad>`... */
  captions: Int32Array;
  captionLength: number;
  /** [B, P] pooled features of each caption's image. */
  pooled: Float32Array;
  /** [B, G*C] grid features (attention only). */
  grid?: Float32Array;
  size: number;
  /**
   * Features as tensors, used instead of `pooled`/`grid` when set: end-to-end fine-tuning computes them
   * with the encoder inside the gradient scope, so the loss reaches the encoder's weights.
   */
  featureTensors?: { pooled: tf.Tensor2D; grid?: tf.Tensor2D };
  /**
   * [B] weight of each caption's tokens in the loss (default 1). Self-critical training passes the
   * advantage (reward minus baseline, possibly negative) of each sampled caption: the weighted
   * cross-entropy is then the REINFORCE loss -(r - b) log p(caption).
   */
  captionWeights?: Float32Array;
}

export interface LossOptions {
  /** Seed of this step's random draws (dropout masks, scheduled-sampling coins). */
  seed: number;
  /** Apply dropout (training). */
  training: boolean;
  /** Probability of feeding the model's own previous prediction instead of the true word. */
  samplingProbability: number;
  /** Weight of the doubly stochastic attention regulariser. */
  attentionRegularization: number;
  /**
   * Use the fused ops (whole-sequence LSTM with hand-written BPTT, closed-form cross-entropy gradient) where
   * they apply: LSTM without attention and without scheduled sampling. Same values; tests compare both.
   * @defaultValue true
   */
  fused?: boolean;
}

/** Teacher-forcing inputs laid out time-major ([steps, B] flattened) so that each step is a contiguous slice. */
export interface TimeMajorTokens {
  steps: number;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  /** Real (non-padding) target tokens. */
  tokens: number;
}

/** Splits captions into inputs (w_0..w_{L-2}) and targets (w_1..w_{L-1}), trimmed to the longest caption in the batch. */
export function timeMajorTokens(batch: CaptionBatch): TimeMajorTokens {
  const { captions, captionLength: T, size: B } = batch;
  let longest = 1;
  for (let b = 0; b < B; b++) {
    for (let t = T - 1; t >= 0; t--) {
      if (captions[b * T + t] !== PAD_ID) {
        longest = Math.max(longest, t + 1);
        break;
      }
    }
  }
  const steps = Math.max(longest - 1, 1);
  const inputs = new Int32Array(steps * B);
  const targets = new Int32Array(steps * B);
  const mask = new Float32Array(steps * B);
  let tokens = 0;
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < B; b++) {
      inputs[t * B + b] = captions[b * T + t];
      const target = t + 1 < T ? captions[b * T + t + 1] : PAD_ID;
      targets[t * B + b] = target;
      if (target !== PAD_ID) {
        mask[t * B + b] = 1;
        tokens++;
      }
    }
  }
  return { steps, inputs, targets, mask, tokens };
}

/** Positions (time-major) of the real target tokens. */
function realPositions(tm: TimeMajorTokens): Int32Array {
  const out = new Int32Array(tm.tokens);
  let k = 0;
  for (let i = 0; i < tm.mask.length; i++) if (tm.mask[i] === 1) out[k++] = i;
  return out;
}

/**
 * The hidden states of real target tokens only: padding rows never reach the output layer, the most
 * expensive matmul of a step (captions of a batch are padded to its longest, often a third of the rows).
 * The gather's gradient is the embedding lookup's JavaScript scatter-add.
 */
function realRows(hidden: tf.Tensor2D, tm: TimeMajorTokens): tf.Tensor2D {
  if (tm.tokens === tm.mask.length) return hidden;
  return embeddingLookup(hidden, tf.tensor1d(realPositions(tm), 'int32'));
}

/** Targets of the real tokens and an all-ones mask, matching realRows. */
function compactTargets(tm: TimeMajorTokens): { targets: Int32Array; mask: Float32Array } {
  if (tm.tokens === tm.mask.length) return { targets: tm.targets, mask: tm.mask };
  const positions = realPositions(tm);
  return {
    targets: Int32Array.from(positions, (p) => tm.targets[p]),
    mask: new Float32Array(positions.length).fill(1),
  };
}

/**
 * Masked cross-entropy of a batch under teacher forcing (plus the attention regulariser), as a scalar.
 * Call it inside `tf.variableGrads`; it allocates only tensors that the caller's tidy scope collects.
 */
export function teacherForcedLoss(shared: DecoderMath, batch: CaptionBatch, options: LossOptions): tf.Scalar {
  const fused = options.fused !== false;
  // The fused path shares weight transposes within this pass only: a cache of its own, never stored on `shared`.
  const math = fused ? shared.withTransposeCache(new Map()) : shared;
  const { spec } = math;
  const B = batch.size;
  const { pooledSize: P, gridPositions: G, gridChannels: C } = spec.featureShape;
  const tm = timeMajorTokens(batch);
  const pooled = batch.featureTensors?.pooled ?? tf.tensor2d(batch.pooled, [B, P]);
  const grid = spec.decoder.attention
    ? (batch.featureTensors?.grid ?? tf.tensor2d(batch.grid!, [B, G * C]))
    : undefined;
  let state: DecoderState = math.initialState(pooled, grid);
  const rate = options.training ? spec.decoder.dropout : 0;
  const hidden: tf.Tensor2D[] = [];
  const alphas: tf.Tensor2D[] = [];
  const inputIds = tf.tensor1d(tm.inputs, 'int32');
  let logits: tf.Tensor2D;
  if (fused && spec.decoder.cell === 'lstm' && !spec.decoder.attention && options.samplingProbability <= 0) {
    const inputs = math.gateInputs(math.embed(inputIds));
    const hiddenAll = lstmSequence(
      inputs,
      state.h,
      state.c!,
      math.params['cell/recurrent_kernel'] as unknown as tf.Tensor2D,
    );
    logits = math.logits(dropout(realRows(hiddenAll, tm), rate, deriveSeed(options.seed, 1)));
  } else if (options.samplingProbability <= 0) {
    // Plain teacher forcing, step by step (attention or GRU). Each step embeds and projects its own tokens:
    // splitting one [steps*B, gates] projection into steps costs more on wasm, where Split copies through JS.
    for (let t = 0; t < tm.steps; t++) {
      const ids = tf.tensor1d(tm.inputs.subarray(t * B, (t + 1) * B), 'int32');
      const out = math.step(state, math.projectInputs(math.embed(ids)));
      state = out.state;
      hidden.push(state.h);
      if (out.alpha) alphas.push(out.alpha);
    }
    logits = math.logits(
      dropout(realRows(tf.concat(hidden, 0) as tf.Tensor2D, tm), rate, deriveSeed(options.seed, 1)),
    );
  } else {
    // Scheduled sampling (Bengio et al. 2015): per caption and step, with probability p the input is the
    // model's own previous argmax (no gradient through the choice) instead of the true previous word.
    const coins = tf.randomUniform([tm.steps, B], 0, 1, 'float32', deriveSeed(options.seed, 2));
    const useModel = tf.less(coins, tf.scalar(options.samplingProbability));
    const teacher = tf.reshape(inputIds, [tm.steps, B]);
    const stepLogits: tf.Tensor2D[] = [];
    let previous: tf.Tensor2D | undefined;
    for (let t = 0; t < tm.steps; t++) {
      let ids = tf.reshape(tf.slice(teacher, [t, 0], [1, B]), [B]) as tf.Tensor1D;
      if (previous && t > 0) {
        const sampled = tf.cast(tf.argMax(previous, 1), 'int32') as tf.Tensor1D;
        const flip = tf.reshape(tf.slice(useModel, [t, 0], [1, B]), [B]);
        ids = tf.where(flip, sampled, ids) as tf.Tensor1D;
      }
      const out = math.step(state, math.projectInputs(math.embed(ids)));
      state = out.state;
      if (out.alpha) alphas.push(out.alpha);
      previous = math.logits(dropout(state.h, rate, deriveSeed(options.seed, 3, t)));
      stepLogits.push(previous);
    }
    logits = tf.concat(stepLogits, 0) as tf.Tensor2D;
  }
  const mask = tf.tensor1d(tm.mask);
  // Teacher forcing scores only the real tokens (realRows); scheduled sampling scores every row, masked.
  const scored =
    options.samplingProbability <= 0 ? compactTargets(tm) : { targets: tm.targets, mask: tm.mask };
  if (batch.captionWeights) {
    // Row k of `scored` is caption (position % B) of the time-major layout, compacted or not.
    const positions = scored.mask.length === tm.mask.length ? undefined : realPositions(tm);
    const weights = batch.captionWeights;
    scored.mask = Float32Array.from(scored.mask, (m, k) => m * weights[(positions ? positions[k] : k) % B]);
  }
  let loss: tf.Scalar;
  if (fused) {
    loss = maskedCrossEntropy(logits, scored.targets, scored.mask, tm.tokens);
  } else {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(
      tf.mul(logProbs, tf.oneHot(tf.tensor1d(scored.targets, 'int32'), spec.vocabSize)),
      1,
    );
    loss = tf.div(
      tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(scored.mask)))),
      tf.scalar(Math.max(tm.tokens, 1)),
    ) as tf.Scalar;
  }
  if (alphas.length > 0 && options.attentionRegularization > 0) {
    // Doubly stochastic regularisation (Show, Attend and Tell eq. 14): over a caption, every grid
    // position should receive about one unit of attention in total. Padding steps do not count.
    const stepMask = tf.reshape(mask, [tm.steps, B, 1]);
    const coverage = tf.sum(tf.mul(tf.stack(alphas), stepMask), 0);
    const penalty = tf.mean(tf.square(tf.sub(tf.scalar(1), coverage)));
    loss = tf.add(loss, tf.mul(tf.scalar(options.attentionRegularization), penalty)) as tf.Scalar;
  }
  return loss;
}
