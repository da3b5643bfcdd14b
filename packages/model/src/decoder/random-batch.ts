import { SeededRandom } from '@captioner/core/random';
import { END_ID, PAD_ID, START_ID } from '@captioner/core/special-tokens';
import type { CaptionBatch } from './teacher-forcing';

export interface RandomCaptionBatchOptions {
  size: number;
  /** Tokens per row, <start> and <end> included. */
  captionLength: number;
  vocabSize: number;
  pooledSize: number;
  /** Grid features [size, positions, channels]; none when omitted. */
  grid?: { positions: number; channels: number };
  /** `random`: 1 to captionLength-2 words per row, so that padding exists; `full`: every row full. */
  lengths: 'random' | 'full';
  seed: number;
}

/**
 * A batch of random words and normally distributed features, the same for the same options: what the
 * benchmarks time and the path-equivalence tests compare on.
 */
export function randomCaptionBatch(o: RandomCaptionBatchOptions): CaptionBatch {
  const random = new SeededRandom(o.seed);
  const T = o.captionLength;
  const captions = new Int32Array(o.size * T).fill(PAD_ID);
  for (let b = 0; b < o.size; b++) {
    const words = o.lengths === 'full' ? T - 2 : 1 + Math.floor(random.next() * (T - 2));
    captions[b * T] = START_ID;
    for (let t = 1; t <= words; t++) captions[b * T + t] = 4 + Math.floor(random.next() * (o.vocabSize - 4));
    captions[b * T + words + 1] = END_ID;
  }
  const pooled = Float32Array.from({ length: o.size * o.pooledSize }, () => random.normal());
  const grid = o.grid
    ? Float32Array.from({ length: o.size * o.grid.positions * o.grid.channels }, () => random.normal())
    : undefined;
  return { captions, captionLength: T, pooled, ...(grid ? { grid } : {}), size: o.size };
}
