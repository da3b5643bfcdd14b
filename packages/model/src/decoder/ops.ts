import * as tf from '@tensorflow/tfjs';

/**
 * Matrix product whose gradient transposes its operands explicitly before multiplying.
 * On the wasm backend `BatchMatMul` with `transposeA`/`transposeB` leaves the fast path (a 640x512 by
 * 640x3000 product took 1.2 s against 47 ms for a plain one), and tfjs' own matMul gradient uses those
 * flags; transposing first (~10 ms) made a decoder training step about 7x faster.
 */
export const matMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
    },
  };
}) as never) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * Embedding lookup (`gather` of rows) whose gradient is a scatter-add done in JavaScript: tfjs' gather
 * gradient needs the `UnsortedSegmentSum` kernel that stock wasm lacks, and a one-hot matmul costs
 * rows x vocabulary x embedding multiply-adds; the scatter-add costs rows x embedding and is exact and
 * deterministic (fixed summation order).
 */
export const embeddingLookup = tf.customGrad(((
  table: tf.Tensor2D,
  ids: tf.Tensor1D,
  save: tf.GradSaveFunc,
) => {
  save([ids]);
  const [rows, width] = table.shape;
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const index = saved[0].dataSync();
      const upstream = dy.dataSync();
      const grad = new Float32Array(rows * width);
      for (let r = 0; r < index.length; r++) {
        const to = index[r] * width;
        const from = r * width;
        for (let j = 0; j < width; j++) grad[to + j] += upstream[from + j];
      }
      return [tf.tensor2d(grad, [rows, width]), tf.zeros(saved[0].shape)];
    },
  };
}) as never) as unknown as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;

/** Inverted dropout with a mask drawn from an explicit seed (so that a resumed run draws the same masks). */
export function dropout(x: tf.Tensor2D, rate: number, seed: number): tf.Tensor2D {
  if (rate <= 0) return x;
  const keep = tf.cast(
    tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), tf.scalar(rate)),
    'float32',
  );
  return tf.mul(x, tf.mul(keep, tf.scalar(1 / (1 - rate)))) as tf.Tensor2D;
}

/**
 * Transposed weights shared by all steps of one forward/backward pass: an unrolled decoder multiplies by the
 * same weight at every step, and each step's gradient needs its transpose; computing it once per pass
 * instead of once per step saved ~10 % of a training step. A cache lives for one loss computation (its
 * tensors are collected by the caller's gradient scope), so a fresh one is made for every step.
 */
export type TransposeCache = Map<tf.Tensor, tf.Tensor2D>;

/** `matMul(a, weight)` whose gradient reuses the weight's transpose from `cache`. */
export function matMulWeight(
  a: tf.Tensor2D,
  weight: tf.Tensor2D,
  cache: TransposeCache | undefined,
): tf.Tensor2D {
  if (!cache) return matMul(a, weight);
  const op = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) =>
        productGrads(dy, saved[0] as tf.Tensor2D, weight, cache),
    };
  }) as never) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
  return op(a, weight);
}

/**
 * `matMul(a, weight) + bias` as one fused product when training (the bias rides in the matmul's
 * epilogue instead of a separate pass over the [rows, units] output), with matMulWeight's gradient.
 */
export function matMulWeightBias(
  a: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias: tf.Tensor1D,
  cache: TransposeCache | undefined,
): tf.Tensor2D {
  if (!cache) return tf.add(matMul(a, weight), bias) as tf.Tensor2D;
  const op = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: tf.fused.matMul({ a: x, b: w, bias: b }),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => [
        ...productGrads(dy, saved[0] as tf.Tensor2D, weight, cache),
        tf.sum(dy, 0),
      ],
    };
  }) as never) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(a, weight, bias);
}

/** Gradients of x · weight for x and weight, the weight's transpose taken once per cache. */
function productGrads(
  dy: tf.Tensor2D,
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  cache: TransposeCache,
): tf.Tensor2D[] {
  let wT = cache.get(weight);
  if (!wT) {
    wT = tf.transpose(weight);
    cache.set(weight, wT);
  }
  return [tf.matMul(dy, wT), tf.matMul(tf.transpose(x), dy)];
}

/**
 * Embedding lookup for the backend-neutral training path: tfjs' `gather`, with the gradient of the table
 * as one `UnsortedSegmentSum` on the device (what tfjs' own gather gradient does) and none for the ids.
 * tfjs' own gradient fails when the ids depend on the weights (scheduled sampling feeds back the model's
 * argmax): it hands the int32 ids a gradient of their own dtype and refuses it.
 */
export const embeddingOnDevice = tf.customGrad(((
  table: tf.Tensor2D,
  ids: tf.Tensor1D,
  save: tf.GradSaveFunc,
) => {
  save([ids]);
  const rows = table.shape[0];
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => [
      tf.unsortedSegmentSum(dy, saved[0] as tf.Tensor1D, rows),
      tf.zeros(saved[0].shape),
    ],
  };
}) as never) as unknown as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;
