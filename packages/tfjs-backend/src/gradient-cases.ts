import * as tf from '@tensorflow/tfjs';

/**
 * The ops a captioning model trains through, each as a scalar loss of some inputs, so that its
 * gradient exercises every backward kernel tfjs dispatches for it. Shared by the kernel audit
 * script (`find-missing-kernels.ts`) and the wasm-vs-cpu gradient tests.
 */
export interface GradientCase {
  name: string;
  /** Shapes of the float inputs, in the order `loss` receives them. */
  shapes: number[][];
  /** Scalar loss of the inputs (a random projection of the op's output, so no gradient is trivial). */
  loss: (...inputs: tf.Tensor[]) => tf.Scalar;
  /** Inputs in [0, 1) instead of N(0, 1) (for ops defined on positives, e.g. log). */
  positive?: boolean;
}

/** sum(y * w) with a fixed pseudo-random w: every output element gets a distinct upstream gradient. */
export function project(y: tf.Tensor): tf.Scalar {
  const weights = tf.sin(tf.range(1, y.size + 1).mul(0.7)).reshape(y.shape);
  return tf.sum(tf.mul(y, weights));
}

const conv2dCases: GradientCase[] = [];
for (const strides of [1, 2] as const) {
  for (const pad of ['same', 'valid'] as const) {
    conv2dCases.push({
      name: `conv2d 3x3 s${strides} ${pad}`,
      shapes: [
        [2, 9, 8, 3],
        [3, 3, 3, 5],
      ],
      loss: (x, f) => project(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad)),
    });
  }
}

