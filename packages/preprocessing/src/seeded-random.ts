/** A small seeded PRNG (mulberry32 from core): the same seed gives the same images on every machine. */
export { mulberry32 as seededRandom } from '@captioner/core';
