import { backend_util, BatchMatMul, getKernel, util } from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs';
import { disposeIntermediate, heapFloats, wasmKernelFunc } from './wasm-kernel';

/**
 * Wraps wasm `Sum` so that a float32 sum over leading axes (a bias gradient: [rows, units] summed
 * over rows) runs as the product ones[1, rows] · x[rows, units] on XNNPACK. The stock kernel first
 * transposes the input so that the reduced axes are innermost: ~9 ms for a [672, 3000] gradient,
 * against ~1 ms for the product. Other sums go to the stock kernel.
 */
export function leadingAxesSum(original: KernelConfig): KernelConfig {
  const kernelFunc = wasmKernelFunc((args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0)
      return original.kernelFunc(args);
    const { backend } = args;
    const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const rows = util.sizeFromShape(reduceShape);
    const width = util.sizeFromShape(outShape);
    const ones = backend.makeOutput([1, rows], 'float32');
    heapFloats(backend, ones).fill(1);
    // Looked up per call: the wasm BatchMatMul kernel is only usable once its setup has run.
    const matMul: KernelFunc = getKernel(BatchMatMul, 'wasm').kernelFunc;
    const out = matMul({
      inputs: { a: ones, b: { dataId: x.dataId, shape: [rows, width], dtype: x.dtype } },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as TensorInfo;
    disposeIntermediate(backend, ones);
    out.shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    return out;
  });
  return { ...original, kernelFunc };
}
