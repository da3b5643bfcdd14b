import { CancelledError } from '@captioner/core';
import type { ProgressListener } from '@captioner/core';
import type { EncodedImages, ImageEncoder } from './image-encoder';

/** Images per forward pass: large enough to batch the convolutions, small enough to bound memory. */
const ENCODE_CHUNK = 32;

/**
 * Features of `count` normalised images [count, S, S, 3], encoded chunk by chunk (one forward pass over
 * thousands of images would not fit in memory). Yields to the event loop between chunks so that queue
 * locks keep being renewed.
 */
export async function encodeImages(
  // Only what both engines have (ImageEncoder on tfjs, OnnxImageEncoder: inference-engine's FeatureEncoder).
  encoder: Pick<ImageEncoder, 'config' | 'pooledSize' | 'gridPositions' | 'gridChannels' | 'encode'>,
  images: Float32Array,
  count: number,
  options: { onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<EncodedImages> {
  const S = encoder.config.imageSize;
  const pixels = S * S * 3;
  const gridSize = encoder.gridPositions * encoder.gridChannels;
  const pooled = new Float32Array(count * encoder.pooledSize);
  const grid = new Float32Array(count * gridSize);
  for (let start = 0; start < count; start += ENCODE_CHUNK) {
    if (options.signal?.aborted) throw new CancelledError('encoding stopped');
    const n = Math.min(ENCODE_CHUNK, count - start);
    const features = await encoder.encode(images.subarray(start * pixels, (start + n) * pixels), n);
    pooled.set(features.pooled, start * encoder.pooledSize);
    grid.set(features.grid, start * gridSize);
    options.onProgress?.({ fraction: (start + n) / count, message: `${start + n}/${count} images encoded` });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { pooled, grid };
}
