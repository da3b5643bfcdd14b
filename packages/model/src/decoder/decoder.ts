import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core/errors';
import type { DecoderParams, DecoderSpec, FeatureNorm } from './params';
import { gridSide, positionChannels } from './params';
import { embeddingLookup, embeddingOnDevice, matMul, matMulWeight, matMulWeightBias } from './ops';
import type { TransposeCache } from './ops';

/**
 * How the products of one training pass are taken. `{ cache }`: the wasm path, gradients through
 * explicit transposes shared across steps (see ops.ts). `'device'`: the backend-neutral path, tfjs'
 * own `matMul`/`fused.matMul`/`gather` and their gradients (transpose flags and `UnsortedSegmentSum`,
 * which native backends run well), nothing copied to the host. Absent: decoding.
 */
export type TrainingProducts = { cache: TransposeCache } | 'device';

/** Recurrent state of a batch of captions being decoded; every tensor has the batch as its first axis. */
export interface DecoderState {
  h: tf.Tensor2D;
  /** LSTM memory cell (absent for GRU). */
  c?: tf.Tensor2D;
  /** Standardised grid features with their position channels [B, G, C + position channels] (attention only). */
  grid?: tf.Tensor3D;
  /** Grid projected into the attention space [B, G, A], computed once per caption (attention only). */
  gridKeys?: tf.Tensor3D;
  /** Coordinates [B, 2] the previous step attended to, (0, 0) before the first (`attentionShift` only). */
  where?: tf.Tensor2D;
}

/**
 * Teacher-forced attention for one step (`hardAttention` in training): the rows with `rows` 1 read the
 * positions of `alpha` (each row sums to 1) instead of choosing their own.
 */
export interface ForcedAttention {
  alpha: tf.Tensor2D;
  /** [B, 1]: 1 where the row's word has a target, 0 where the decoder chooses. */
  rows: tf.Tensor2D;
}

export interface StepOutput {
  state: DecoderState;
  /** Attention weights [B, G] of this step (attention only). */
  alpha?: tf.Tensor2D;
  /** What the output layer reads [B, H]: the new hidden state, plus the projected context with `contextToOutput`. */
  output: tf.Tensor2D;
}

/**
 * The decoder's math, shared by training (teacher forcing) and decoding (greedy, beam search), so that
 * the two can never disagree. It owns no tensors except through `params` and `norm`.
 */
export class DecoderMath {
  constructor(
    readonly spec: DecoderSpec,
    readonly params: DecoderParams,
    readonly norm: FeatureNorm,
    /** How one training pass takes its products (see TrainingProducts); absent when decoding. */
    readonly products?: TrainingProducts,
  ) {}

  /**
   * The same math for one training pass whose gradients share `cache`. A new object per pass, so
   * that no state outlives the pass or leaks into decoding, even when the pass throws.
   */
  withTransposeCache(cache: TransposeCache): DecoderMath {
    return new DecoderMath(this.spec, this.params, this.norm, { cache });
  }

  /** The same math for a training pass of the backend-neutral path (see TrainingProducts). */
  forDevice(): DecoderMath {
    return new DecoderMath(this.spec, this.params, this.norm, 'device');
  }

  private get transposeCache(): TransposeCache | undefined {
    return typeof this.products === 'object' ? this.products.cache : undefined;
  }

  /** a @ b: tfjs' own product and gradient on the device path, explicit transposes otherwise. */
  private product(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
    return this.products === 'device' ? tf.matMul(a, b) : matMul(a, b);
  }

  /** x @ params[name], sharing the weight's transpose across steps when training on wasm. */
  private mulWeight(x: tf.Tensor2D, name: string): tf.Tensor2D {
    if (this.products === 'device') return tf.matMul(x, this.p(name));
    return matMulWeight(x, this.p(name), this.transposeCache);
  }

  /** x @ params[kernel] + params[bias], as one fused product when training. */
  private mulWeightBias(x: tf.Tensor2D, kernel: string, bias: string): tf.Tensor2D {
    const b = this.params[bias] as unknown as tf.Tensor1D;
    if (this.products === 'device')
      return tf.fused.matMul({ a: x, b: this.p(kernel), bias: b }) as tf.Tensor2D;
    return matMulWeightBias(x, this.p(kernel), b, this.transposeCache);
  }

  private p(name: string): tf.Tensor2D {
    return this.params[name] as unknown as tf.Tensor2D;
  }

