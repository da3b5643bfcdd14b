import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@captioner/core';
import {
  ImageEncoder,
  SeededRandom,
  appendCellHead,
  buildResNet,
  cellPoolMatrix,
  encoderConfigSchema,
  setCellHeadClassifier,
} from '@captioner/model';
import type { EncoderConfig } from '@captioner/model';
import type { Scene } from '@captioner/dataset';
import {
  SCENE_CELLS,
  SCENE_CELL_CLASSES,
  SCENE_CELL_HEAD,
  gridPositionCells,
  sceneCellLabels,
} from './scene-labels';

export interface PretrainEncoderOptions {
  /** The encoder to build (He-initialised from `seed`, then trained). `weights` must be unset. */
  config: EncoderConfig;
  seed: number;
  /** [n, S, S, 3] normalised training-split images (never the split the model is evaluated on). */
  images: Float32Array;
  /** The scene of each image, in the same order. */
  scenes: readonly Scene[];
  epochs: number;
  /**
   * Keep the classifier: the returned encoder ends in it (model.encoder.cellHead = SCENE_CELL_HEAD) and its
   * features are each scene cell's class probabilities. Otherwise its features are the trunk's feature map.
   * @defaultValue false
   */
  withHead?: boolean;
  /** @defaultValue 16 */
  batchSize?: number;
  /** Adam learning rate. @defaultValue 0.002 */
  learningRate?: number;
  onProgress?: (update: { epoch: number; step: number; steps: number; loss: number }) => void;
}

/** The linear classifier trained with the encoder on cell-averaged features: [C, classes] kernel and [classes] bias. */
export interface CellHead {
  kernel: Float32Array;
  bias: Float32Array;
}

export interface PretrainEncoderResult {
  /** The trained encoder: its trunk, followed by the cell head when `withHead`. */
  encoder: ImageEncoder;
  head: CellHead;
  /** Mean loss of the last epoch. */
  loss: number;
  /** Share of scene cells whose class the head got right in the last epoch (training images, training mode). */
  accuracy: number;
}

/**
 * Weight of an occupied cell in the loss against an empty one: about three cells in four are empty, and
 * without it the encoder learns "empty" first and the shapes slowly.
 */
const OCCUPIED_CELL_WEIGHT = 3;
/** Training batches averaged into batch normalisation's moving statistics after training. */
const CALIBRATION_BATCHES = 16;

/**
 * Trains a fresh encoder, whole, to tell which shape (colour, kind, size) sits in each scene cell: its
 * feature grid is averaged over each cell and read by a linear classifier that is thrown away
 * afterwards. A random frozen encoder loses most of that (a linear probe tells colour and kind for about
 * 64% of occupied cells); after this the frozen features carry it, so the decoder can say what is where.
 *
 * Batch normalisation trains in training mode (batch statistics: without them the loss falls several
 * times slower), then `calibrateBatchNorm` sets its moving statistics, which extraction uses.
 */
