import * as tf from '@tensorflow/tfjs';
import type { NamedArrays, TrainingPath } from '@captioner/model';
import { CorruptArtifactError } from '@captioner/core';

interface Coefficients {
  mCoefficient: tf.Scalar;
  vCoefficient: tf.Scalar;
}

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
   * `path` `wasm` reads the norm back to fold the clipping into the moments' coefficients as numbers;
   * `device` keeps it a tensor, so the update needs no host read (same values within float32 rounding).
   */
  apply(
    grads: Record<string, tf.Tensor>,
    learningRate: number,
    clipNorm: number,
    learningRateOf?: (name: string) => number | undefined,
    path: TrainingPath = 'wasm',
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
      const { mCoefficient, vCoefficient } =
        path === 'wasm' ? this.hostCoefficients(norm, clipNorm) : this.deviceCoefficients(norm, clipNorm);
      names.forEach((name, i) => {
        const m = tf.add(tf.mul(this.m[name], tf.scalar(this.beta1)), tf.mul(grads[name], mCoefficient));
        const v = tf.add(tf.mul(this.v[name], tf.scalar(this.beta2)), tf.mul(squares[i], vCoefficient));
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

  /** The gradients' and squares' coefficients, (1 - β1)·s and (1 - β2)·s², from the norm read back. */
  private hostCoefficients(norm: tf.Scalar, clipNorm: number): Coefficients {
    const scale = Math.min(1, clipNorm / (norm.dataSync()[0] + 1e-6));
    return {
      mCoefficient: tf.scalar((1 - this.beta1) * scale),
      vCoefficient: tf.scalar((1 - this.beta2) * scale * scale),
    };
  }

  /** The same coefficients as scalar tensors computed on the device: s = min(1, clipNorm / (norm + 1e-6)). */
  private deviceCoefficients(norm: tf.Scalar, clipNorm: number): Coefficients {
    const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(clipNorm), tf.add(norm, tf.scalar(1e-6))));
    return {
      mCoefficient: tf.mul(scale, tf.scalar(1 - this.beta1)) as tf.Scalar,
      vCoefficient: tf.mul(tf.square(scale), tf.scalar(1 - this.beta2)) as tf.Scalar,
    };
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

  /** Restores moments saved by `toArrays` and the step count; `source` names the checkpoint for errors. */
  restore(arrays: NamedArrays, step: number, source: string): void {
    for (const name of Object.keys(this.params)) {
      const m = arrays[`optimizer/m/${name}`];
      const v = arrays[`optimizer/v/${name}`];
      if (!m || !v) throw new CorruptArtifactError(`${source}: no optimizer state for ${name}`);
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
