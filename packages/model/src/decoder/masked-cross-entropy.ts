import * as tf from '@tensorflow/tfjs';

/**
 * Mean cross-entropy over the real (mask = 1) rows of `logits` [N, V] against `targets` [N], with the
 * closed-form gradient (softmax - onehot) * mask / tokens.
 *
 * One `softmax` kernel does the work over the [N, V] matrix (vectorised on wasm, where `logSoftmax` is a
 * chain of six kernels and `exp` a scalar loop); the loss comes from per-row scalars: log-sum-exp is
 * `max(x) - log(max(softmax(x)))`, since the largest logit's probability is exp(0) / Σ exp(x - max).
 * The gradient is one pass over the saved probabilities.
 */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: Int32Array, mask: Float32Array, tokens: number): tf.Scalar {
  const [N, V] = logits.shape;
  const denominator = Math.max(tokens, 1);
  const op = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const probs = tf.softmax(x);
    const flatTargets = Int32Array.from(targets, (t, r) => r * V + t);
    const rowMax = rowValues(() => tf.max(x, 1));
    const probMax = rowValues(() => tf.max(probs, 1));
    const picked = rowValues(() => tf.gather(tf.reshape(x, [-1]), tf.tensor1d(flatTargets, 'int32')));
    let sum = 0;
    for (let r = 0; r < N; r++) if (mask[r] !== 0) sum += mask[r] * (rowMax[r] - Math.log(probMax[r]) - picked[r]);
    save([probs]);
    return {
      value: tf.scalar(sum / denominator),
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const scale = (dy.dataSync()[0] as number) / denominator;
        const grad = saved[0].dataSync() as Float32Array;
        for (let r = 0; r < N; r++) {
          const weight = mask[r] * scale;
          const row = grad.subarray(r * V, (r + 1) * V);
          for (let k = 0; k < V; k++) row[k] *= weight;
          row[targets[r]] -= weight;
        }
        return [tf.tensor2d(grad, [N, V])];
      },
    };
  }) as never) as unknown as (x: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}

function rowValues(op: () => tf.Tensor): Float32Array {
  const result = tf.tidy(op);
  const values = result.dataSync() as Float32Array;
  result.dispose();
  return values;
}
