import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { maxRelativeError } from './compare-backends';

/**
 * Runs `compute` on cpu and on wasm (with the training kernels registered by the caller) and
 * expects every returned array to agree within `tolerance` (relative, see maxRelativeError).
 * Checks that `compute` leaves no tensor behind on either backend.
 */
export async function expectWasmMatchesCpu(
  compute: () => tf.Tensor | tf.Tensor[],
  tolerance = 1e-4,
): Promise<void> {
  const results: Record<string, Array<ArrayLike<number>>> = {};
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const outputs = tf.tidy(compute);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    results[backend] = list.map((t) => t.dataSync());
    const shapes = list.map((t) => t.shape);
    tf.dispose(list);
    expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
    results[`${backend}-shapes`] = shapes.map((s) => s as number[]);
  }
  expect(results['wasm-shapes']).toEqual(results['cpu-shapes']);
  results.cpu.forEach((expected, i) => {
    expect(maxRelativeError(results.wasm[i], expected), `output ${i}`).toBeLessThanOrEqual(tolerance);
  });
}
