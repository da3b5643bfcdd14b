import * as tf from '@tensorflow/tfjs';
import type { DecoderConfig, FeatureShape } from '../config';
import { ConfigError, CorruptArtifactError } from '@captioner/core/errors';
import { SeededRandom } from '@captioner/core/random';

/** Everything that fixes the decoder's parameter shapes. */
export interface DecoderSpec {
  decoder: DecoderConfig;
  featureShape: FeatureShape;
  vocabSize: number;
}

/** Trainable decoder parameters by stable name (the names are the checkpoint format). */
export type DecoderParams = Record<string, tf.Variable>;

/**
 * Per-channel standardisation of the encoder features, computed once from the training features and
 * stored with the weights (not trained). A frozen, randomly initialised encoder produces features
 * whose scale drifts with depth; standardising them keeps the tanh/sigmoid gates out of saturation.
 */
export type FeatureNorm = Record<'pooledMean' | 'pooledStd' | 'gridMean' | 'gridStd', tf.Tensor1D>;

export interface ParamShape {
  name: string;
  shape: number[];
  /** `glorot` for matrices, `zeros`/`ones`/`uniform` for the rest. */
  init: 'glorot' | 'zeros' | 'forget-bias' | 'uniform';
}

/** Gate count per cell: LSTM has i, f, g, o; GRU has r, z, n. */
export function gateCount(cell: DecoderConfig['cell']): number {
  return cell === 'lstm' ? 4 : 3;
}

/** Position channels appended to each grid position before attention (see `decoder.positionEncoding`). */
export function positionChannels(decoder: DecoderConfig): number {
  return decoder.positionEncoding === 'coordinates' ? 2 : 0;
}

/** Channels attention reads at each grid position: the encoder's plus the position channels. */
export function attendedChannels(spec: DecoderSpec): number {
  return spec.featureShape.gridChannels + positionChannels(spec.decoder);
}

/**
 * Side of the square grid of G positions. Encoders take square images, so their grids are square; a
 * grid that is not cannot be given positions.
 */
export function gridSide(featureShape: FeatureShape): number {
  const side = Math.round(Math.sqrt(featureShape.gridPositions));
  if (side * side !== featureShape.gridPositions)
    throw new ConfigError(
      `decoder.positionEncoding needs a square grid; featureShape.gridPositions is ${featureShape.gridPositions}`,
    );
  return side;
}

/** The parameter list for a spec, in a fixed order (initialisation draws in this order). */
export function parameterShapes(spec: DecoderSpec): ParamShape[] {
  const { embeddingSize: E, hiddenSize: H, attentionSize: A, attention, cell } = spec.decoder;
  const { pooledSize: P, gridChannels: C } = spec.featureShape;
  const V = spec.vocabSize;
  const gates = gateCount(cell) * H;
  const shapes: ParamShape[] = [
    { name: 'embedding', shape: [V, E], init: 'uniform' },
    { name: 'init_h/kernel', shape: [P, H], init: 'glorot' },
    { name: 'init_h/bias', shape: [H], init: 'zeros' },
    { name: 'cell/input_kernel', shape: [E, gates], init: 'glorot' },
    { name: 'cell/recurrent_kernel', shape: [H, gates], init: 'glorot' },
    { name: 'cell/bias', shape: [gates], init: cell === 'lstm' ? 'forget-bias' : 'zeros' },
    { name: 'output/kernel', shape: [H, V], init: 'glorot' },
    { name: 'output/bias', shape: [V], init: 'zeros' },
  ];
  if (cell === 'lstm') {
    shapes.push(
      { name: 'init_c/kernel', shape: [P, H], init: 'glorot' },
      { name: 'init_c/bias', shape: [H], init: 'zeros' },
    );
  } else {
    // GRU applies the reset gate to the recurrent part of the candidate, so that part has its own bias.
    shapes.push({ name: 'cell/recurrent_bias', shape: [gates], init: 'zeros' });
  }
  if (attention) {
    if (C <= 0 || spec.featureShape.gridPositions <= 0)
      throw new ConfigError(
        'decoder.attention needs grid features (featureShape.gridPositions, gridChannels > 0)',
      );
    if (positionChannels(spec.decoder) > 0) gridSide(spec.featureShape);
    // The position channels ride with the features: keys, gate and context all see C + position channels.
    const K = attendedChannels(spec);
    shapes.push(
      { name: 'attention/encoder_kernel', shape: [K, A], init: 'glorot' },
      { name: 'attention/decoder_kernel', shape: [H, A], init: 'glorot' },
      { name: 'attention/bias', shape: [A], init: 'zeros' },
      { name: 'attention/score_kernel', shape: [A, 1], init: 'glorot' },
      { name: 'attention/gate_kernel', shape: [H, K], init: 'glorot' },
      { name: 'attention/gate_bias', shape: [K], init: 'zeros' },
      { name: 'cell/context_kernel', shape: [K, gates], init: 'glorot' },
    );
    if (spec.decoder.contextToOutput)
      shapes.push({ name: 'output/context_kernel', shape: [K, H], init: 'glorot' });
    if (spec.decoder.attentionShift) {
      if (positionChannels(spec.decoder) === 0)
        throw new ConfigError("decoder.attentionShift needs decoder.positionEncoding: 'coordinates'");
      shapes.push({ name: 'cell/shift_kernel', shape: [2, gates], init: 'glorot' });
      if (spec.decoder.contextToOutput)
        shapes.push({ name: 'output/shift_kernel', shape: [2, H], init: 'glorot' });
    }
  }
  return shapes;
}

