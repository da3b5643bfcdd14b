import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs';
import type { KernelConfig, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs';
import { heapFloats, wasmKernelFunc } from './wasm-kernel';

/**
 * Replaces tfjs-backend-wasm 4.22's MaxPoolGrad, which is wrong: it starts its running maximum at
 * FLT_MIN (the smallest positive float, not the lowest) and keeps the last of equal maxima, so a
 * window whose values are all <= 0 sends its gradient to the wrong pixel.
 * Here, as on cpu and in TensorFlow, each window's gradient goes to its first maximum.
 */
const maxPoolGrad = wasmKernelFunc(({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const dx = backend.makeOutput(input.shape, 'float32');
  const xValues = heapFloats(backend, input);
  const dyValues = heapFloats(backend, dy);
  const dxValues = heapFloats(backend, dx);
  dxValues.fill(0);

  let dyIndex = 0;
  for (let b = 0; b < batchSize; b++) {
    const imageStart = b * inHeight * inWidth * channels;
    for (let r = 0; r < outHeight; r++) {
      const rowStart = r * strideHeight - info.padInfo.top;
      const rowFrom = Math.max(0, rowStart);
      const rowTo = Math.min(inHeight, rowStart + filterHeight);
      for (let c = 0; c < outWidth; c++) {
        const colStart = c * strideWidth - info.padInfo.left;
        const colFrom = Math.max(0, colStart);
        const colTo = Math.min(inWidth, colStart + filterWidth);
        for (let d = 0; d < channels; d++, dyIndex++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestIndex = -1;
          for (let xr = rowFrom; xr < rowTo; xr++) {
            for (let xc = colFrom; xc < colTo; xc++) {
              const index = imageStart + (xr * inWidth + xc) * channels + d;
              if (xValues[index] > best) {
                best = xValues[index];
                bestIndex = index;
              }
            }
          }
          if (bestIndex >= 0) dxValues[bestIndex] += dyValues[dyIndex];
        }
      }
    }
  }
  return dx;
});

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
