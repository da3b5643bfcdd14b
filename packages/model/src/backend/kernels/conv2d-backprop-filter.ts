import { backend_util, BatchMatMul, Conv2DBackpropFilter, getKernel } from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { disposeIntermediate, heapFloats, wasmKernelFunc } from './wasm-kernel';

/**
 * Largest im2col block (floats) built at once: 16 MB bounds memory for big activations
 * ([8,56,56,64] with a 3×3 filter would need 58 MB in one piece) while keeping each matmul large.
 */
const PATCH_BLOCK_FLOATS = 1 << 22;

/**
 * The filter gradient of conv2d, which tfjs-backend-wasm 4.22 lacks, as im2col + the wasm matmul:
 *
 *   dW[k, o] = Σ_p patches[p, k] · dy[p, o]   (p = output pixel (b, r, c), k = (fr, fc, ci))
 *
 * computed as dWᵀ = dyᵀ · patches so that the matmul runs without transpose flags (its fast path)
 * and only the small dy block is transposed, in JS while it is copied. Patches are built in blocks
 * of output pixels to bound memory; the blocks' products are summed.
 */
const conv2DBackpropFilter = wasmKernelFunc(({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports only NHWC');
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
  const patchSize = filterHeight * filterWidth * inChannels;
  const pixels = batchSize * outHeight * outWidth;
  const blockPixels = Math.max(1, Math.floor(PATCH_BLOCK_FLOATS / patchSize));
  const matMul: KernelFunc = getKernel(BatchMatMul, 'wasm').kernelFunc;
  const sumT = new Float32Array(outChannels * patchSize); // dWᵀ, [outChannels, patchSize]

  for (let first = 0; first < pixels; first += blockPixels) {
    const count = Math.min(blockPixels, pixels - first);
    const patches = backend.makeOutput([count, patchSize], 'float32');
    const dyT = backend.makeOutput([outChannels, count], 'float32');
    const xValues = heapFloats(backend, x);
    const dyValues = heapFloats(backend, dy);
    const patchValues = heapFloats(backend, patches);
    const dyTValues = heapFloats(backend, dyT);

    for (let i = 0; i < count; i++) {
      const p = first + i;
      const b = Math.floor(p / (outHeight * outWidth));
      const r = Math.floor(p / outWidth) % outHeight;
      const c = p % outWidth;
      let to = i * patchSize;
      for (let fr = 0; fr < filterHeight; fr++) {
        const xr = r * strideHeight - info.padInfo.top + fr * dilationHeight;
        for (let fc = 0; fc < filterWidth; fc++, to += inChannels) {
          const xc = c * strideWidth - info.padInfo.left + fc * dilationWidth;
          if (xr < 0 || xr >= inHeight || xc < 0 || xc >= inWidth) {
            patchValues.fill(0, to, to + inChannels);
            continue;
          }
          const from = ((b * inHeight + xr) * inWidth + xc) * inChannels;
          patchValues.set(xValues.subarray(from, from + inChannels), to);
        }
      }
      const dyRow = p * outChannels;
      for (let o = 0; o < outChannels; o++) dyTValues[o * count + i] = dyValues[dyRow + o];
    }

    const product = matMul({
      inputs: { a: dyT, b: patches },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as TensorInfo;
    const productValues = heapFloats(backend, product);
    for (let j = 0; j < sumT.length; j++) sumT[j] += productValues[j];
    disposeIntermediate(backend, product);
    disposeIntermediate(backend, patches);
    disposeIntermediate(backend, dyT);
  }

  const dW = backend.makeOutput(filterShape, 'float32');
  const dWValues = heapFloats(backend, dW);
  for (let o = 0; o < outChannels; o++) {
    for (let k = 0; k < patchSize; k++) dWValues[k * outChannels + o] = sumT[o * patchSize + k];
  }
  return dW;
});

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
