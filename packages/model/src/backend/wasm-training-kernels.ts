import {
  BatchMatMul,
  GatherV2,
  getKernel,
  Identity,
  registerKernel,
  Slice,
  Sum,
  Transpose,
  unregisterKernel,
  _FusedMatMul,
} from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilterConfig } from './kernels/conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './kernels/conv2d-backprop-input';
import {
  depthwiseConv2dBackpropFilterConfig,
  depthwiseConv2dBackpropInputConfig,
} from './kernels/depthwise-conv2d-backprop';
import { gatherRows } from './kernels/gather-rows';
import { leadingAxesSum } from './kernels/leading-axes-sum';
import { heapSlice } from './kernels/heap-slice';
import { maxPoolGradConfig } from './kernels/max-pool-grad';
import { sharedIdentity } from './kernels/shared-identity';
import { swapLastAxes } from './kernels/swap-last-axes';
import { transposingMatMul } from './kernels/transposing-mat-mul';
import { unsortedSegmentSumConfig } from './kernels/unsorted-segment-sum';

/**
 * Kernels registered as written here: the ones tfjs-backend-wasm 4.22 lacks and training needs
 * (found by find-missing-kernels.ts), MaxPoolGrad, whose stock version is wrong, and
 * Conv2DBackpropInput, whose stock version is ~12× slower than the forward conv.
 */
const OWN_KERNELS: KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dBackpropInputConfig,
  depthwiseConv2dBackpropFilterConfig,
  maxPoolGradConfig,
  unsortedSegmentSumConfig,
];

/** Stock wasm kernels replaced by a wrapper around themselves (slow or wrong paths). */
const WRAPPED_KERNELS: Array<{ kernelName: string; wrap: (original: KernelConfig) => KernelConfig }> = [
  { kernelName: BatchMatMul, wrap: (k) => transposingMatMul(k, { swapOperands: true, foldBatch: true }) },
  // Bias and activation are laid out along the output's last axis: no swapping, no folding.
  { kernelName: _FusedMatMul, wrap: (k) => transposingMatMul(k, { swapOperands: false, foldBatch: false }) },
  { kernelName: GatherV2, wrap: gatherRows },
  { kernelName: Sum, wrap: leadingAxesSum },
  { kernelName: Transpose, wrap: swapLastAxes },
  { kernelName: Identity, wrap: sharedIdentity },
  { kernelName: Slice, wrap: heapSlice },
];

/**
 * Marks the kernel functions registered here, to recognise them on a second call. A global symbol
 * rather than a module-level set: tfjs's registry is process-wide, and this module may be loaded
 * twice (test isolation, two copies of the package), which must not wrap a wrapper.
 */
const MARK = Symbol.for('captioner.wasmTrainingKernel');

function isOurs(kernelFunc: KernelFunc | undefined): boolean {
  return kernelFunc != null && (kernelFunc as unknown as Record<symbol, unknown>)[MARK] === true;
}

function register(config: KernelConfig): void {
  (config.kernelFunc as unknown as Record<symbol, unknown>)[MARK] = true;
  if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
  registerKernel(config);
}

/**
 * Makes the `wasm` backend able to train: registers the kernels it lacks and replaces the stock
 * ones that are slow or wrong for training. Idempotent; safe before or after the backend is
 * initialised (a wrapped kernel keeps the original's setup function).
 */
export function registerWasmTrainingKernels(): void {
  for (const config of OWN_KERNELS) {
    if (!isOurs(getKernel(config.kernelName, 'wasm')?.kernelFunc)) register(config);
  }
  for (const { kernelName, wrap } of WRAPPED_KERNELS) {
    const original = getKernel(kernelName, 'wasm');
    if (original == null) throw new Error(`tfjs-backend-wasm has no ${kernelName} kernel to wrap`);
    if (!isOurs(original.kernelFunc)) register(wrap(original));
  }
}