  /** Initial state from pooled features [B, P] and, with attention, the grid [B, G*C]. */
  initialState(pooled: tf.Tensor2D, grid?: tf.Tensor2D): DecoderState {
    const { attention, cell } = this.spec.decoder;
    const { gridPositions: G, gridChannels: C } = this.spec.featureShape;
    const B = pooled.shape[0];
    const pooledN = tf.div(tf.sub(pooled, this.norm.pooledMean), this.norm.pooledStd) as tf.Tensor2D;
    const h = tf.tanh(
      tf.add(this.product(pooledN, this.p('init_h/kernel')), this.params['init_h/bias']),
    ) as tf.Tensor2D;
    const state: DecoderState = { h };
    if (cell === 'lstm') {
      state.c = tf.tanh(
        tf.add(this.product(pooledN, this.p('init_c/kernel')), this.params['init_c/bias']),
      ) as tf.Tensor2D;
    }
    if (attention) {
      if (!grid) throw new InvalidInputError('this decoder uses attention: grid features are required');
      let flat = tf.div(
        tf.sub(tf.reshape(grid, [B * G, C]), this.norm.gridMean),
        this.norm.gridStd,
      ) as tf.Tensor2D;
      const extra = positionChannels(this.spec.decoder);
      if (extra > 0) {
        const positions = tf.tile(gridCoordinates(gridSide(this.spec.featureShape)), [B, 1]);
        flat = tf.concat([flat, positions], 1);
      }
      state.grid = tf.reshape(flat, [B, G, C + extra]);
      const keys = tf.add(
        this.product(flat, this.p('attention/encoder_kernel')),
        this.params['attention/bias'],
      );
      state.gridKeys = tf.reshape(keys, [B, G, this.spec.decoder.attentionSize]);
      if (this.spec.decoder.attentionShift) state.where = tf.zeros([B, 2]);
    }
    return state;
  }

  /** Embeds token ids [N] into [N, E]. */
  embed(ids: tf.Tensor1D): tf.Tensor2D {
    if (this.products === 'device') return embeddingOnDevice(this.p('embedding'), ids);
    return embeddingLookup(this.p('embedding'), ids);
  }

  /** Projects embedded inputs through the input kernel: [N, E] -> [N, gates]. Done for all steps at once in training. */
  projectInputs(embedded: tf.Tensor2D): tf.Tensor2D {
    return this.mulWeight(embedded, 'cell/input_kernel');
  }

  /** projectInputs plus the cell's bias: the whole input part of every gate, for a fused sequence. */
  gateInputs(embedded: tf.Tensor2D): tf.Tensor2D {
    return this.mulWeightBias(embedded, 'cell/input_kernel', 'cell/bias');
  }

  /**
   * Attention of state h over the grid: context [B, C] gated by h, the weights [B, G], and the weights
   * the context was read with (`read`: the weights themselves, or with `hardAttention` one position).
   */
  private attend(
    state: DecoderState,
    forced?: ForcedAttention,
  ): { context: tf.Tensor2D; alpha: tf.Tensor2D; read: tf.Tensor2D } {
    const { attentionSize: A } = this.spec.decoder;
    const { gridPositions: G } = this.spec.featureShape;
    const B = state.h.shape[0];
    const query = tf.reshape(this.mulWeight(state.h, 'attention/decoder_kernel'), [B, 1, A]);
    // ReLU rather than tanh (as in the PyTorch tutorial): same quality here, and wasm's Tanh over the
    // [B, G, A] energy was the single most expensive kernel of an attention training step.
    const energy = tf.reshape(tf.relu(tf.add(state.gridKeys!, query)), [B * G, A]) as tf.Tensor2D;
    const scores = tf.reshape(this.mulWeight(energy, 'attention/score_kernel'), [B, G]) as tf.Tensor2D;
    const alpha = tf.softmax(scores) as tf.Tensor2D;
    let read = alpha;
    if (this.spec.decoder.hardAttention) {
      read = mostAttended(alpha);
      if (forced)
        read = tf.add(
          tf.mul(forced.rows, forced.alpha),
          tf.mul(tf.sub(tf.scalar(1), forced.rows), read),
        ) as tf.Tensor2D;
    }
    const context = tf.sum(tf.mul(state.grid!, tf.reshape(read, [B, G, 1])), 1) as tf.Tensor2D;
    // Gating scalar beta (Show, Attend and Tell 4.2.1): lets the decoder weigh the image against language.
    const gate = tf.sigmoid(
      tf.add(this.mulWeight(state.h, 'attention/gate_kernel'), this.params['attention/gate_bias']),
    );
    return { context: tf.mul(gate, context) as tf.Tensor2D, alpha, read };
  }

