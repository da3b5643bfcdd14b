import { UnsortedSegmentSum, util } from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs';
import { wasmKernelFunc } from './wasm-kernel';

/**
 * out[segmentIds[i], ...] += x[i, ...]. The gradient of `gather` (embedding lookups, picking the
 * target log-probabilities) is this kernel; tfjs-backend-wasm 4.22 has none. A single pass over
 * the heap: each row of x is added to its segment's row. Ids outside [0, numSegments) are dropped,
 * as TensorFlow does.
 */
const unsortedSegmentSum = wasmKernelFunc(({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const idRank = segmentIds.shape.length;
  util.assert(
    util.arraysEqual(x.shape.slice(0, idRank), segmentIds.shape),
    () => `UnsortedSegmentSum: segmentIds shape ${segmentIds.shape} must prefix x shape ${x.shape}`,
  );
  const rowShape = x.shape.slice(idRank);
  const rowSize = util.sizeFromShape(rowShape);
  const out = backend.makeOutput([numSegments, ...rowShape], x.dtype);
  // Views after the allocation (see heapFloats). int32 and float32 rows are summed alike.
  const xValues = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  const outValues = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  outValues.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0 || id >= numSegments) continue;
    const from = i * rowSize;
    const to = id * rowSize;
    for (let j = 0; j < rowSize; j++) outValues[to + j] += xValues[from + j];
  }
  return out;
});

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