export async function pretrainEncoder(options: PretrainEncoderOptions): Promise<PretrainEncoderResult> {
  const config = encoderConfigSchema.parse({ ...options.config, weights: undefined });
  const S = config.imageSize;
  const n = options.scenes.length;
  if (options.images.length !== n * S * S * 3)
    throw new InvalidInputError(
      `pretrainEncoder: expected ${n}x${S}x${S}x3 image values for ${n} scenes, got ${options.images.length}`,
    );
  const batchSize = options.batchSize ?? 16;
  const model = buildResNet(config, options.seed);
  const [, h, w, channels] = model.outputs[0].shape as number[];
  const labels = new Int32Array(n * SCENE_CELLS);
  options.scenes.forEach((scene, i) => labels.set(sceneCellLabels(scene), i * SCENE_CELLS));
  const rng = new SeededRandom(options.seed);
  const pool = tf.tensor2d(cellPoolMatrix(h, w, SCENE_CELL_HEAD.grid), [h * w, SCENE_CELLS]);
  const headKernel = tf.variable(
    tf.randomNormal([channels, SCENE_CELL_CLASSES], 0, Math.sqrt(1 / channels), 'float32', options.seed),
  );
  const headBias = tf.variable(tf.zeros([SCENE_CELL_CLASSES]));
  const variables = [
    ...model.layers.flatMap((layer) => layer.trainableWeights.map((weight) => weight.read() as tf.Variable)),
    headKernel,
    headBias,
  ];
  const optimizer = tf.train.adam(options.learningRate ?? 0.002);
  const steps = Math.ceil(n / batchSize);
  let loss = 0;
  let correct = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      loss = 0;
      correct = 0;
      for (let step = 0; step < steps; step++) {
        const batch = order.slice(step * batchSize, (step + 1) * batchSize);
        const pixels = gatherImages(options.images, S, batch);
        const batchLabels = new Int32Array(batch.length * SCENE_CELLS);
        batch.forEach((index, k) =>
          batchLabels.set(labels.subarray(index * SCENE_CELLS, (index + 1) * SCENE_CELLS), k * SCENE_CELLS),
        );
        const [stepLoss, stepCorrect] = tf.tidy(() => {
          const x = tf.tensor4d(pixels, [batch.length, S, S, 3]);
          const y = tf.tensor1d(batchLabels, 'int32');
          const weights = tf.add(1, tf.mul(OCCUPIED_CELL_WEIGHT - 1, tf.cast(tf.notEqual(y, 0), 'float32')));
          let hits: tf.Tensor | undefined;
          const cost = optimizer.minimize(
            () => {
              const map = model.apply(x, { training: true }) as tf.Tensor4D;
              const logits = tf.add(tf.matMul(poolCells(map, pool), headKernel), headBias);
              // Kept out of minimize's scope, which disposes everything else it made.
              hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')));
              return tf.losses.softmaxCrossEntropy(tf.oneHot(y, SCENE_CELL_CLASSES), logits, weights);
            },
            true,
            variables,
          )!;
          return [tf.keep(cost), hits!];
        });
        const [lossValue] = (await stepLoss.data()) as Float32Array;
        const [hitValue] = (await stepCorrect.data()) as Int32Array;
        tf.dispose([stepLoss, stepCorrect]);
        if (!Number.isFinite(lossValue))
          throw new InvalidInputError(
            `pretrainEncoder: loss is ${lossValue} at epoch ${epoch + 1}, step ${step + 1}`,
          );
        loss += (lossValue * batch.length) / n;
        correct += hitValue;
        options.onProgress?.({ epoch: epoch + 1, step: step + 1, steps, loss: lossValue });
      }
    }
    calibrateBatchNorm(
      model,
      options.images,
      S,
      rng.shuffle(Array.from({ length: n }, (_, i) => i)),
      batchSize,
    );
    const head = {
      kernel: (await headKernel.data()) as Float32Array,
      bias: (await headBias.data()) as Float32Array,
    };
    let encoder = new ImageEncoder(config, options.seed, model);
    if (options.withHead) {
      const headed = appendCellHead(model, SCENE_CELL_HEAD, undefined);
      setCellHeadClassifier(headed, head.kernel, head.bias);
      encoder = new ImageEncoder({ ...config, cellHead: SCENE_CELL_HEAD }, options.seed, headed);
    }
    return {
      encoder,
      head,
      loss,
      accuracy: correct / (n * SCENE_CELLS),
    };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    tf.dispose([headKernel, headBias, pool]);
  }
}

/** The images at `indices`, packed into one [k, S, S, 3] batch. */
function gatherImages(images: Float32Array, S: number, indices: readonly number[]): Float32Array {
  const size = S * S * 3;
  const out = new Float32Array(indices.length * size);
  indices.forEach((index, k) => out.set(images.subarray(index * size, (index + 1) * size), k * size));
  return out;
}

