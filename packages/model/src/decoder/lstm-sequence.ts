import * as tf from '@tensorflow/tfjs';
import { cellBackward, cellUpdate, gateScale, hiddenUpdate } from './lstm-cell';

/**
 * A whole LSTM sequence as one differentiable op with hand-written backpropagation through time.
 *
 * Per step, the backend does what it is fast at: one [B, H] x [H, 4H] product plus the step's input
 * projection (forward) or [B, 4H] x [4H, H] (backward), and the sigmoids, as one vectorised kernel
 * over all gates (tanh through 2σ(2x) − 1, see lstm-cell.ts). The cheap elementwise rest runs in JavaScript on plain
 * arrays: as tfjs ops it was ~20 tiny kernels per step, each with its own dispatch, and cutting the
 * [B, 4H] product into gates costs a copy through JavaScript on wasm anyway. The recurrent kernel's
 * gradient is one [H, L*B] x [L*B, 4H] product over all steps.
 *
 * Inputs: `inputs` [L*B, 4H] time-major input projections (bias included), `h0`, `c0` [B, H],
 * `kernel` [H, 4H] (gate order i, f, g, o). Output: hidden states h_1..h_L stacked time-major [L*B, H].
 */
export const lstmSequence = tf.customGrad(((
  inputs: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  kernel: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  const [B, H] = h0.shape;
  const G = 4 * H;
  const L = inputs.shape[0] / B;
  // Pre-activations come out of the backend doubled on the g gate (see lstm-cell.ts): both terms are
  // scaled by 1 or 2, which is exact, so each step is product, add and sigmoid without a round trip.
  const scale = tf.tensor1d(gateScale(H));
  const scaledKernel = tf.mul(kernel, scale);
  const x = tf.mul(inputs, scale);
  const steps = new SequenceValues(L, B, H);
  steps.hidden.set(h0.dataSync());
  steps.cells.set(c0.dataSync());
  const doubledCell = new Float32Array(B * H);
  for (let t = 0; t < L; t++) {
    const gates = steps.gates(t);
    gates.set(
      compute(() => {
        const recurrent = tf.matMul(tf.tensor2d(steps.h(t), [B, H]), scaledKernel);
        return tf.sigmoid(tf.add(recurrent, tf.slice(x, [t * B, 0], [B, G])));
      }),
    );
    cellUpdate(gates, steps.c(t), steps.c(t + 1), doubledCell, H);
    const tanhCell = steps.tanhCell(t);
    tanhCell.set(compute(() => tf.sigmoid(tf.tensor2d(doubledCell, [B, H]))));
    hiddenUpdate(gates, tanhCell, steps.h(t + 1), H);
  }
  tf.dispose([scale, scaledKernel, x]);
  save([kernel]);
  return {
    value: tf.tensor2d(steps.hidden.subarray(B * H), [L * B, H]),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const kernelT = tf.transpose(saved[0] as tf.Tensor2D);
      const upstream = dy.dataSync() as Float32Array;
      const dInputs = new Float32Array(L * B * G);
      let dh: Float32Array = new Float32Array(B * H);
      const dc = new Float32Array(B * H);
      for (let t = L - 1; t >= 0; t--) {
        for (let n = 0; n < B * H; n++) dh[n] += upstream[t * B * H + n];
        const dGates = dInputs.subarray(t * B * G, (t + 1) * B * G);
        cellBackward(
          { gates: steps.gates(t), tanhCell: steps.tanhCell(t), cPrev: steps.c(t) },
          dh,
          dc,
          dGates,
          H,
        );
        dh = compute(() => tf.matMul(tf.tensor2d(dGates, [B, G]), kernelT));
      }
      kernelT.dispose();
      const dInputsTensor = tf.tensor2d(dInputs, [L * B, G]);
      // dKernel = [h_0..h_{L-1}]^T x dInputs.
      const previous = tf.tensor2d(steps.hidden.subarray(0, L * B * H), [L * B, H]);
      const dKernel = tf.matMul(tf.transpose(previous), dInputsTensor);
      return [dInputsTensor, tf.tensor2d(dh, [B, H]), tf.tensor2d(dc, [B, H]), dKernel];
    },
  };
}) as never) as unknown as (
  inputs: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  kernel: tf.Tensor2D,
) => tf.Tensor2D;

/** Runs tensor ops and returns the result's values, disposing every tensor they made. */
function compute(op: () => tf.Tensor): Float32Array {
  const result = tf.tidy(op);
  const values = result.dataSync() as Float32Array;
  result.dispose();
  return values;
}

/** What the forward pass keeps for the backward one, as views per step (time-major, batch rows). */
class SequenceValues {
  /** h_0..h_L, [L+1, B, H]. */
  readonly hidden: Float32Array;
  /** c_0..c_L, [L+1, B, H]. */
  readonly cells: Float32Array;
  /** Gate activations of steps 1..L, [L, B, 4H]. */
  private readonly allGates: Float32Array;
  /** tanh(c) of steps 1..L, [L, B, H]. */
  private readonly tanhCells: Float32Array;
  private readonly size: number;

  constructor(L: number, B: number, H: number) {
    this.size = B * H;
    this.hidden = new Float32Array((L + 1) * this.size);
    this.cells = new Float32Array((L + 1) * this.size);
    this.allGates = new Float32Array(L * 4 * this.size);
    this.tanhCells = new Float32Array(L * this.size);
  }

  h(t: number): Float32Array {
    return this.hidden.subarray(t * this.size, (t + 1) * this.size);
  }

  c(t: number): Float32Array {
    return this.cells.subarray(t * this.size, (t + 1) * this.size);
  }

  /** Gates of the step that reads h_t (and produces h_{t+1}). */
  gates(t: number): Float32Array {
    return this.allGates.subarray(t * 4 * this.size, (t + 1) * 4 * this.size);
  }

  tanhCell(t: number): Float32Array {
    return this.tanhCells.subarray(t * this.size, (t + 1) * this.size);
  }
}
