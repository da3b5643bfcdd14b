import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

/** Test support (not exported by the package): temporary directories and images with known content. */

export async function makeTempDir(prefix = 'captioner-preprocessing-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export type Rgb = [number, number, number];
export const RED: Rgb = [255, 0, 0];
export const BLUE: Rgb = [0, 0, 255];
export const GREEN: Rgb = [0, 255, 0];

/**
 * Raw pixels split in two: `first` on the left (or top) half, `second` on the right (or bottom) half.
 * `channels` 1 takes the first value of each colour; 4 appends `alpha` (first, second).
 */
export function splitImage(
  width: number,
  height: number,
  split: 'leftRight' | 'topBottom',
  first: number[],
  second: number[],
): Buffer {
  const channels = first.length;
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inFirst = split === 'leftRight' ? x < width / 2 : y < height / 2;
      pixels.set(inFirst ? first : second, (y * width + x) * channels);
    }
  }
  return pixels;
}

/** A sharp instance over raw pixels made by splitImage. */
export function rawImage(
  pixels: Buffer,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
): sharp.Sharp {
  return sharp(pixels, { raw: { width, height, channels } });
}

/** The RGB value at (x, y) of prepared `size` x `size` x 3 pixels. */
export function pixelAt(pixels: Uint8Array, size: number, x: number, y: number): Rgb {
  const i = (y * size + x) * 3;
  return [pixels[i], pixels[i + 1], pixels[i + 2]];
}

/** True when every channel is within `tolerance` of the expected colour (lossy codecs, colour conversions). */
export function near(actual: Rgb, expected: Rgb, tolerance = 40): boolean {
  return actual.every((v, c) => Math.abs(v - expected[c]) <= tolerance);
}
