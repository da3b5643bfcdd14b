import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BackendUnavailableError, ConfigError, createLogger, describeError } from '@captioner/core';
import type { BackendName } from '@captioner/core';
import { AUTO_ORDER, BACKEND_TARGETS } from './backend-names';
import { registerWasmTrainingKernels } from './wasm-training-kernels';
import { disableWasmThreads, wasmThreadCount, withWasmThreads } from './wasm-threads';

const log = createLogger('tfjs-backend');

/** The backend initBackend last chose (tfjs alone cannot tell tfjs-node from tfjs-node-gpu). */
let chosen: BackendName | undefined;

/** One backend initBackend tried: `error` says why it could not be used. */
export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  error?: string;
}

/** What the last initBackend call tried, in order (for `captioner doctor`). */
let attempts: BackendAttempt[] = [];

/** The backends the last initBackend call tried, in order, with why each that failed failed. */
export function backendAttempts(): readonly BackendAttempt[] {
  return attempts;
}

/**
 * Selects and initialises the tfjs backend: `preferred` if given (CAPTIONER_BACKEND), otherwise
 * the first that works of tfjs-node-gpu, tfjs-node, wasm, cpu. On wasm it registers the training
 * kernels first. Throws ConfigError when the preferred backend cannot be used.
 */
export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  const candidates = preferred ? [preferred] : AUTO_ORDER;
  const failures: string[] = [];
  attempts = [];
  for (const name of candidates) {
    try {
      await activate(name);
      chosen = name;
      attempts.push({ backend: name, ok: true });
      log.debug({ backend: name, tfjsBackend: tf.getBackend() }, 'tfjs backend ready');
      return name;
    } catch (error) {
      // A bad setting (CAPTIONER_WASM_THREADS) is the operator's to fix, not a reason to try the next backend.
      attempts.push({ backend: name, ok: false, error: describeError(error) });
      if (error instanceof ConfigError) throw error;
      failures.push(`${name}: ${describeError(error)}`);
      log.debug({ backend: name, reason: describeError(error) }, 'tfjs backend unavailable');
    }
  }
  if (preferred) {
    throw new ConfigError(`tfjs backend '${preferred}' is not available (${failures[0]})`);
  }
  throw new ConfigError(`no tfjs backend could be initialised (${failures.join('; ')})`);
}

/**
 * The Captioner name of the active tfjs backend. Throws ConfigError if tfjs runs on a backend
 * Captioner does not know (e.g. `webgl` set by someone else).
 */
export function currentBackend(): BackendName {
  const active = tf.getBackend();
  if (chosen && BACKEND_TARGETS[chosen].tfjsName === active) return chosen;
  if (active === 'wasm' || active === 'cpu') return active;
  // A `tensorflow` backend not set up here: the GPU build cannot be told apart, assume the CPU one.
  if (active === 'tensorflow') return 'tfjs-node';
  throw new ConfigError(`tfjs runs on backend '${active}', which Captioner does not support`);
}

async function activate(name: BackendName): Promise<void> {
  const target = BACKEND_TARGETS[name];
  if (target.optionalPackage) await importOptional(target.optionalPackage);
  if (tf.findBackendFactory(target.tfjsName) == null) {
    throw new BackendUnavailableError(
      `backend ${name}: no tfjs backend named '${target.tfjsName}' was registered`,
    );
  }
  if (name === 'wasm') {
    registerWasmTrainingKernels();
    await activateWasm();
    return;
  }
  await setTfjsBackend(target.tfjsName);
}

async function setTfjsBackend(tfjsName: string): Promise<void> {
  if (!(await tf.setBackend(tfjsName))) {
    throw new BackendUnavailableError(`tfjs could not initialise backend '${tfjsName}'`);
  }
  await tf.ready();
}

/**
 * wasm with as many threads as wasmThreadCount() asks for; if the threaded build does not start,
 * the single-threaded SIMD build (slower, same results). Threads only apply when this is the
 * process's first wasm initialisation (tfjs keeps the backend it made).
 */
async function activateWasm(): Promise<void> {
  const threads = wasmThreadCount();
  if (threads === 1 || tf.engine().registry.wasm != null) {
    wasmThreads ??= 1;
    return setTfjsBackend('wasm');
  }
  try {
    const actual = await withWasmThreads(threads, () => setTfjsBackend('wasm'));
    wasmThreads = actual;
    log.debug({ threads: actual }, 'wasm backend threads');
  } catch (error) {
    log.warn({ reason: describeError(error) }, 'wasm threads unavailable, running single-threaded');
    disableWasmThreads();
    await setTfjsBackend('wasm');
    wasmThreads = 1;
  }
}

/** Threads of the wasm backend this process started (undefined before wasm was initialised). */
let wasmThreads: number | undefined;

/** The wasm backend's threads in this process, once initialised (1 = single-threaded build). */
export function wasmThreadsInUse(): number | undefined {
  return wasmThreads;
}

async function importOptional(specifier: string): Promise<void> {
  try {
    // A non-literal specifier keeps bundlers and type-checkers from requiring the package.
    await import(/* @vite-ignore */ specifier);
  } catch (error) {
    throw new BackendUnavailableError(`package ${specifier} cannot be loaded: ${describeError(error)}`, {
      cause: error,
    });
  }
}
