import { broadcast_util, getKernel, Transpose, util } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeIntermediate, wasmKernelFunc } from './wasm-kernel';
import type { WasmKernelArgs } from './wasm-kernel';

export interface MatMulRewrites {
  /**
   * May compute op(A)·op(B) as (op(B)ᵀ·op(A)ᵀ)ᵀ when that moves fewer floats. Only for kernels
   * whose extra inputs (bias, activation) do not depend on the output's orientation.
   */
  swapOperands: boolean;
  /** May fold the batch of A into its rows when B has no batch ([b, m, k]·[k, n] as [b·m, k]·[k, n]). */
  foldBatch: boolean;
}

/**
 * Wraps a wasm matmul kernel (`BatchMatMul`, `_FusedMatMul`) so that it reaches XNNPACK. In
 * tfjs-backend-wasm 4.22 only a product with no transpose flag and no batch (batch size 1 on both
 * sides) runs on XNNPACK; any other runs a naive loop, ~15× slower (640×512 by 512×3000:
 * ~2 s against ~170 ms) — and the gradients of every matmul set those flags. Its `Transpose`
 * kernel moves such an operand in a few ms. So:
 *
 * - a flagged operand is transposed explicitly (last two axes), then the plain product runs;
 * - or, when cheaper (a big weight matrix with a flag, a small batch of rows — the input gradient
 *   of a dense or LSTM layer), the transposed product is computed with operands swapped, so the
 *   big matrix is read in place instead of copied and re-packed on every call;
 * - a batched A times an unbatched B is one product of stacked rows.
 *
 * Products with both sides batched (e.g. attention scores) still use the naive loop.
 */
export function transposingMatMul(original: KernelConfig, rewrites: MatMulRewrites): KernelConfig {
  const originalFunc = original.kernelFunc;
  const kernelFunc = wasmKernelFunc((args) => {
    const attrs = args.attrs as NamedAttrMap & { transposeA: boolean; transposeB: boolean };
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const batchA = util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = util.sizeFromShape(b.shape.slice(0, -2));
    const fold = rewrites.foldBatch && batchA > 1 && batchB === 1;
    if (!attrs.transposeA && !attrs.transposeB && !fold) return originalFunc(args);
    if (rewrites.swapOperands && batchA === 1 && batchB === 1 && swapIsCheaper(a, b, attrs)) {
      return swappedProduct(args, originalFunc);
    }
    const { backend } = args;
    const plainA = attrs.transposeA ? swapLastAxes(backend, a) : a;
    const plainB = attrs.transposeB ? swapLastAxes(backend, b) : b;
    try {
      const plainAttrs = { ...attrs, transposeA: false, transposeB: false };
      if (!fold)
        return originalFunc({ ...args, inputs: { ...args.inputs, a: plainA, b: plainB }, attrs: plainAttrs });
      const [m, k] = plainA.shape.slice(-2);
      const n = plainB.shape[plainB.shape.length - 1];
      const out = originalFunc({
        ...args,
        inputs: {
          ...args.inputs,
          a: { dataId: plainA.dataId, shape: [batchA * m, k], dtype: plainA.dtype },
          b: { dataId: plainB.dataId, shape: [k, n], dtype: plainB.dtype },
        },
        attrs: plainAttrs,
      }) as TensorInfo;
      const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      out.shape = [...outer, m, n];
      return out;
    } finally {
      if (plainA !== a) disposeIntermediate(backend, plainA);
      if (plainB !== b) disposeIntermediate(backend, plainB);
    }
  });
  return { ...original, kernelFunc };
}

/**
 * Floats moved: the direct way transposes each flagged operand and packs B; the swapped way
 * transposes each unflagged operand, packs A and transposes the output.
 */
function swapIsCheaper(
  a: TensorInfo,
  b: TensorInfo,
  attrs: { transposeA: boolean; transposeB: boolean },
): boolean {
  const sizeA = util.sizeFromShape(a.shape);
  const sizeB = util.sizeFromShape(b.shape);
  const rows = attrs.transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
  const cols = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const direct = (attrs.transposeA ? sizeA : 0) + (attrs.transposeB ? sizeB : 0) + sizeB;
  const swapped = (attrs.transposeB ? 0 : sizeB) + (attrs.transposeA ? 0 : sizeA) + sizeA + rows * cols;
  return swapped < direct;
}

/** op(A)·op(B) = (op(B)ᵀ · op(A)ᵀ)ᵀ, where op(B)ᵀ is B itself when B was flagged (same for A). */
function swappedProduct(args: WasmKernelArgs, originalFunc: KernelFunc): TensorInfo {
  const { backend } = args;
  const attrs = args.attrs as NamedAttrMap & { transposeA: boolean; transposeB: boolean };
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const left = attrs.transposeB ? b : swapLastAxes(backend, b);
  const right = attrs.transposeA ? a : swapLastAxes(backend, a);
  const productT = originalFunc({
    ...args,
    inputs: { a: left, b: right },
    attrs: { ...attrs, transposeA: false, transposeB: false },
  }) as TensorInfo;
  const product = swapLastAxes(backend, productT);
  disposeIntermediate(backend, productT);
  if (left !== b) disposeIntermediate(backend, left);
  if (right !== a) disposeIntermediate(backend, right);
  return product;
}

function swapLastAxes(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  // Looked up per call: the wasm Transpose kernel is only usable once its setup has run.
  const transpose: KernelFunc = getKernel(Transpose, 'wasm').kernelFunc;
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}