export const GRADIENT_CASES: GradientCase[] = [
  ...conv2dCases,
  {
    name: 'conv2d 1x1 s2 valid (ResNet shortcut)',
    shapes: [
      [2, 8, 8, 4],
      [1, 1, 4, 6],
    ],
    loss: (x, f) => project(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid')),
  },
  {
    name: 'conv2d 7x7 s2 same (ResNet stem)',
    shapes: [
      [1, 16, 16, 3],
      [7, 7, 3, 4],
    ],
    loss: (x, f) => project(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')),
  },
  {
    name: 'fused conv2d + bias + relu',
    shapes: [[2, 7, 7, 3], [3, 3, 3, 4], [4]],
    loss: (x, f, b) =>
      project(
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: b,
          activation: 'relu',
        }),
      ),
  },
  {
    name: 'depthwiseConv2d 3x3 s1 same',
    shapes: [
      [2, 7, 7, 3],
      [3, 3, 3, 2],
    ],
    loss: (x, f) => project(tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')),
  },
  {
    name: 'depthwiseConv2d 3x3 s2 valid',
    shapes: [
      [2, 9, 8, 4],
      [3, 3, 4, 1],
    ],
    loss: (x, f) => project(tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid')),
  },
  {
    name: 'maxPool 3x3 s2 same',
    shapes: [[2, 9, 9, 3]],
    loss: (x) => project(tf.maxPool(x as tf.Tensor4D, 3, 2, 'same')),
  },
  {
    // After ReLU whole windows are 0: the gradient must go to the first maximum, as on cpu.
    name: 'maxPool 3x3 s2 same after relu (ties at zero)',
    shapes: [[2, 8, 8, 3]],
    loss: (x) => project(tf.maxPool(tf.relu(x.sub(0.8)) as tf.Tensor4D, 3, 2, 'same')),
  },
  {
    name: 'maxPool 2x2 s1 valid, all negative',
    shapes: [[1, 5, 5, 2]],
    positive: true,
    loss: (x) => project(tf.maxPool(tf.neg(x.add(1)) as tf.Tensor4D, 2, 1, 'valid')),
  },
  {
    name: 'avgPool 3x3 s1 same',
    shapes: [[2, 6, 5, 3]],
    loss: (x) => project(tf.avgPool(x as tf.Tensor4D, 3, 1, 'same')),
  },
  {
    name: 'avgPool 2x2 s2 valid',
    shapes: [[2, 8, 8, 3]],
    loss: (x) => project(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid')),
  },
  {
    name: 'global average pool (mean over H, W)',
    shapes: [[2, 5, 5, 3]],
    loss: (x) => project(tf.mean(x, [1, 2])),
  },
  {
    name: 'batchNorm (FusedBatchNorm)',
    shapes: [[2, 4, 4, 3], [3], [3], [3], [3]],
    loss: (x, mean, variance, offset, scale) =>
      project(tf.batchNorm(x, mean, tf.abs(variance).add(0.5), offset, scale, 1e-3)),
  },
  {
    name: 'batch statistics (moments)',
    shapes: [[4, 3, 3, 5]],
    loss: (x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return project(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3))));
    },
  },
  { name: 'relu', shapes: [[4, 6]], loss: (x) => project(tf.relu(x)) },
  { name: 'relu6', shapes: [[4, 6]], loss: (x) => project(tf.relu6(x.mul(4))) },
  { name: 'tanh', shapes: [[4, 6]], loss: (x) => project(tf.tanh(x)) },
  { name: 'sigmoid', shapes: [[4, 6]], loss: (x) => project(tf.sigmoid(x)) },
  { name: 'softmax', shapes: [[4, 7]], loss: (x) => project(tf.softmax(x)) },
  { name: 'logSoftmax', shapes: [[4, 7]], loss: (x) => project(tf.logSoftmax(x)) },
  {
    name: 'softmax cross-entropy',
    shapes: [[5, 7]],
    loss: (x) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 0, 6, 3, 3], 'int32'), 7), x) as tf.Scalar,
  },
  {
    name: 'sparse cross-entropy via gather of logSoftmax',
    shapes: [[5, 7]],
    loss: (x) => {
      const picked = tf.gather(tf.reshape(tf.logSoftmax(x), [-1]), tf.tensor1d([1, 7, 20, 24, 33], 'int32'));
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    },
  },
  {
    name: 'gather rows (embedding, repeated ids)',
    shapes: [[6, 4]],
    loss: (table) =>
      project(
        tf.gather(
          table,
          tf.tensor2d(
            [
              [0, 2, 2],
              [5, 0, 1],
            ],
            [2, 3],
            'int32',
          ),
        ),
      ),
  },
  {
    name: 'gather along axis 1',
    shapes: [[3, 5, 2]],
    loss: (x) => project(tf.gather(x, tf.tensor1d([4, 0, 4], 'int32'), 1)),
  },
  {
    name: 'concat / slice / split',
    shapes: [
      [3, 4],
      [3, 2],
    ],
    loss: (a, b) => {
      const joined = tf.concat([a, b], 1);
      const [left, right] = tf.split(joined, [2, 4], 1);
      return project(tf.mul(tf.slice(joined, [1, 1], [2, 3]), 2))
        .add(project(left))
        .add(project(right.square()));
    },
  },
  {
    name: 'stack / unstack',
    shapes: [[3, 4]],
    loss: (a) => project(tf.stack(tf.unstack(a).reverse())),
  },
  {
    name: 'matMul',
    shapes: [
      [5, 4],
      [4, 3],
    ],
    loss: (a, b) => project(tf.matMul(a, b)),
  },
  {
    name: 'matMul transposeA transposeB',
    shapes: [
      [4, 5],
      [3, 4],
    ],
    loss: (a, b) => project(tf.matMul(a, b, true, true)),
  },
  {
    name: 'batched matMul (attention scores)',
    shapes: [
      [2, 3, 4],
      [2, 5, 4],
    ],
    loss: (q, k) => project(tf.softmax(tf.matMul(q, k, false, true))),
  },
  {
    name: 'dense layer (fused matMul + bias + relu)',
    shapes: [[5, 4], [4, 3], [3]],
    loss: (x, w, b) => project(tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' })),
  },
  {
    name: 'LSTM cell',
    shapes: [[3, 4], [3, 5], [3, 5], [9, 20], [20]],
    loss: (x, h, c, kernel, bias) => {
      const [nextC, nextH] = tf.basicLSTMCell(
        tf.scalar(1),
        kernel as tf.Tensor2D,
        bias as tf.Tensor1D,
        x as tf.Tensor2D,
        c as tf.Tensor2D,
        h as tf.Tensor2D,
      );
      return project(nextC).add(project(nextH));
    },
  },
  {
    name: 'reductions (sum, mean, max, min, prod)',
    shapes: [[3, 4, 2]],
    loss: (x) =>
      project(tf.sum(x, 1))
        .add(project(tf.mean(x, 2)))
        .add(project(tf.max(x, 0)))
        .add(project(tf.min(x, [1, 2])))
        .add(project(tf.prod(x, 2))),
  },
  {
    name: 'elementwise (add, sub, mul, div, square, sqrt, exp, log, pow, maximum, abs)',
    // b broadcasts in add/sub/div/pow; maximum gets same-shape inputs because tfjs-core's Maximum
    // gradient does not reduce a broadcast input (a bug on every backend).
    shapes: [
      [3, 4],
      [1, 4],
    ],
    positive: true,
    loss: (a, b) => {
      const bb = b.add(0.5);
      return project(
        tf
          .add(a, bb)
          .mul(tf.sub(a, bb))
          .div(bb)
          .add(tf.sqrt(a.add(0.1)))
          .add(tf.exp(a))
          .add(tf.log(a.add(0.1)))
          .add(tf.pow(bb, 3))
          .add(tf.maximum(a, tf.tile(bb, [3, 1])))
          .add(tf.abs(a.sub(0.5))),
      );
    },
  },
  {
    name: 'dropout (fixed seed)',
    shapes: [[4, 6]],
    loss: (x) => project(tf.dropout(x, 0.3, undefined, 7)),
  },
  {
    // Masks come from tf.step: comparison ops (Less, Greater) have no gradient in tfjs, so a mask
    // built from them inside the tape makes backprop throw on every backend.
    name: 'clipByValue / step mask',
    shapes: [[4, 6]],
    loss: (x) => project(tf.clipByValue(x, -0.5, 0.5).mul(tf.step(x))),
  },
  {
    name: 'clipByGlobalNorm pieces (l2 norm, scale)',
    shapes: [[3, 4], [5]],
    loss: (a, b) => {
      const globalNorm = tf.sqrt(tf.addN([tf.sum(tf.square(a)), tf.sum(tf.square(b))]));
      const scale = tf.div(1, tf.maximum(globalNorm, 1));
      return project(tf.mul(a, scale)).add(project(tf.mul(b, scale)));
    },
  },
  {
    name: 'attention pieces (expandDims, tile, broadcast add, tanh, softmax over time, weighted sum)',
    shapes: [
      [2, 6, 4],
      [2, 4],
      [4, 1],
    ],
    loss: (features, hidden, v) => {
      const scores = tf
        .matMul(tf.tanh(tf.add(features, tf.expandDims(hidden, 1))).reshape([12, 4]), v)
        .reshape([2, 6]);
      const alpha = tf.softmax(scores);
      const context = tf.sum(tf.mul(features, tf.expandDims(alpha, 2)), 1);
      return project(context).add(project(tf.tile(hidden, [1, 2])));
    },
  },
  {
    name: 'pad / resizeBilinear',
    shapes: [[1, 4, 4, 2]],
    loss: (x) =>
      project(
        tf.pad(x, [
          [0, 0],
          [1, 1],
          [2, 0],
          [0, 0],
        ]),
      ).add(project(tf.image.resizeBilinear(x as tf.Tensor4D, [6, 6]))),
  },
];
