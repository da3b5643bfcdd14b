import { InvalidInputError } from '@captioner/core';
import type { AugmentSettings } from './settings';

/** ITU-R BT.601 luma weights, as torchvision's `rgb_to_grayscale` (used by contrast and saturation). */
const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Training-time augmentation on shard pixels (uint8 RGB HWC, one image of `size` x `size` or a batch
 * of them back to back). Returns a new array; the input is not changed. Each image draws its own
 * random choices from `rng` (values in [0, 1)), in a fixed order, so a seeded rng gives the same output.
 *
 * - horizontal flip with probability 1/2;
 * - colour jitter of strength j: brightness, then contrast, then saturation, each factor drawn from
 *   [1 - j, 1 + j] (torchvision's `ColorJitter(j, j, j)`, in a fixed order instead of a random one).
 */
export function augmentPixels(
  pixels: Uint8Array,
  size: number,
  augment: Pick<AugmentSettings, 'horizontalFlip' | 'colorJitter'>,
  rng: () => number,
): Uint8Array {
  const imageBytes = size * size * 3;
  if (!Number.isInteger(size) || size < 1 || pixels.length === 0 || pixels.length % imageBytes !== 0) {
    throw new InvalidInputError(
      `augmentPixels: ${pixels.length} bytes is not a whole number of ${size}x${size}x3 images`,
    );
  }
  const out = new Uint8Array(pixels);
  const jitter = augment.colorJitter;
  for (let start = 0; start < out.length; start += imageBytes) {
    const image = out.subarray(start, start + imageBytes);
    if (augment.horizontalFlip && rng() < 0.5) flipHorizontally(image, size);
    if (jitter > 0) {
      const brightness = 1 - jitter + 2 * jitter * rng();
      const contrast = 1 - jitter + 2 * jitter * rng();
      const saturation = 1 - jitter + 2 * jitter * rng();
      jitterColours(image, brightness, contrast, saturation);
    }
  }
  return out;
}

function flipHorizontally(image: Uint8Array, size: number): void {
  for (let y = 0; y < size; y++) {
    const row = y * size * 3;
    for (let left = 0, right = size - 1; left < right; left++, right--) {
      const a = row + left * 3;
      const b = row + right * 3;
      for (let c = 0; c < 3; c++) {
        const t = image[a + c];
        image[a + c] = image[b + c];
        image[b + c] = t;
      }
    }
  }
}

/** Works in float and rounds once at the end; each step clamps to [0, 255] as torchvision does. */
function jitterColours(image: Uint8Array, brightness: number, contrast: number, saturation: number): void {
  const pixelCount = image.length / 3;
  const values = new Float32Array(image.length);
  let lumaSum = 0;
  for (let i = 0; i < image.length; i += 3) {
    for (let c = 0; c < 3; c++) values[i + c] = clamp(image[i + c] * brightness);
    lumaSum += LUMA[0] * values[i] + LUMA[1] * values[i + 1] + LUMA[2] * values[i + 2];
  }
  // Contrast blends towards the image's mean grey level.
  const meanLuma = lumaSum / pixelCount;
  for (let i = 0; i < image.length; i += 3) {
    for (let c = 0; c < 3; c++) values[i + c] = clamp(meanLuma + contrast * (values[i + c] - meanLuma));
    // Saturation blends each pixel towards its own grey level.
    const grey = LUMA[0] * values[i] + LUMA[1] * values[i + 1] + LUMA[2] * values[i + 2];
    for (let c = 0; c < 3; c++) image[i + c] = Math.round(clamp(grey + saturation * (values[i + c] - grey)));
  }
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}
