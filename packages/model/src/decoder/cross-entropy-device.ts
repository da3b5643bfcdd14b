import * as tf from '@tensorflow/tfjs';

/**
 * Mean cross-entropy over the real (mask = 1) rows of `logits` [N, V] against `targets` [N], with the
 * closed-form gradient (softmax - onehot) * mask * dy / tokens: the backend-neutral twin of
 * `maskedCrossEntropy` (masked-cross-entropy.ts). The loss is reduced on the device and the upstream
 * gradient stays a tensor, so nothing is read back to the host.
 */
export function maskedCrossEntropyOnDevice(
  logits: tf.Tensor2D,
  targets: Int32Array,
  mask: Float32Array,
  tokens: number,
): tf.Scalar {
  const [N, V] = logits.shape;
  const denominator = Math.max(tokens, 1);
  const op = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    // Made and saved here: tfjs disposes what the loss function made once the forward pass ends, so the
    // gradient may only use what was saved.
    const targetIds = tf.tensor1d(targets, 'int32');
    const weights = tf.tensor1d(mask);
    const logProbs = tf.logSoftmax(x);
    const flat = tf.tensor1d(
      Int32Array.from(targets, (t, r) => r * V + t),
      'int32',
    );
    const picked = tf.gather(tf.reshape(logProbs, [-1]), flat);
    const value = tf.div(tf.neg(tf.sum(tf.mul(picked, weights))), tf.scalar(denominator)) as tf.Scalar;
    save([tf.exp(logProbs), targetIds, weights]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [probs, ids, rowWeights] = saved;
        const rowScale = tf.reshape(tf.mul(rowWeights, tf.div(dy, tf.scalar(denominator))), [N, 1]);
        return [tf.mul(tf.sub(probs, tf.oneHot(ids as tf.Tensor1D, V, 1, 0, 'float32')), rowScale)];
      },
    };
  }) as never) as unknown as (x: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}