  /**
   * One recurrent step given the projected input [B, gates] of the current token; `forced`: the
   * teacher-forced attention of a training step (`hardAttention` only).
   */
  step(state: DecoderState, projectedInput: tf.Tensor2D, forced?: ForcedAttention): StepOutput {
    const { cell, attention } = this.spec.decoder;
    let input = tf.add(projectedInput, this.params['cell/bias']) as tf.Tensor2D;
    let alpha: tf.Tensor2D | undefined;
    let context: tf.Tensor2D | undefined;
    let shift: tf.Tensor2D | undefined;
    let where: tf.Tensor2D | undefined;
    if (attention) {
      const attended = this.attend(state, forced);
      alpha = attended.alpha;
      context = attended.context;
      input = tf.add(input, this.mulWeight(context, 'cell/context_kernel')) as tf.Tensor2D;
      if (state.where) {
        where = this.product(attended.read, gridCoordinates(gridSide(this.spec.featureShape)));
        shift = tf.sub(where, state.where) as tf.Tensor2D;
        input = tf.add(input, this.mulWeight(shift, 'cell/shift_kernel')) as tf.Tensor2D;
      }
    }
    const recurrent = this.mulWeight(state.h, 'cell/recurrent_kernel');
    const next: DecoderState = { ...state, ...(where ? { where } : {}) };
    if (cell === 'lstm') {
      const gates = tf.add(input, recurrent);
      const [i, f, g, o] = tf.split(gates, 4, 1);
      const c = tf.add(tf.mul(tf.sigmoid(f), state.c!), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
      next.c = c;
      next.h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor2D;
    } else {
      const rec = tf.add(recurrent, this.params['cell/recurrent_bias']);
      const [xr, xz, xn] = tf.split(input, 3, 1);
      const [hr, hz, hn] = tf.split(rec, 3, 1);
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      // h' = (1 - z) * n + z * h
      next.h = tf.add(n, tf.mul(z, tf.sub(state.h, n))) as tf.Tensor2D;
    }
    let output = next.h;
    if (context && this.spec.decoder.contextToOutput) {
      output = tf.add(output, this.mulWeight(context, 'output/context_kernel')) as tf.Tensor2D;
      if (shift) output = tf.add(output, this.mulWeight(shift, 'output/shift_kernel')) as tf.Tensor2D;
    }
    return { state: next, alpha, output };
  }

  /** Vocabulary logits [N, V] from hidden states [N, H]. */
  logits(h: tf.Tensor2D): tf.Tensor2D {
    return this.mulWeightBias(h, 'output/kernel', 'output/bias');
  }

  /** Selects rows of every state tensor (beam search reorders and repeats captions). */
  gatherState(state: DecoderState, rows: tf.Tensor1D): DecoderState {
    const out: DecoderState = { h: tf.gather(state.h, rows) };
    if (state.c) out.c = tf.gather(state.c, rows);
    if (state.grid) out.grid = tf.gather(state.grid, rows);
    if (state.gridKeys) out.gridKeys = tf.gather(state.gridKeys, rows);
    if (state.where) out.where = tf.gather(state.where, rows);
    return out;
  }
}

/**
 * Column and row of every position of a side x side grid, row-major like the encoder's grid: [side², 2].
 * Centred and scaled to unit variance, the scale of the standardised features they sit next to.
 */
export function gridCoordinates(side: number): tf.Tensor2D {
  const centre = (side - 1) / 2;
  const scale = Math.sqrt(Math.max((side * side - 1) / 12, 1e-6));
  const values = new Float32Array(side * side * 2);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const i = (row * side + col) * 2;
      values[i] = (col - centre) / scale;
      values[i + 1] = (row - centre) / scale;
    }
  }
  return tf.tensor2d(values, [side * side, 2]);
}

/**
 * One-hot of each row's largest weight [B, G]; its gradient passes straight through to the weights, so
 * that what the chosen position gave the words still teaches attention (Bengio et al. 2013).
 */
const mostAttended = tf.customGrad(((alpha: tf.Tensor2D) => ({
  value: tf.cast(tf.oneHot(tf.argMax(alpha, 1) as tf.Tensor1D, alpha.shape[1]), 'float32'),
  gradFunc: (dy: tf.Tensor2D) => [dy],
})) as never) as unknown as (alpha: tf.Tensor2D) => tf.Tensor2D;

/** All tensors of a state, for keeping them across tidy scopes and disposing them. */
export function stateTensors(state: DecoderState): tf.Tensor[] {
  return [state.h, state.c, state.grid, state.gridKeys, state.where].filter(
    (t): t is NonNullable<typeof t> => t !== undefined,
  );
}
