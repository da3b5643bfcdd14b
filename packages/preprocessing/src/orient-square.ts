/**
 * Applies an EXIF orientation (1..8) to a square RGB image (`size` x `size` x 3, HWC), in JS.
 *
 * Why not sharp's `autoOrient`: combined with `extract`, sharp orients before resizing and then skips
 * JPEG shrink-on-load, which made a 4000x3000 phone photo with orientation 6 three to four times
 * slower to prepare than the same photo upright. Cropping in the stored orientation and orienting the
 * small square afterwards costs a 150 kB copy. A centre crop commutes with rotations and mirrors, up
 * to one pixel of offset rounding.
 */
export function orientSquare(pixels: Uint8Array, size: number, orientation: number): Uint8Array {
  if (orientation <= 1 || orientation > 8) return pixels;
  const last = size - 1;
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // (sx, sy): the stored pixel shown at (x, y).
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: // mirrored left-right
          [sx, sy] = [last - x, y];
          break;
        case 3: // rotated 180°
          [sx, sy] = [last - x, last - y];
          break;
        case 4: // mirrored top-bottom
          [sx, sy] = [x, last - y];
          break;
        case 5: // transposed
          [sx, sy] = [y, x];
          break;
        case 6: // shown rotated 90° clockwise
          [sx, sy] = [y, last - x];
          break;
        case 7: // transversed
          [sx, sy] = [last - y, last - x];
          break;
        default: // 8: shown rotated 90° counter-clockwise
          [sx, sy] = [last - y, x];
      }
      const from = (sy * size + sx) * 3;
      const to = (y * size + x) * 3;
      out[to] = pixels[from];
      out[to + 1] = pixels[from + 1];
      out[to + 2] = pixels[from + 2];
    }
  }
  return out;
}
