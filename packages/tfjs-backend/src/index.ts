export { initBackend, currentBackend, backendAttempts, wasmThreadsInUse } from './init-backend';
export type { BackendAttempt } from './init-backend';
export { wasmThreadCount } from './wasm-threads';
export { registerWasmTrainingKernels } from './wasm-training-kernels';
