/**
 * mulberry32: a tiny seeded PRNG with 32-bit state, uniform in [0, 1). Our own so that generated data,
 * weight initialisation and benchmarks are the same on every machine and Node version (Math.random
 * cannot be seeded). Every package draws from this one function.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
