import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { wasmKernelFunc } from './wasm-kernel';

/**
 * Wraps wasm `Identity` so that it shares the input's memory (one more reference) instead of
 * copying it, as the cpu backend does. Tensors are immutable, so a copy buys nothing; but every
 * tensor a custom gradient saves for its backward pass goes through Identity (`tf.customGrad`'s
 * `save`, and `tf.fused.matMul` saves its inputs and output): ~6 M floats copied per decoder
 * training step. Strings still take the stock path.
 */
export function sharedIdentity(original: KernelConfig): KernelConfig {
  const kernelFunc = wasmKernelFunc((args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original.kernelFunc(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  return { ...original, kernelFunc };
}
