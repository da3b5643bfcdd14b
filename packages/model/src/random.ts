import { mulberry32 } from '@captioner/core/random';

/**
 * Counter-based randomness: every random draw is a pure function of (seed, stream, counter), so training
 * has no hidden generator state to save; a resumed run draws exactly what an uninterrupted run draws.
 */

/** 32-bit mix (murmur3 finaliser). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Derives a 32-bit seed from a base seed and any number of integer keys. */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  for (const key of keys) h = mix32(h ^ mix32((key >>> 0) + 0x7f4a7c15));
  return h;
}

/** A small seeded generator (mulberry32) for one-off sequences: weight init, permutations. */
export class SeededRandom {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** Fisher-Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}
