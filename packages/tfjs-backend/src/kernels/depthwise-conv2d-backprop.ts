import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
} from '@tensorflow/tfjs';
import type {
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  TensorInfo,
} from '@tensorflow/tfjs';
import { heapFloats, wasmKernelFunc } from './wasm-kernel';

type Conv2DInfo = backend_util.Conv2DInfo;

/**
 * Visits every (output pixel, filter tap) pair of a depthwise conv whose input pixel lies inside
 * the image, with the flat offsets of the input pixel, the dy pixel and the filter tap. Both
 * backprops of depthwiseConv2d are this walk with a different multiply-add; a depthwise layer
 * has no channel-by-channel product, so plain loops are cheap enough (no im2col).
 */
function forEachTap(
  info: Conv2DInfo,
  visit: (xOffset: number, dyOffset: number, wOffset: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < outHeight; r++) {
      for (let c = 0; c < outWidth; c++) {
        const dyOffset = ((b * outHeight + r) * outWidth + c) * outChannels;
        for (let fr = 0; fr < filterHeight; fr++) {
          const xr = r * strideHeight - info.padInfo.top + fr * dilationHeight;
          if (xr < 0 || xr >= inHeight) continue;
          for (let fc = 0; fc < filterWidth; fc++) {
            const xc = c * strideWidth - info.padInfo.left + fc * dilationWidth;
            if (xc < 0 || xc >= inWidth) continue;
            visit(
              ((b * inHeight + xr) * inWidth + xc) * inChannels,
              dyOffset,
              (fr * filterWidth + fc) * outChannels,
            );
          }
        }
      }
    }
  }
}

/** dx[b, xr, xc, d] += dy[b, r, c, d·m + k] · w[fr, fc, d, k] (m = channel multiplier). */
const depthwiseBackpropInput = wasmKernelFunc(({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const dx = backend.makeOutput(inputShape, 'float32');
  const dyValues = heapFloats(backend, dy);
  const wValues = heapFloats(backend, filter);
  const dxValues = heapFloats(backend, dx);
  dxValues.fill(0);
  const { inChannels } = info;
  const multiplier = info.outChannels / inChannels;
  forEachTap(info, (xOffset, dyOffset, wOffset) => {
    for (let d = 0; d < inChannels; d++) {
      let sum = 0;
      for (let k = 0; k < multiplier; k++) {
        const channel = d * multiplier + k;
        sum += dyValues[dyOffset + channel] * wValues[wOffset + channel];
      }
      dxValues[xOffset + d] += sum;
    }
  });
  return dx;
});

/** dW[fr, fc, d, k] += x[b, xr, xc, d] · dy[b, r, c, d·m + k]. */
const depthwiseBackpropFilter = wasmKernelFunc(({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const dW = backend.makeOutput(filterShape, 'float32');
  const xValues = heapFloats(backend, x);
  const dyValues = heapFloats(backend, dy);
  const dWValues = heapFloats(backend, dW);
  dWValues.fill(0);
  const { inChannels } = info;
  const multiplier = info.outChannels / inChannels;
  forEachTap(info, (xOffset, dyOffset, wOffset) => {
    for (let d = 0; d < inChannels; d++) {
      const xValue = xValues[xOffset + d];
      for (let k = 0; k < multiplier; k++) {
        const channel = d * multiplier + k;
        dWValues[wOffset + channel] += xValue * dyValues[dyOffset + channel];
      }
    }
  });
  return dW;
});

export const depthwiseConv2dBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};

export const depthwiseConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
