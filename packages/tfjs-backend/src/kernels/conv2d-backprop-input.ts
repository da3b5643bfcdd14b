import { backend_util, BatchMatMul, Conv2D, Conv2DBackpropInput, getKernel } from '@tensorflow/tfjs';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { disposeIntermediate, heapFloats, wasmKernelFunc } from './wasm-kernel';
import type { WasmKernelArgs } from './wasm-kernel';
import { InvalidInputError } from '@captioner/core/errors';

/** Largest block of columns (floats) built at once; see PATCH_BLOCK_FLOATS in conv2d-backprop-filter. */
const COLUMN_BLOCK_FLOATS = 1 << 22;

/**
 * The input gradient of conv2d, replacing tfjs-backend-wasm 4.22's Conv2DBackpropInput, which runs
 * ~10× slower than the forward conv of the same layer ([8,56,56,64] · 3×3×64×64: ~1.5-2.7 s
 * against ~130-170 ms).
 *
 * Stride 1: the gradient is itself a stride-1 convolution of dy, with the filter flipped in space
 * and its in/out channels swapped, padded by (filter size − 1 − forward padding); the wasm Conv2D
 * kernel (XNNPACK) runs it at forward speed.
 *
 * Other strides: matmul + col2im, in blocks of output pixels to bound memory:
 *
 *   cols[p, k] = Σ_o dy[p, o] · W[k, o]        (plain matmul dy · Wᵀ, Wᵀ transposed once, small)
 *   dx[pixel under tap k of p] += cols[p, k]   (col2im: scatter-add in JS)
 */
const conv2DBackpropInput = wasmKernelFunc(({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW') throw new InvalidInputError('Conv2DBackpropInput on wasm supports only NHWC');
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  if (strideHeight === 1 && strideWidth === 1) return flippedFilterConv(backend, dy, filter, info);
  const patchSize = filterHeight * filterWidth * inChannels;
  const pixels = batchSize * outHeight * outWidth;
  const blockPixels = Math.max(1, Math.floor(COLUMN_BLOCK_FLOATS / patchSize));
  const matMul: KernelFunc = getKernel(BatchMatMul, 'wasm').kernelFunc;

  const filterT = backend.makeOutput([outChannels, patchSize], 'float32');
  const filterValues = heapFloats(backend, filter);
  const filterTValues = heapFloats(backend, filterT);
  for (let k = 0; k < patchSize; k++) {
    for (let o = 0; o < outChannels; o++)
      filterTValues[o * patchSize + k] = filterValues[k * outChannels + o];
  }
  const dxSum = new Float32Array(batchSize * inHeight * inWidth * inChannels);

  for (let first = 0; first < pixels; first += blockPixels) {
    const count = Math.min(blockPixels, pixels - first);
    const dyBlock = backend.makeOutput([count, outChannels], 'float32');
    heapFloats(backend, dyBlock).set(
      heapFloats(backend, dy).subarray(first * outChannels, (first + count) * outChannels),
    );
    const cols = matMul({
      inputs: { a: dyBlock, b: filterT },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as TensorInfo;
    const colValues = heapFloats(backend, cols);
    for (let i = 0; i < count; i++) {
      const p = first + i;
      const b = Math.floor(p / (outHeight * outWidth));
      const r = Math.floor(p / outWidth) % outHeight;
      const c = p % outWidth;
      let from = i * patchSize;
      for (let fr = 0; fr < filterHeight; fr++) {
        const xr = r * strideHeight - info.padInfo.top + fr;
        for (let fc = 0; fc < filterWidth; fc++, from += inChannels) {
          const xc = c * strideWidth - info.padInfo.left + fc;
          if (xr < 0 || xr >= inHeight || xc < 0 || xc >= inWidth) continue;
          const to = ((b * inHeight + xr) * inWidth + xc) * inChannels;
          for (let d = 0; d < inChannels; d++) dxSum[to + d] += colValues[from + d];
        }
      }
    }
    disposeIntermediate(backend, cols);
    disposeIntermediate(backend, dyBlock);
  }
  disposeIntermediate(backend, filterT);

  const dx = backend.makeOutput(inputShape, 'float32');
  heapFloats(backend, dx).set(dxSum);
  return dx;
});

function flippedFilterConv(
  backend: WasmKernelArgs['backend'],
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight, filterWidth, inChannels, outChannels, inHeight, inWidth, outHeight, outWidth } = info;
  const flipped = backend.makeOutput([filterHeight, filterWidth, outChannels, inChannels], 'float32');
  const filterValues = heapFloats(backend, filter);
  const flippedValues = heapFloats(backend, flipped);
  for (let fr = 0; fr < filterHeight; fr++) {
    for (let fc = 0; fc < filterWidth; fc++) {
      const from =
        ((filterHeight - 1 - fr) * filterWidth + (filterWidth - 1 - fc)) * inChannels * outChannels;
      const to = (fr * filterWidth + fc) * outChannels * inChannels;
      for (let d = 0; d < inChannels; d++) {
        for (let o = 0; o < outChannels; o++)
          flippedValues[to + o * inChannels + d] = filterValues[from + d * outChannels + o];
      }
    }
  }
  // Padding so that the output has the input's size: before = f − 1 − forward padding before.
  const top = filterHeight - 1 - info.padInfo.top;
  const left = filterWidth - 1 - info.padInfo.left;
  const bottom = inHeight - outHeight - top + filterHeight - 1;
  const right = inWidth - outWidth - left + filterWidth - 1;
  const conv2d: KernelFunc = getKernel(Conv2D, 'wasm').kernelFunc;
  const dx = conv2d({
    inputs: { x: dy, filter: flipped },
    backend,
    attrs: {
      strides: 1,
      dilations: 1,
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  }) as TensorInfo;
  disposeIntermediate(backend, flipped);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
