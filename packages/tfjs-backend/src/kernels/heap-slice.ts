import { slice_util, util } from '@tensorflow/tfjs';
import type { KernelConfig, SliceAttrs, TensorInfo } from '@tensorflow/tfjs';
import { wasmKernelFunc } from './wasm-kernel';

/**
 * Wraps wasm `Slice` so that a contiguous slice (rows of a matrix: one step of a time-major
 * sequence) or any slice of a matrix copies straight from the heap. The stock kernel first copies
 * the whole source out of the heap (`readSync`) for every slice taken. Other slices go to the stock
 * kernel.
 */
export function heapSlice(original: KernelConfig): KernelConfig {
  const kernelFunc = wasmKernelFunc((args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { begin, size } = args.attrs as unknown as SliceAttrs;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original.kernelFunc(args);
    const [start, extent] = slice_util.parseSliceParams(x as never, begin, size);
    const contiguous = slice_util.isSliceContinous(x.shape, start, extent);
    if (!contiguous && x.shape.length !== 2) return original.kernelFunc(args);
    const { backend } = args;
    const out = backend.makeOutput(extent, x.dtype);
    // Views after the allocation (it may grow the heap).
    const source = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const target = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    if (contiguous) {
      const offset = slice_util.computeFlatOffset(start, util.computeStrides(x.shape));
      target.set(source.subarray(offset, offset + target.length));
    } else {
      const cols = x.shape[1];
      const [rows, width] = extent;
      for (let r = 0; r < rows; r++) {
        const from = (start[0] + r) * cols + start[1];
        target.set(source.subarray(from, from + width), r * width);
      }
    }
    return out;
  });
  return { ...original, kernelFunc };
}
