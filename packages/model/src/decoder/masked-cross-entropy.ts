import * as tf from '@tensorflow/tfjs';

/**
 * Mean cross-entropy over the real (mask = 1) rows of `logits` [N, V] against `targets` [N], with the
 * closed-form gradient (softmax - onehot) * mask / tokens.
 *
 * One `softmax` kernel does the work over the [N, V] matrix (vectorised on wasm, where `logSoftmax` is a
 * chain of six kernels and `exp` a scalar loop); the loss comes from per-row scalars: log-sum-exp is
 * `max(x) - log(max(softmax(x)))`, since the largest logit's probability is exp(0) / Σ exp(x - max).
 * The gradient is the probabilities scaled by row weights, with the N target entries overwritten by
 * (p_target - 1) · weight: two kernels, no pass over [N, V] in JavaScript.
 */
export function maskedCrossEntropy(
  logits: tf.Tensor2D,
  targets: Int32Array,
  mask: Float32Array,
  tokens: number,
): tf.Scalar {
  const [N, V] = logits.shape;
  const denominator = Math.max(tokens, 1);
  const op = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const probs = tf.softmax(x);
    const flatTargets = tf.tensor1d(
      Int32Array.from(targets, (t, r) => r * V + t),
      'int32',
    );
    const rowMax = rowValues(() => tf.max(x, 1));
    const probMax = rowValues(() => tf.max(probs, 1));
    const picked = rowValues(() => tf.gather(tf.reshape(x, [-1]), flatTargets));
    const targetProbs = rowValues(() => tf.gather(tf.reshape(probs, [-1]), flatTargets));
    let sum = 0;
    for (let r = 0; r < N; r++)
      if (mask[r] !== 0) sum += mask[r] * (rowMax[r] - Math.log(probMax[r]) - picked[r]);
    save([probs]);
    return {
      value: tf.scalar(sum / denominator),
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const scale = (dy.dataSync()[0] as number) / denominator;
        const weights = Float32Array.from(mask, (w) => w * scale);
        const corrected = Float32Array.from(targetProbs, (p, r) => (p - 1) * weights[r]);
        const positions = tf.tensor2d(pairs(targets), [N, 2], 'int32');
        const scaled = tf.mul(saved[0], tf.tensor2d(weights, [N, 1]));
        return [tf.tensorScatterUpdate(scaled, positions, tf.tensor1d(corrected))];
      },
    };
  }) as never) as unknown as (x: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}

/** [row, target] index pairs, flattened. */
function pairs(targets: Int32Array): Int32Array {
  const out = new Int32Array(2 * targets.length);
  targets.forEach((t, r) => {
    out[2 * r] = r;
    out[2 * r + 1] = t;
  });
  return out;
}

function rowValues(op: () => tf.Tensor): Float32Array {
  const result = tf.tidy(op);
  const values = result.dataSync() as Float32Array;
  result.dispose();
  return values;
}
