import * as tf from '@tensorflow/tfjs';

/** Reads of tensor values back to JavaScript, counted at the active backend while `fn` runs. */
export interface HostReads {
  /** `readSync` calls made through a tensor (`dataSync`, `arraySync`, `bufferSync`): what stalls a GPU. */
  syncThroughTensors: number;
  /** `read` calls made through a tensor (`data`, `array`). */
  asyncThroughTensors: number;
  /**
   * `readSync`/`read` calls a kernel of the backend made on its own inputs (the `cpu` backend's
   * GatherV2, for one, reads its operands with `bufferSync`; on `cpu` the values are in JavaScript
   * already, and native backends do not call back into JavaScript at all).
   */
  insideKernels: number;
  result: unknown;
}

/**
 * Runs `fn` with the active backend's `readSync` and `read` wrapped, and counts the calls. A call that
 * came through the engine (`Tensor.dataSync` → `engine.readSync` → `backend.readSync`) is a host read
 * asked for by the code under test; any other one was made by a kernel of the backend itself.
 */
export function countHostReads(fn: () => unknown): HostReads {
  const backend = tf.backend() as unknown as Record<'readSync' | 'read', (...args: unknown[]) => unknown>;
  const engine = tf.engine() as unknown as Record<'readSync' | 'read', (...args: unknown[]) => unknown>;
  const counts = { syncThroughTensors: 0, asyncThroughTensors: 0, insideKernels: 0 };
  let throughEngine = false;
  const originals = {
    backendSync: backend.readSync,
    backendAsync: backend.read,
    engineSync: engine.readSync,
    engineAsync: engine.read,
  };
  const viaEngine =
    (original: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      throughEngine = true;
      try {
        return original.apply(engine, args);
      } finally {
        throughEngine = false;
      }
    };
  const counted =
    (original: (...args: unknown[]) => unknown, key: 'syncThroughTensors' | 'asyncThroughTensors') =>
    (...args: unknown[]) => {
      counts[throughEngine ? key : 'insideKernels'] += 1;
      return original.apply(backend, args);
    };
  engine.readSync = viaEngine(originals.engineSync);
  engine.read = viaEngine(originals.engineAsync);
  backend.readSync = counted(originals.backendSync, 'syncThroughTensors');
  backend.read = counted(originals.backendAsync, 'asyncThroughTensors');
  try {
    const result = fn();
    return { ...counts, result };
  } finally {
    engine.readSync = originals.engineSync;
    engine.read = originals.engineAsync;
    backend.readSync = originals.backendSync;
    backend.read = originals.backendAsync;
  }
}
