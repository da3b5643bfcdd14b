import * as tf from '@tensorflow/tfjs';

/**
 * A whole LSTM sequence as one differentiable op with hand-written backpropagation through time.
 *
 * Autodiff through a per-step loop records ~20 kernels per step and, in the backward pass, transposes the
 * recurrent kernel and multiplies [H, B] by [B, 4H] once per step. Here the backward pass transposes the
 * kernel once and gets the recurrent kernel's gradient from one [H, L*B] x [L*B, 4H] product over all steps.
 *
 * On wasm, Slice/Split/Concat copy through JavaScript and re-read the whole source tensor for every piece
 * (splitting a [672, 2048] matrix into 21 steps took ~150 ms); so per-step and per-gate pieces are cut and
 * assembled here from one `dataSync` copy, and the kernel is used as four [H, H] gate matrices.
 *
 * Inputs: `inputs` [L*B, 4H] time-major input projections (bias included), `h0`, `c0` [B, H],
 * `kernel` [H, 4H] (gate order i, f, g, o). Output: hidden states h_1..h_L stacked time-major [L*B, H].
 */
export const lstmSequence = tf.customGrad(((inputs: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D, kernel: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const B = h0.shape[0];
  const H = h0.shape[1];
  const L = inputs.shape[0] / B;
  const gateInputs = columnBlocks(inputs.dataSync() as Float32Array, L * B, 4, H);
  const kernelData = kernel.dataSync() as Float32Array;
  const gateKernels = columnBlocks(kernelData, H, 4, H).map((block) => tf.tensor2d(block, [H, H]));
  let h = h0;
  let c = c0;
  const hs: tf.Tensor2D[] = [h0];
  const cs: tf.Tensor2D[] = [c0];
  const acts: tf.Tensor2D[] = [];
  const stepInput = (gate: number, t: number) => tf.tensor2d(gateInputs[gate].subarray(t * B * H, (t + 1) * B * H), [B, H]);
  for (let t = 0; t < L; t++) {
    const i = tf.sigmoid(tf.add(stepInput(0, t), tf.matMul(h, gateKernels[0])));
    const f = tf.sigmoid(tf.add(stepInput(1, t), tf.matMul(h, gateKernels[1])));
    const g = tf.tanh(tf.add(stepInput(2, t), tf.matMul(h, gateKernels[2])));
    const o = tf.sigmoid(tf.add(stepInput(3, t), tf.matMul(h, gateKernels[3])));
    c = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
    h = tf.mul(o, tf.tanh(c)) as tf.Tensor2D;
    hs.push(h);
    cs.push(c);
    acts.push(i as tf.Tensor2D, f as tf.Tensor2D, g as tf.Tensor2D, o as tf.Tensor2D);
  }
  const output = tf.tensor2d(stackRows(hs.slice(1), B * H), [L * B, H]);
  save([...gateKernels, ...hs, ...cs, ...acts]);
  return {
    value: output,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const kernelsT = saved.slice(0, 4).map((k) => tf.transpose(k));
      const savedH = saved.slice(4, L + 5) as tf.Tensor2D[];
      const savedC = saved.slice(L + 5, 2 * L + 6) as tf.Tensor2D[];
      const savedActs = saved.slice(2 * L + 6) as tf.Tensor2D[];
      const dyData = dy.dataSync() as Float32Array;
      let dhNext: tf.Tensor = tf.zeros([B, H]);
      let dcNext: tf.Tensor = tf.zeros([B, H]);
      const dGates: tf.Tensor[][] = new Array(L);
      const one = tf.scalar(1);
      for (let t = L - 1; t >= 0; t--) {
        const [i, f, g, o] = savedActs.slice(4 * t, 4 * t + 4);
        const dh = tf.add(tf.tensor2d(dyData.subarray(t * B * H, (t + 1) * B * H), [B, H]), dhNext);
        const tc = tf.tanh(savedC[t + 1]);
        const dc = tf.add(tf.mul(tf.mul(dh, o), tf.sub(one, tf.square(tc))), dcNext);
        const di = tf.mul(tf.mul(dc, g), tf.mul(i, tf.sub(one, i)));
        const df = tf.mul(tf.mul(dc, savedC[t]), tf.mul(f, tf.sub(one, f)));
        const dg = tf.mul(tf.mul(dc, i), tf.sub(one, tf.square(g)));
        const dout = tf.mul(tf.mul(dh, tc), tf.mul(o, tf.sub(one, o)));
        dGates[t] = [di, df, dg, dout];
        dcNext = tf.mul(dc, f);
        dhNext = tf.addN(dGates[t].map((d, k) => tf.matMul(d as tf.Tensor2D, kernelsT[k])));
      }
      // dInputs [L*B, 4H]: gate blocks side by side, steps stacked.
      const dInputs = new Float32Array(L * B * 4 * H);
      for (let t = 0; t < L; t++) {
        for (let k = 0; k < 4; k++) {
          const block = dGates[t][k].dataSync() as Float32Array;
          for (let r = 0; r < B; r++) dInputs.set(block.subarray(r * H, (r + 1) * H), (t * B + r) * 4 * H + k * H);
        }
      }
      const dInputsTensor = tf.tensor2d(dInputs, [L * B, 4 * H]);
      // dKernel = [h_0..h_{L-1}]^T x dInputs, with the transpose built directly.
      const previousT = new Float32Array(H * L * B);
      for (let t = 0; t < L; t++) {
        const hData = savedH[t].dataSync() as Float32Array;
        for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) previousT[j * L * B + t * B + r] = hData[r * H + j];
      }
      const dKernel = tf.matMul(tf.tensor2d(previousT, [H, L * B]), dInputsTensor);
      return [dInputsTensor, dhNext, dcNext, dKernel];
    },
  };
}) as never) as unknown as (inputs: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D, kernel: tf.Tensor2D) => tf.Tensor2D;

/** Splits the columns of a row-major [rows, blocks*width] matrix into `blocks` row-major [rows, width] arrays. */
function columnBlocks(data: Float32Array, rows: number, blocks: number, width: number): Float32Array[] {
  const out = Array.from({ length: blocks }, () => new Float32Array(rows * width));
  const stride = blocks * width;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < blocks; k++) out[k].set(data.subarray(r * stride + k * width, r * stride + (k + 1) * width), r * width);
  }
  return out;
}

/** Concatenates tensors' data row-wise (each holds `size` values) into one array. */
function stackRows(tensors: tf.Tensor[], size: number): Float32Array {
  const out = new Float32Array(tensors.length * size);
  tensors.forEach((t, i) => out.set(t.dataSync() as Float32Array, i * size));
  return out;
}
