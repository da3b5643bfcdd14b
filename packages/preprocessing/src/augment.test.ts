import { InvalidInputError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { augmentPixels } from './augment';
import { seededRandom } from './seeded-random';

/** A 2x2 image: red, green / blue, white. */
const image = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
const constant = (value: number) => () => value;

describe('augmentPixels', () => {
  it('changes nothing when augmentation is off, and returns a copy', () => {
    const out = augmentPixels(image, 2, { horizontalFlip: false, colorJitter: 0 }, constant(0));
    expect(out).toEqual(image);
    expect(out).not.toBe(image);
  });

  it('mirrors rows when the draw is below 1/2, and leaves the input alone', () => {
    const copy = Uint8Array.from(image);
    const flipped = augmentPixels(image, 2, { horizontalFlip: true, colorJitter: 0 }, constant(0.2));
    expect(Array.from(flipped)).toEqual([0, 255, 0, 255, 0, 0, 255, 255, 255, 0, 0, 255]);
    expect(image).toEqual(copy);
    expect(augmentPixels(image, 2, { horizontalFlip: true, colorJitter: 0 }, constant(0.7))).toEqual(image);
  });

  it('colour jitter at its midpoint draw (all factors 1) changes nothing; low draws darken and desaturate', () => {
    expect(augmentPixels(image, 2, { horizontalFlip: false, colorJitter: 0.4 }, constant(0.5))).toEqual(
      image,
    );
    const dull = augmentPixels(image, 2, { horizontalFlip: false, colorJitter: 0.5 }, constant(0));
    // brightness 0.5, contrast 0.5, saturation 0.5: every channel moves towards grey and down.
    const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    expect(sum(dull)).toBeLessThan(sum(image));
    expect(dull[0]).toBeLessThan(255);
    expect(dull[1]).toBeGreaterThan(0);
  });

  it('augments each image of a batch with its own draws, reproducibly for a seed', () => {
    const batch = new Uint8Array(4 * 8 * 8 * 3).map((_, i) => (i * 37) % 256);
    const settings = { horizontalFlip: true, colorJitter: 0.3 };
    const a = augmentPixels(batch, 8, settings, seededRandom(7));
    const b = augmentPixels(batch, 8, settings, seededRandom(7));
    expect(a).toEqual(b);
    expect(a).not.toEqual(batch);
  });

  it('refuses pixels that are not whole images', () => {
    expect(() =>
      augmentPixels(new Uint8Array(11), 2, { horizontalFlip: true, colorJitter: 0 }, constant(0)),
    ).toThrow(InvalidInputError);
  });
});
