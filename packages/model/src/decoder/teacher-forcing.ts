import * as tf from '@tensorflow/tfjs';
import { PAD_ID } from '@captioner/core/special-tokens';
import { deriveSeed } from '@captioner/core/random';
import type { DecoderMath, DecoderState, ForcedAttention } from './decoder';
import { lstmSequence } from './lstm-sequence';
import { lstmSequenceOnDevice } from './lstm-sequence-device';
import { maskedCrossEntropy } from './masked-cross-entropy';
import { maskedCrossEntropyOnDevice } from './cross-entropy-device';
import { dropout, embeddingLookup } from './ops';
import { trainingPathFor } from './training-path';
import { InvalidInputError } from '@captioner/core/errors';
import { gridPositionCells } from '../encoder/cell-head';
import type { TrainingPath } from './training-path';

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
  /** What each token names where (attention supervision); read only when its weight is > 0. */
  attentionCells?: AttentionCells;
}

/**
 * The image cell each caption token names: `cells` is [B, T] aligned with `captions`, each the cell
 * (row * grid + column of a `grid`×`grid` partition of the image) of the object the token is about, or -1.
 */
export interface AttentionCells {
  cells: Int8Array;
  grid: number;
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
   * Weight of the supervised attention term: -log of the attention that each step producing a token with a
   * cell (`CaptionBatch.attentionCells`) puts on that cell's grid positions, averaged over those steps.
   * @defaultValue 0
   */
  attentionSupervision?: number;
  /**
   * Which implementation computes the loss and its gradients (same values; tests compare them):
   * - `wasm`: the fused ops tuned for wasm (whole-sequence LSTM whose elementwise work runs in JavaScript,
   *   closed-form cross-entropy from per-row values read back, JavaScript scatter-add embedding gradient);
   * - `device`: the backend-neutral path for native backends (tfjs-node, tfjs-node-gpu) and `cpu`: the
   *   same closed forms as tensor ops and custom gradients, nothing read back to the host;
   * - `autodiff`: plain tfjs autodiff of the step-by-step math, the reference the others are tested against.
   * @defaultValue trainingPathFor(tf.getBackend()): `wasm` on wasm, `device` elsewhere
   */
  path?: TrainingPath | 'autodiff';
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
function realRows(hidden: tf.Tensor2D, tm: TimeMajorTokens, path: LossOptions['path']): tf.Tensor2D {
  if (tm.tokens === tm.mask.length) return hidden;
  const positions = tf.tensor1d(realPositions(tm), 'int32');
  // On the device path, tfjs' own gather gradient (UnsortedSegmentSum) keeps it on the device.
  return path === 'device' ? tf.gather(hidden, positions) : embeddingLookup(hidden, positions);
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
  const path = options.path ?? trainingPathFor(tf.getBackend());
  const fused = path !== 'autodiff';
  // The wasm path shares weight transposes within this pass only: a cache of its own, never stored on `shared`.
  const math =
    path === 'wasm' ? shared.withTransposeCache(new Map()) : path === 'device' ? shared.forDevice() : shared;
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
  const supervision = options.attentionSupervision ?? 0;
  // The attention targets, built once: what hard attention reads in training and what supervision scores.
  const target =
    batch.attentionCells && (spec.decoder.hardAttention || supervision > 0)
      ? attentionTargetMask(batch.attentionCells, tm.steps, B, batch.captionLength, G)
      : undefined;
  const forcedAt = spec.decoder.hardAttention && target ? forcedAttention(target, B, G) : () => undefined;
  let logits: tf.Tensor2D;
  if (fused && spec.decoder.cell === 'lstm' && !spec.decoder.attention && options.samplingProbability <= 0) {
    const inputs = math.gateInputs(math.embed(inputIds));
    const sequence = path === 'device' ? lstmSequenceOnDevice : lstmSequence;
    const hiddenAll = sequence(
      inputs,
      state.h,
      state.c!,
      math.params['cell/recurrent_kernel'] as unknown as tf.Tensor2D,
    );
    logits = math.logits(dropout(realRows(hiddenAll, tm, path), rate, deriveSeed(options.seed, 1)));
  } else if (options.samplingProbability <= 0) {
    // Plain teacher forcing, step by step (attention or GRU). On wasm each step embeds and projects its own
    // tokens (splitting one [steps*B, gates] projection costs more there: Slice copies through JavaScript);
    // on the device path one product projects every step and each step takes a slice of it.
    const projected = path === 'device' ? math.projectInputs(math.embed(inputIds)) : undefined;
    const gates = projected?.shape[1] ?? 0;
    for (let t = 0; t < tm.steps; t++) {
      const input = projected
        ? (tf.slice(projected, [t * B, 0], [B, gates]) as tf.Tensor2D)
        : math.projectInputs(math.embed(tf.tensor1d(tm.inputs.subarray(t * B, (t + 1) * B), 'int32')));
      const out = math.step(state, input, forcedAt(t));
      state = out.state;
      hidden.push(out.output);
      if (out.alpha) alphas.push(out.alpha);
    }
    logits = math.logits(
      dropout(realRows(tf.concat(hidden, 0) as tf.Tensor2D, tm, path), rate, deriveSeed(options.seed, 1)),
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
      const out = math.step(state, math.projectInputs(math.embed(ids)), forcedAt(t));
      state = out.state;
      if (out.alpha) alphas.push(out.alpha);
      previous = math.logits(dropout(out.output, rate, deriveSeed(options.seed, 3, t)));
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
  if (path === 'wasm') {
    loss = maskedCrossEntropy(logits, scored.targets, scored.mask, tm.tokens);
  } else if (path === 'device') {
    loss = maskedCrossEntropyOnDevice(logits, scored.targets, scored.mask, tm.tokens);
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
  if (alphas.length > 0 && supervision > 0 && target) {
    const onCell = tf.sum(tf.mul(tf.stack(alphas), tf.tensor3d(target.mask, [tm.steps, B, G])), 2);
    // Steps without a target see a mask of ones (attention sums to 1): log 1 = 0, no gradient.
    const logOnCell = tf.log(tf.add(onCell, tf.scalar(1e-6)));
    const term = tf.div(tf.neg(tf.sum(logOnCell)), tf.scalar(target.supervised));
    loss = tf.add(loss, tf.mul(tf.scalar(supervision), term)) as tf.Scalar;
  }
  return loss;
}

/**
 * The teacher-forced attention of step t (`hardAttention`): a word with a target cell reads that cell's
 * positions (equally weighted), the others choose.
 */
function forcedAttention(target: AttentionTarget, B: number, G: number): (t: number) => ForcedAttention {
  return (t) => {
    const alpha = new Float32Array(B * G);
    const rows = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      if (!target.targeted[t * B + b]) continue;
      rows[b] = 1;
      const mask = target.mask.subarray((t * B + b) * G, (t * B + b + 1) * G);
      const positions = mask.reduce((sum, m) => sum + m, 0);
      for (let p = 0; p < G; p++) alpha[b * G + p] = mask[p] / positions;
    }
    return { alpha: tf.tensor2d(alpha, [B, G]), rows: tf.tensor2d(rows, [B, 1]) };
  };
}

/** Each step's target positions (`mask`), which (step, row) pairs have one, and how many do. */
export interface AttentionTarget {
  /** [steps, B, G]: 1 on the target cell's positions; all ones where the token has no cell. */
  mask: Float32Array;
  /** [steps, B]: 1 where the token has a cell. */
  targeted: Uint8Array;
  supervised: number;
}

/**
 * The grid positions of each step's target cell, [steps, B, G] time-major (step t produces token t + 1),
 * all ones where the token has no cell; undefined when no token of the batch has one. The grid must be
 * square; its positions are assigned to the cells of the `cells`-side partition by `gridPositionCells`.
 */
export function attentionTargetMask(
  { cells, grid }: AttentionCells,
  steps: number,
  B: number,
  T: number,
  G: number,
): AttentionTarget | undefined {
  const side = Math.round(Math.sqrt(G));
  if (side * side !== G)
    throw new InvalidInputError(`attention supervision needs a square feature grid, got ${G} positions`);
  const cellOf = gridPositionCells(side, side, grid);
  const mask = new Float32Array(steps * B * G);
  const targeted = new Uint8Array(steps * B);
  let supervised = 0;
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < B; b++) {
      const cell = t + 1 < T ? cells[b * T + t + 1] : -1;
      const row = mask.subarray((t * B + b) * G, (t * B + b + 1) * G);
      if (cell < 0) row.fill(1);
      else {
        supervised++;
        targeted[t * B + b] = 1;
        for (let p = 0; p < G; p++) row[p] = cellOf[p] === cell ? 1 : 0;
      }
    }
  }
  return supervised > 0 ? { mask, targeted, supervised } : undefined;
}
