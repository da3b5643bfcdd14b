import * as tf from '@tensorflow/tfjs';

/**
 * Mean cross-entropy over the real (mask = 1) rows of `logits` [N, V] against `targets` [N], with the
 * closed-form gradient (softmax - onehot) * mask / tokens: one pass instead of autodiff through
 * logSoftmax, one-hot, multiply and sum over the [N, V] matrix.
 */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: Int32Array, mask: Float32Array, tokens: number): tf.Scalar {
  const V = logits.shape[1];
  const op = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    // OneHot with dtype float32 returns int32 bits on wasm (tfjs 4.22): build it as int32 and cast.
    const oneHot = tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), V), 'float32');
    const weights = tf.reshape(tf.tensor1d(mask), [-1, 1]);
    const logProbs = tf.logSoftmax(x);
    const loss = tf.div(tf.neg(tf.sum(tf.mul(tf.mul(logProbs, oneHot), weights))), tf.scalar(Math.max(tokens, 1)));
    save([logProbs, oneHot, weights]);
    return {
      value: loss,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [lp, oh, w] = saved;
        const scale = tf.div(dy, tf.scalar(Math.max(tokens, 1)));
        return [tf.mul(tf.mul(tf.sub(tf.exp(lp), oh), w), scale)];
      },
    };
  }) as never) as unknown as (x: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}
