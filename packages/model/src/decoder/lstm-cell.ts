/**
 * The elementwise part of an LSTM step on plain arrays, for `lstmSequence`. Rows are the batch; a
 * gate row holds the four gates side by side (i, f, g, o), H values each. The transcendental
 * functions are not computed here: the caller gets them from the backend's vectorised `sigmoid`
 * (JavaScript's Math.exp/Math.tanh cost ~30-40 ns a value, ~60 ms per training step), using
 * tanh(x) = 2·sigmoid(2x) − 1 — which is why the g gate and the cell go in doubled.
 */

/** Scale that makes one sigmoid over a gate row give i, f, o directly and g through 2σ(2x) − 1. */
export function gateScale(H: number): Float32Array {
  const scale = new Float32Array(4 * H).fill(1);
  scale.fill(2, 2 * H, 3 * H);
  return scale;
}

/**
 * Turns the sigmoids of one step's pre-activations into the gates (g = 2σ − 1, in place) and the
 * new cell state `c = f·cPrev + i·g`; writes `2c` to `doubledCell` for the next sigmoid.
 */
export function cellUpdate(
  gates: Float32Array,
  cPrev: Float32Array,
  c: Float32Array,
  doubledCell: Float32Array,
  H: number,
): void {
  const rows = cPrev.length / H;
  for (let b = 0; b < rows; b++) {
    const row = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const g = 2 * gates[row + 2 * H + j] - 1;
      gates[row + 2 * H + j] = g;
      const value = gates[row + H + j] * cPrev[b * H + j] + gates[row + j] * g;
      c[b * H + j] = value;
      doubledCell[b * H + j] = 2 * value;
    }
  }
}

/** From σ(2c): tanh(c) into `tanhCell` (in place) and the hidden state `h = o·tanh(c)`. */
export function hiddenUpdate(gates: Float32Array, tanhCell: Float32Array, h: Float32Array, H: number): void {
  const rows = h.length / H;
  for (let b = 0; b < rows; b++) {
    const row = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const tc = 2 * tanhCell[b * H + j] - 1;
      tanhCell[b * H + j] = tc;
      h[b * H + j] = gates[row + 3 * H + j] * tc;
    }
  }
}

/** What one backward step reads: this step's gates and tanh(c), and the previous cell state. */
export interface CellStepValues {
  gates: Float32Array;
  tanhCell: Float32Array;
  cPrev: Float32Array;
}

/**
 * One step of backpropagation through the cell. `dh` holds dL/dh_t (upstream output gradient plus
 * the recurrent one), `dc` dL/dc_t from the step after (updated in place to dL/dc_{t-1}); writes
 * the pre-activation gradients, gate order i, f, g, o, to `dGates`.
 */
export function cellBackward(
  step: CellStepValues,
  dh: Float32Array,
  dc: Float32Array,
  dGates: Float32Array,
  H: number,
): void {
  const { gates, tanhCell, cPrev } = step;
  const rows = dh.length / H;
  for (let b = 0; b < rows; b++) {
    const row = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const n = b * H + j;
      const i = gates[row + j];
      const f = gates[row + H + j];
      const g = gates[row + 2 * H + j];
      const o = gates[row + 3 * H + j];
      const tc = tanhCell[n];
      const dcn = dh[n] * o * (1 - tc * tc) + dc[n];
      dGates[row + j] = dcn * g * i * (1 - i);
      dGates[row + H + j] = dcn * cPrev[n] * f * (1 - f);
      dGates[row + 2 * H + j] = dcn * i * (1 - g * g);
      dGates[row + 3 * H + j] = dh[n] * tc * o * (1 - o);
      dc[n] = dcn * f;
    }
  }
}
