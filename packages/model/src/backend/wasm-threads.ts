import { createRequire } from 'node:module';
import os from 'node:os';
import type { Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from '@captioner/core';

/**
 * Runs tfjs-backend-wasm 4.22's threaded-SIMD build under Node, so that XNNPACK spreads a matmul's
 * output tiles over several cores (each output element is still computed by one thread, in the
 * same order: results do not depend on the thread count or on timing).
 *
 * Stock tfjs cannot do it in Node, for three reasons this module works around during one
 * `tf.setBackend('wasm')` (`withWasmThreads`), and only then:
 *
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false in Node: it is set to true.
 * 2. Emscripten starts its pthread workers from a `blob:` URL of the worker script and posts the
 *    main script as a `Blob`; Node's `worker_threads.Worker` accepts neither (`ERR_WORKER_PATH`,
 *    surfacing as "WASM backend not initialized"). While the backend initialises, `Worker` is
 *    replaced by one that evaluates the same worker script (shipped in the package's `wasm-out/`)
 *    and hands it the path of the same build's Emscripten glue instead of the Blob.
 * 3. The backend caps its thread pool at half of `os.cpus().length` (it assumes two hyper-threads
 *    per core), one thread on a 2-vCPU machine: `os.cpus()` reports twice the wanted count.
 *
 * Pthread workers never keep Node alive: XNNPACK's pool threads wait for work forever, and the main
 * thread only ever waits for them synchronously inside a kernel.
 */

const nodeRequire = createRequire(import.meta.url);
const WASM_OUT = '@tensorflow/tfjs-backend-wasm/wasm-out';

/** The threaded build's pool is 8 workers (tfjs' cc/BUILD); XNNPACK never gets more. */
export const MAX_WASM_THREADS = 8;

/**
 * Threads for the wasm backend: `CAPTIONER_WASM_THREADS` if set (1 turns threading off), otherwise
 * the cores Node may use, at most MAX_WASM_THREADS.
 */
export function wasmThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CAPTIONER_WASM_THREADS;
  if (raw === undefined || raw === '') return Math.min(os.availableParallelism(), MAX_WASM_THREADS);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new ConfigError(
      `CAPTIONER_WASM_THREADS must be an integer from 1 to ${MAX_WASM_THREADS}, got '${raw}'`,
    );
  }
  return n;
}

/**
 * Runs `initialise` (which must call `tf.setBackend('wasm')` for the first time in this process)
 * with the threaded build enabled for `threads` threads; afterwards Node's modules are as before.
 * Returns the thread count XNNPACK actually uses.
 */
export async function withWasmThreads(threads: number, initialise: () => Promise<void>): Promise<number> {
  if (threads > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
  }
  const restore = threads > 1 ? [patchWorker(), patchCpuCount(2 * threads)] : [];
  try {
    await initialise();
  } finally {
    for (const undo of restore) undo();
  }
  return getThreadsCount();
}

/** Single-threaded from now on (the SIMD build), e.g. after the threaded build failed to start. */
export function disableWasmThreads(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
}

type WorkerConstructor = new (filename: string | URL, options?: WorkerOptions) => NodeWorker;

/** Replaces `worker_threads.Worker` (the object Emscripten's glue `require`s); returns the undo. */
function patchWorker(): () => void {
  const workerThreads = nodeRequire('node:worker_threads') as { Worker: WorkerConstructor };
  const NodeWorkerClass = workerThreads.Worker;
  const { wasmWorkerContents } = nodeRequire(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.worker.js`) as {
    wasmWorkerContents: string;
  };
  // tfjs escapes the script's newlines the same way before putting it in its Blob: they sit inside string literals.
  const workerScript = wasmWorkerContents.replace(/\n/g, '\\n');
  const glue = nodeRequire.resolve(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.js`);

  class PthreadWorker extends NodeWorkerClass {
    constructor() {
      super(workerScript, { eval: true });
    }

    override postMessage(message: unknown, transferList?: readonly Transferable[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m?.cmd === 'load' && typeof m.urlOrBlob !== 'string') message = { ...m, urlOrBlob: glue };
      super.postMessage(message, transferList as never);
    }

    // Emscripten refs a worker while it runs a pthread; XNNPACK's never finish (see the module comment).
    override ref(): void {}
  }

  function PatchedWorker(filename: string | URL, options?: WorkerOptions): NodeWorker {
    const isPthreadWorker = typeof filename === 'string' && filename.startsWith('blob:');
    return isPthreadWorker ? new PthreadWorker() : new NodeWorkerClass(filename, options);
  }
  workerThreads.Worker = PatchedWorker as unknown as WorkerConstructor;
  return () => {
    workerThreads.Worker = NodeWorkerClass;
  };
}

/** Makes `os.cpus()` report `count` entries; returns the undo. */
function patchCpuCount(count: number): () => void {
  const osModule = nodeRequire('node:os') as typeof os;
  const cpus = osModule.cpus;
  osModule.cpus = () => {
    const real = cpus();
    return Array.from({ length: count }, (_, i) => real[i % real.length]);
  };
  return () => {
    osModule.cpus = cpus;
  };
}
