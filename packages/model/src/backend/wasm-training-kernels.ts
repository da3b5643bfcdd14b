import { BatchMatMul, getKernel, registerKernel, unregisterKernel, _FusedMatMul } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilterConfig } from './kernels/conv2d-backprop-filter';
import {
  depthwiseConv2dBackpropFilterConfig,
  depthwiseConv2dBackpropInputConfig,
} from './kernels/depthwise-conv2d-backprop';
import { maxPoolGradConfig } from './kernels/max-pool-grad';
import { transposingMatMul } from './kernels/transposing-mat-mul';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum';

/**
 * Kernels registered as written here: the ones tfjs-backend-wasm 4.22 lacks and training needs
 * (found by find-missing-kernels.ts), and MaxPoolGrad, whose stock version is wrong.
 */
const OWN_KERNELS: KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dBackpropInputConfig,
  depthwiseConv2dBackpropFilterConfig,
  maxPoolGradConfig,
  unsortedSegmentSumConfig,
];

/** Stock wasm kernels replaced by a wrapper around themselves (slow or wrong paths). */
const WRAPPED_KERNELS: Array<{ kernelName: string; wrap: (original: KernelConfig) => KernelConfig }> = [
  { kernelName: BatchMatMul, wrap: transposingMatMul },
  { kernelName: _FusedMatMul, wrap: transposingMatMul },
];

/** Kernel functions this module registered, to recognise them on a second call. */
const ours = new WeakSet<KernelFunc>();

/**
 * Makes the `wasm` backend able to train: registers the kernels it lacks and replaces the stock
 * ones that are slow or wrong for training. Idempotent; safe before or after the backend is
 * initialised (a wrapped kernel keeps the original's setup function).
 */
export function registerWasmTrainingKernels(): void {
  for (const config of OWN_KERNELS) {
    if (ours.has(getKernel(config.kernelName, 'wasm')?.kernelFunc)) continue;
    if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
    ours.add(config.kernelFunc);
  }
  for (const { kernelName, wrap } of WRAPPED_KERNELS) {
    const original = getKernel(kernelName, 'wasm');
    if (original == null) throw new Error(`tfjs-backend-wasm has no ${kernelName} kernel to wrap`);
    if (ours.has(original.kernelFunc)) continue;
    const wrapped = wrap(original);
    unregisterKernel(kernelName, 'wasm');
    registerKernel(wrapped);
    ours.add(wrapped.kernelFunc);
  }
}
