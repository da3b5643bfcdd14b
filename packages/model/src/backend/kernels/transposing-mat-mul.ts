import { getKernel, Transpose } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeIntermediate, wasmKernelFunc } from './wasm-kernel';

/**
 * Wraps a wasm matmul kernel (`BatchMatMul`, `_FusedMatMul`) so that it never sees a transpose
 * flag. tfjs-backend-wasm 4.22 runs a product with `transposeA` or `transposeB` on a slow path
 * (640×512 by 512×3000: ~1.2 s against ~50-90 ms plain) while its `Transpose` kernel moves such an
 * operand in a few ms, and the gradients of every matmul set those flags. So a flagged operand is
 * transposed explicitly (last two axes) and the original kernel runs the plain product.
 */
export function transposingMatMul(original: KernelConfig): KernelConfig {
  const originalFunc = original.kernelFunc;
  const kernelFunc = wasmKernelFunc((args) => {
    const attrs = args.attrs as NamedAttrMap & { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return originalFunc(args);
    const { backend } = args;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const plainA = attrs.transposeA ? swapLastAxes(backend, a) : a;
    const plainB = attrs.transposeB ? swapLastAxes(backend, b) : b;
    try {
      return originalFunc({
        ...args,
        inputs: { ...args.inputs, a: plainA, b: plainB },
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (plainA !== a) disposeIntermediate(backend, plainA);
      if (plainB !== b) disposeIntermediate(backend, plainB);
    }
  });
  return { ...original, kernelFunc };
}

function swapLastAxes(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  // Looked up per call: the wasm Transpose kernel is only usable once its setup has run.
  const transpose: KernelFunc = getKernel(Transpose, 'wasm').kernelFunc;
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}
