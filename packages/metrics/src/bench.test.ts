import { describe, expect, it } from 'vitest';
import { benchScore, syntheticCaptionSet } from './bench';

describe('benchScore', () => {
  it('generates the same captions for the same seed', () => {
    expect(syntheticCaptionSet(20, 3, 7)).toEqual(syntheticCaptionSet(20, 3, 7));
    expect(syntheticCaptionSet(20, 3, 7)).not.toEqual(syntheticCaptionSet(20, 3, 8));
    expect(syntheticCaptionSet(20, 3, 7).refs['100000']).toHaveLength(3);
  });

  it('scores the requested number of images and reports a rate', () => {
    const result = benchScore({ images: 200, refsPerImage: 5, seed: 3 });
    expect(result.images).toBe(200);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.imagesPerSecond).toBeCloseTo(200 / result.seconds, 6);
  });

  it('reports the CPU time of the scoring too', () => {
    const result = benchScore({ images: 300, refsPerImage: 5, seed: 4 });
    expect(result.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(result.cpuSeconds)).toBe(true);
  });
});
