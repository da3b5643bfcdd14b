// STUB (to be replaced by the backend work): picks wasm if it loads, else cpu. No custom kernels yet.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '@captioner/core';

export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  const order: BackendName[] = preferred ? [preferred] : ['wasm', 'cpu'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(`no tfjs backend could be initialised (tried ${order.join(', ')})`);
}
