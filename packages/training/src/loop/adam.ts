import * as tf from '@tensorflow/tfjs';
import type { NamedArrays } from '@captioner/model';

/**
 * Adam with global-norm gradient clipping, written out so that its whole state (moments and step count)
 * is saved and restored exactly. tfjs' AdamOptimizer re-derives beta^t with `pow` on restore where it had
 * multiplied step by step, so a restored run drifts in the last bits; here the bias corrections are
 * computed in float64 from the step count, the same way on every step.
 */
export class Adam {
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};
  /** Updates applied so far. */
  step = 0;

  constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    for (const [name, p] of Object.entries(params)) {
      this.m[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      this.v[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    }
  }

  /**
   * Clips gradients to `clipNorm` (global L2 norm), applies one update, and returns the norm before clipping.
   * `learningRateOf` overrides the rate per variable (fine-tuned encoder weights learn more slowly).
   */
  apply(
    grads: Record<string, tf.Tensor>,
    learningRate: number,
    clipNorm: number,
    learningRateOf?: (name: string) => number | undefined,
  ): tf.Scalar {
    this.step += 1;
    const t = this.step;
    const correction = Math.sqrt(1 - Math.pow(this.beta2, t)) / (1 - Math.pow(this.beta1, t));
    return tf.tidy(() => {
      const names = Object.keys(this.params);
      // Each op is a full pass over every parameter (~4 M floats for the benchmark decoder), so the
      // squared gradients serve both the norm and v, and the clipping scale is folded into the
      // moments' coefficients instead of scaling the gradients first.
      const squares = names.map((n) => tf.square(grads[n]));
      const norm = tf.sqrt(tf.addN(squares.map((s) => tf.sum(s)))) as tf.Scalar;
      const scale = Math.min(1, clipNorm / (norm.dataSync()[0] + 1e-6));
      names.forEach((name, i) => {
        const m = tf.add(
          tf.mul(this.m[name], tf.scalar(this.beta1)),
          tf.mul(grads[name], tf.scalar((1 - this.beta1) * scale)),
        );
        const v = tf.add(
          tf.mul(this.v[name], tf.scalar(this.beta2)),
          tf.mul(squares[i], tf.scalar((1 - this.beta2) * scale * scale)),
        );
        this.m[name].assign(m);
        this.v[name].assign(v);
        const stepSize = (learningRateOf?.(name) ?? learningRate) * correction;
        this.params[name].assign(
          tf.sub(
            this.params[name],
            tf.div(tf.mul(m, tf.scalar(stepSize)), tf.add(tf.sqrt(v), tf.scalar(this.epsilon))),
          ),
        );
      });
      return tf.keep(norm);
    });
  }

  /** Moments as named arrays (`optimizer/m/<param>`, `optimizer/v/<param>`). */
  toArrays(): NamedArrays {
    const out: NamedArrays = {};
    for (const name of Object.keys(this.params)) {
      out[`optimizer/m/${name}`] = {
        shape: this.m[name].shape,
        data: this.m[name].dataSync() as Float32Array,
      };
      out[`optimizer/v/${name}`] = {
        shape: this.v[name].shape,
        data: this.v[name].dataSync() as Float32Array,
      };
    }
    return out;
  }

  /** Restores moments saved by `toArrays` and the step count. */
  restore(arrays: NamedArrays, step: number): void {
    for (const name of Object.keys(this.params)) {
      const m = arrays[`optimizer/m/${name}`];
      const v = arrays[`optimizer/v/${name}`];
      if (!m || !v) throw new Error(`checkpoint has no optimizer state for ${name}`);
      tf.tidy(() => {
        this.m[name].assign(tf.tensor(m.data, m.shape));
        this.v[name].assign(tf.tensor(v.data, v.shape));
      });
    }
    this.step = step;
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
  }
}
