/**
 * The two ways a training step is computed (see `LossOptions.path` in teacher-forcing.ts):
 * - `wasm`: tuned for tfjs-backend-wasm, where a kernel dispatch costs more than the arithmetic of a small
 *   op and reading values back is a copy out of the wasm heap: the LSTM's elementwise work, the
 *   cross-entropy's per-row values, the embedding gradient and Adam's clipping norm go through JavaScript;
 * - `device`: everything stays on the backend as tensor ops and custom gradients, no host read inside a
 *   step; for native backends (tfjs-node, tfjs-node-gpu), where a host read stalls the device's queue,
 *   and for `cpu`.
 */
export type TrainingPath = 'wasm' | 'device';

/**
 * The path for a backend, by name: a Captioner name (`wasm`, `cpu`, `tfjs-node`, `tfjs-node-gpu`) or a
 * tfjs one (`wasm`, `cpu`, `tensorflow`, `webgl`). Only wasm takes the wasm path.
 */
export function trainingPathFor(backend: string): TrainingPath {
  return backend === 'wasm' ? 'wasm' : 'device';
}
