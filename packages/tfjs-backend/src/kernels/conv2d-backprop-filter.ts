import { backend_util, BatchMatMul, Conv2DBackpropFilter, getKernel, Transpose } from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { disposeIntermediate, heapFloats, wasmKernelFunc } from './wasm-kernel';
import { InvalidInputError } from '@captioner/core/errors';

/**
 * The filter gradient of conv2d, which tfjs-backend-wasm 4.22 lacks, as one plain wasm matmul per
 * filter tap (fr, fc):
 *
 *   dW[fr, fc] (ci × co) = Xᵀ_shifted (ci × P) · dy (P × co)     (P = batch · outHeight · outWidth)
 *
 * where Xᵀ_shifted[d, p] is the input pixel that tap sees for output pixel p (0 in the padding).
 * x is transposed to channels-first once (wasm Transpose), so each tap's operand is built by copying
 * runs of image rows. This beats a single im2col matmul (P × fh·fw·ci patches): the big operand is
 * the left one, which the wasm matmul reads in place, while the right one (dy, the same tensor for
 * every tap) is what it packs.
 */
const conv2DBackpropFilter = wasmKernelFunc(({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') throw new InvalidInputError('Conv2DBackpropFilter on wasm supports only NHWC');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const pixels = batchSize * outHeight * outWidth;
  const transpose: KernelFunc = getKernel(Transpose, 'wasm').kernelFunc;
  const matMul: KernelFunc = getKernel(BatchMatMul, 'wasm').kernelFunc;

  // [ci, batch, inHeight, inWidth]: one row of each channel image is contiguous.
  const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 0, 1, 2] } }) as TensorInfo;
  // dy seen as a [P, co] matrix (same data; the matmul's reshape holds its own reference).
  const dy2d: TensorInfo = { dataId: dy.dataId, shape: [pixels, outChannels], dtype: dy.dtype };
  const dWSum = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);

  for (let fr = 0; fr < filterHeight; fr++) {
    for (let fc = 0; fc < filterWidth; fc++) {
      const shifted = backend.makeOutput([inChannels, pixels], 'float32');
      fillShifted(
        heapFloats(backend, xT),
        heapFloats(backend, shifted),
        info,
        fr * dilationHeight,
        fc * dilationWidth,
      );
      const product = matMul({
        inputs: { a: shifted, b: dy2d },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      // [ci, co] is exactly the layout of dW[fr, fc] in a [fh, fw, ci, co] filter.
      dWSum.set(heapFloats(backend, product), (fr * filterWidth + fc) * inChannels * outChannels);
      disposeIntermediate(backend, product);
      disposeIntermediate(backend, shifted);
    }
  }
  disposeIntermediate(backend, xT);

  const dW = backend.makeOutput(filterShape, 'float32');
  heapFloats(backend, dW).set(dWSum);
  return dW;

  /** shifted[d, b, r, c] = xT[d, b, r·sh + rowOffset − padTop, c·sw + colOffset − padLeft], 0 outside. */
  function fillShifted(
    xTValues: Float32Array,
    shiftedValues: Float32Array,
    conv: backend_util.Conv2DInfo,
    rowOffset: number,
    colOffset: number,
  ): void {
    const colShift = colOffset - conv.padInfo.left;
    // Output columns whose input column is inside the image: [colFrom, colTo).
    const colFrom = Math.min(outWidth, Math.max(0, Math.ceil(-colShift / strideWidth)));
    const colTo = Math.max(colFrom, Math.min(outWidth, Math.ceil((inWidth - colShift) / strideWidth)));
    let to = 0;
    for (let image = 0; image < inChannels * batchSize; image++) {
      for (let r = 0; r < outHeight; r++, to += outWidth) {
        const xr = r * strideHeight + rowOffset - conv.padInfo.top;
        if (xr < 0 || xr >= inHeight) {
          shiftedValues.fill(0, to, to + outWidth);
          continue;
        }
        const rowStart = (image * inHeight + xr) * inWidth + colShift;
        if (colFrom > 0) shiftedValues.fill(0, to, to + colFrom);
        if (colTo < outWidth) shiftedValues.fill(0, to + colTo, to + outWidth);
        if (strideWidth === 1) {
          shiftedValues.set(xTValues.subarray(rowStart + colFrom, rowStart + colTo), to + colFrom);
        } else {
          for (let c = colFrom; c < colTo; c++) shiftedValues[to + c] = xTValues[rowStart + c * strideWidth];
        }
      }
    }
  }
});

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
