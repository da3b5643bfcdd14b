export { initBackend, currentBackend } from './init-backend';
export { registerWasmTrainingKernels } from './wasm-training-kernels';