function initialValues(shape: ParamShape, random: SeededRandom, hidden: number): Float32Array {
  const size = shape.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (shape.init === 'glorot') {
    const [fanIn, fanOut] = shape.shape;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < size; i++) values[i] = (random.next() * 2 - 1) * limit;
  } else if (shape.init === 'uniform') {
    for (let i = 0; i < size; i++) values[i] = (random.next() * 2 - 1) * 0.1;
  } else if (shape.init === 'forget-bias') {
    // LSTM forget gate bias 1 (Jozefowicz et al. 2015): remember by default early in training.
    for (let i = hidden; i < 2 * hidden; i++) values[i] = 1;
  }
  return values;
}

/** Creates freshly initialised parameters from a seed (same seed, same values, on any backend). */
export function createDecoderParams(spec: DecoderSpec, seed: number): DecoderParams {
  const random = new SeededRandom(seed);
  const params: DecoderParams = {};
  for (const shape of parameterShapes(spec)) {
    params[shape.name] = tf.tidy(() =>
      tf.variable(tf.tensor(initialValues(shape, random, spec.decoder.hiddenSize), shape.shape), true),
    );
  }
  return params;
}

/**
 * Creates parameters from saved values, checking names and shapes against the spec. `source` names
 * where the values came from (a checkpoint directory, a bundle) for the error message.
 */
export function paramsFromValues(
  spec: DecoderSpec,
  values: Record<string, Float32Array>,
  source = 'saved weights',
): DecoderParams {
  const params: DecoderParams = {};
  for (const shape of parameterShapes(spec)) {
    const data = values[shape.name];
    const size = shape.shape.reduce((a, b) => a * b, 1);
    if (!data || data.length !== size) {
      tf.dispose(Object.values(params));
      throw new CorruptArtifactError(
        `${source}: decoder weight ${shape.name}: expected ${size} values, found ${data ? data.length : 'none'}`,
      );
    }
    params[shape.name] = tf.tidy(() => tf.variable(tf.tensor(data, shape.shape), true));
  }
  return params;
}

/** Identity normalisation (mean 0, std 1) for a feature shape. */
export function identityFeatureNorm(featureShape: FeatureShape): FeatureNorm {
  return {
    pooledMean: tf.zeros([featureShape.pooledSize]),
    pooledStd: tf.ones([featureShape.pooledSize]),
    gridMean: tf.zeros([Math.max(featureShape.gridChannels, 1)]),
    gridStd: tf.ones([Math.max(featureShape.gridChannels, 1)]),
  };
}

function channelStats(data: Float32Array, channels: number): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(channels);
  const square = new Float64Array(channels);
  const rows = data.length / channels;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const v = data[r * channels + c];
      mean[c] += v;
      square[c] += v * v;
    }
  }
  const outMean = new Float32Array(channels);
  const outStd = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = mean[c] / Math.max(rows, 1);
    outMean[c] = m;
    outStd[c] = Math.sqrt(Math.max(square[c] / Math.max(rows, 1) - m * m, 0)) + 1e-5;
  }
  return { mean: outMean, std: outStd };
}

/** Per-channel statistics of the training features (see FeatureNorm). */
export function computeFeatureNorm(
  featureShape: FeatureShape,
  pooled: Float32Array,
  grid?: Float32Array,
): FeatureNorm {
  const p = channelStats(pooled, featureShape.pooledSize);
  const norm = identityFeatureNorm(featureShape);
  norm.pooledMean.dispose();
  norm.pooledStd.dispose();
  norm.pooledMean = tf.tensor1d(p.mean);
  norm.pooledStd = tf.tensor1d(p.std);
  if (grid && featureShape.gridChannels > 0) {
    const g = channelStats(grid, featureShape.gridChannels);
    norm.gridMean.dispose();
    norm.gridStd.dispose();
    norm.gridMean = tf.tensor1d(g.mean);
    norm.gridStd = tf.tensor1d(g.std);
  }
  return norm;
}
