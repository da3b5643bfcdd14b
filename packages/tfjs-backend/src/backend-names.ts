import type { BackendName } from '@captioner/core';

/**
 * How each Captioner backend name maps onto tfjs. Both native builds (`@tensorflow/tfjs-node` and
 * `@tensorflow/tfjs-node-gpu`) register one tfjs backend called `tensorflow`; which one is loaded
 * is only known from the package that was imported, so Captioner remembers its own name.
 */
export interface BackendTarget {
  /** The tfjs backend name passed to `tf.setBackend`. */
  tfjsName: string;
  /** Optional package to import before the backend exists (never a hard dependency). */
  optionalPackage?: string;
}

export const BACKEND_TARGETS: Record<BackendName, BackendTarget> = {
  'tfjs-node-gpu': { tfjsName: 'tensorflow', optionalPackage: '@tensorflow/tfjs-node-gpu' },
  'tfjs-node': { tfjsName: 'tensorflow', optionalPackage: '@tensorflow/tfjs-node' },
  wasm: { tfjsName: 'wasm' },
  cpu: { tfjsName: 'cpu' },
};

/** Fastest first: the order `initBackend()` tries when no backend is forced. */
export const AUTO_ORDER: readonly BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
