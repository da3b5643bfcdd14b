import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { orientSquare } from './orient-square';

describe('orientSquare', () => {
  it('matches sharp autoOrient for every EXIF orientation', async () => {
    const size = 5;
    const pixels = Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 53 + 7) % 256);
    for (let orientation = 1; orientation <= 8; orientation++) {
      // PNG keeps the pixels exact and carries the orientation in its eXIf chunk.
      const png = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .withMetadata({ orientation })
        .toBuffer();
      expect((await sharp(png).metadata()).orientation).toBe(orientation);
      const expected = await sharp(png, { autoOrient: true }).raw().toBuffer();
      expect(Array.from(orientSquare(pixels, size, orientation)), `orientation ${orientation}`).toEqual(
        Array.from(expected),
      );
    }
  });

  it('returns the pixels unchanged for orientation 1 or a missing/invalid tag', () => {
    const pixels = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const orientation of [0, 1, 9]) expect(orientSquare(pixels, 2, orientation)).toBe(pixels);
  });
});
