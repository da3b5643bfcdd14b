import * as tf from '@tensorflow/tfjs';

/**
 * A whole LSTM sequence as one differentiable op with hand-written backpropagation through time, in
 * tensor ops only: the backend-neutral twin of `lstmSequence` (lstm-sequence.ts), for backends where
 * reading values back to JavaScript stalls the device (tfjs-node-gpu) or where the kernels are cheap
 * to dispatch (tfjs-node). Nothing is read on the host: the forward pass keeps the gate activations
 * as tensors, and the backward pass runs the same recurrence as lstm-cell.ts's `cellBackward`.
 *
 * Against tfjs autodiff of a step-by-step LSTM it saves the per-step tape (about 20 nodes a step, each
 * saving its inputs), the per-step gradient accumulation of the recurrent kernel (an `Add` of [H, 4H]
 * per step), and gives the kernel's gradient as one [H, L*B] x [L*B, 4H] product over all steps.
 *
 * Same contract as `lstmSequence`: `inputs` [L*B, 4H] time-major input projections (bias included),
 * `h0`, `c0` [B, H], `kernel` [H, 4H] (gate order i, f, g, o); output h_1..h_L time-major [L*B, H].
 */
export const lstmSequenceOnDevice = tf.customGrad(((
  inputs: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  kernel: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  const [B, H] = h0.shape;
  const G = 4 * H;
  const L = inputs.shape[0] / B;
  let h = h0;
  let c = c0;
  const hidden: tf.Tensor2D[] = [];
  const cells: tf.Tensor2D[] = [c0];
  const activations: tf.Tensor2D[] = [];
  const tanhCells: tf.Tensor2D[] = [];
  for (let t = 0; t < L; t++) {
    // One tidy per step keeps only what the backward pass needs alive, not every temporary of the sequence.
    const next = tf.tidy(() => {
      const z = tf.add(tf.matMul(h, kernel), tf.slice(inputs, [t * B, 0], [B, G]));
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      const i = tf.sigmoid(zi);
      const f = tf.sigmoid(zf);
      const g = tf.tanh(zg);
      const o = tf.sigmoid(zo);
      const cNext = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
      const tanhC = tf.tanh(cNext) as tf.Tensor2D;
      const hNext = tf.mul(o, tanhC) as tf.Tensor2D;
      return { c: cNext, h: hNext, tanhC, act: tf.concat([i, f, g, o], 1) as tf.Tensor2D };
    });
    hidden.push(next.h);
    cells.push(next.c);
    tanhCells.push(next.tanhC);
    activations.push(next.act);
    h = next.h;
    c = next.c;
  }
  const previousHidden = tf.concat([h0, ...hidden.slice(0, L - 1)], 0) as tf.Tensor2D;
  const previousCells = tf.concat(cells.slice(0, L), 0) as tf.Tensor2D;
  const gates = tf.concat(activations, 0) as tf.Tensor2D;
  const tanhCell = tf.concat(tanhCells, 0) as tf.Tensor2D;
  save([kernel, previousHidden, previousCells, gates, tanhCell]);
  return {
    value: tf.concat(hidden, 0) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [k, prevH, prevC, acts, tanhC] = saved as tf.Tensor2D[];
      let dh: tf.Tensor2D = tf.zeros([B, H]);
      let dc: tf.Tensor2D = tf.zeros([B, H]);
      const dGates: tf.Tensor2D[] = new Array(L);
      for (let t = L - 1; t >= 0; t--) {
        const step = tf.tidy(() => {
          const rows = (x: tf.Tensor2D, width: number) => tf.slice(x, [t * B, 0], [B, width]);
          const [i, f, g, o] = tf.split(rows(acts, G), 4, 1);
          const tc = rows(tanhC, H);
          const dhT = tf.add(dh, rows(dy, H));
          const one = tf.scalar(1);
          // dL/dc_t: through h_t = o·tanh(c_t), plus what reached c_t from the step after.
          const dcn = tf.add(tf.mul(tf.mul(dhT, o), tf.sub(one, tf.square(tc))), dc);
          const di = tf.mul(tf.mul(dcn, g), tf.mul(i, tf.sub(one, i)));
          const df = tf.mul(tf.mul(dcn, rows(prevC, H)), tf.mul(f, tf.sub(one, f)));
          const dg = tf.mul(tf.mul(dcn, i), tf.sub(one, tf.square(g)));
          const dout = tf.mul(tf.mul(dhT, tc), tf.mul(o, tf.sub(one, o)));
          const dz = tf.concat([di, df, dg, dout], 1) as tf.Tensor2D;
          return {
            dz,
            dc: tf.mul(dcn, f) as tf.Tensor2D,
            dh: tf.matMul(dz, k, false, true) as tf.Tensor2D,
          };
        });
        dh.dispose();
        dc.dispose();
        dGates[t] = step.dz;
        dh = step.dh;
        dc = step.dc;
      }
      const dInputs = tf.concat(dGates, 0) as tf.Tensor2D;
      // dKernel = [h_0..h_{L-1}]^T x dInputs, one product over the whole sequence.
      return [dInputs, dh, dc, tf.matMul(prevH, dInputs, true, false)];
    },
  };
}) as never) as unknown as (
  inputs: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  kernel: tf.Tensor2D,
) => tf.Tensor2D;