/** [b, h, w, C] feature maps -> [b * cells, C] cell-averaged features, cells row-major within each image. */
function poolCells(map: tf.Tensor4D, pool: tf.Tensor2D): tf.Tensor2D {
  const [b, h, w, c] = map.shape;
  const byChannel = tf.reshape(tf.transpose(tf.reshape(map, [b, h * w, c]), [0, 2, 1]), [b * c, h * w]);
  const pooled = tf.reshape(tf.matMul(byChannel, pool), [b, c, SCENE_CELLS]);
  return tf.reshape(tf.transpose(pooled, [0, 2, 1]), [b * SCENE_CELLS, c]);
}

/** The part of tfjs' BatchNormalization layer that `calibrateBatchNorm` sets. */
interface BatchNormMomentum {
  momentum: number;
}

/**
 * Sets every batch-normalisation layer's moving mean and variance to the average of its batch statistics
 * over CALIBRATION_BATCHES training batches. tfjs updates them in every training-mode call as
 * `moving - (moving - batch) * (1 - momentum)`; with momentum 1 - 1/k at the k-th batch that is the running
 * mean of the k batches seen, so the statistics are those of the final weights, not an average over
 * training (which the default momentum, 0.99, would still be after a few hundred steps).
 */
function calibrateBatchNorm(
  model: tf.LayersModel,
  images: Float32Array,
  S: number,
  order: readonly number[],
  batchSize: number,
): void {
  const layers = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
  const norms = layers as unknown as BatchNormMomentum[];
  const saved = norms.map((layer) => layer.momentum);
  const batches = Math.max(1, Math.min(CALIBRATION_BATCHES, Math.floor(order.length / batchSize)));
  try {
    for (let k = 1; k <= batches; k++) {
      for (const layer of norms) layer.momentum = 1 - 1 / k;
      const batch = order.slice((k - 1) * batchSize, k * batchSize);
      const pixels = gatherImages(images, S, batch);
      tf.tidy(() => {
        model.apply(tf.tensor4d(pixels, [batch.length, S, S, 3]), { training: true });
      });
    }
  } finally {
    norms.forEach((layer, i) => (layer.momentum = saved[i]));
  }
}

/**
 * How well an encoder's cell-averaged features, read through `head`, tell the shapes of held-out images:
 * `cells` over every scene cell, `objects` over the occupied ones (chance is 1 in SCENE_CELL_CLASSES - 1
 * there; "empty" everywhere would score 0).
 */
export async function scoreCellLabels(
  encoder: ImageEncoder,
  head: CellHead,
  images: Float32Array,
  scenes: readonly Scene[],
): Promise<{ cells: number; objects: number }> {
  const n = scenes.length;
  const { grid } = await encoder.encode(images, n);
  const positions = encoder.gridPositions;
  const side = Math.round(Math.sqrt(positions));
  const positionCells = gridPositionCells(side, positions / side);
  const C = encoder.gridChannels;
  const classes = head.bias.length;
  let right = 0;
  let objects = 0;
  let objectsRight = 0;
  for (let i = 0; i < n; i++) {
    const labels = sceneCellLabels(scenes[i]);
    const sums = new Float32Array(SCENE_CELLS * C);
    const counts = new Float32Array(SCENE_CELLS);
    positionCells.forEach((cell, p) => {
      counts[cell]++;
      for (let c = 0; c < C; c++) sums[cell * C + c] += grid[(i * positions + p) * C + c];
    });
    for (let cell = 0; cell < SCENE_CELLS; cell++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let k = 0; k < classes; k++) {
        let score = head.bias[k];
        for (let c = 0; c < C; c++)
          score += (sums[cell * C + c] / counts[cell]) * head.kernel[c * classes + k];
        if (score > bestScore) [best, bestScore] = [k, score];
      }
      const hit = best === labels[cell];
      right += hit ? 1 : 0;
      if (labels[cell] !== 0) {
        objects++;
        objectsRight += hit ? 1 : 0;
      }
    }
  }
  return { cells: right / (n * SCENE_CELLS), objects: objects === 0 ? 0 : objectsRight / objects };
}
