import { SeededRandom, deriveSeed } from '@captioner/model';
import type { StreamIndex } from './stream-index';

/**
 * The order of one epoch, worked out from the index alone (no feature is read): shards in a seeded order,
 * their captions pushed into a shuffle buffer of `bufferCaptions`, and every output position drawn at
 * random (seeded) from the buffer once it is full. Because the plan is a pure function of (index, seed,
 * epoch, buffer), a resumed run knows the whole epoch from its cursor alone: the stream position in a
 * checkpoint is (epoch, batch).
 */
export interface EpochPlan {
  /** [M] caption number at each position of the epoch. */
  order: Int32Array;
  /** [S] shards in the order they are read. */
  shardOrder: Int32Array;
  /** [S] position at which the k-th shard read enters the buffer (its features are needed from there on). */
  readAt: Int32Array;
  /** [images] last position at which each image's features are needed (-1: never this epoch). */
  lastUse: Int32Array;
}

export function planEpoch(
  index: StreamIndex,
  seed: number,
  epoch: number,
  bufferCaptions: number,
): EpochPlan {
  const S = index.shards.length;
  const M = index.captionImage.length;
  const shardOrder = new SeededRandom(deriveSeed(seed, 0x5a4d, epoch)).permutation(S);
  const random = new SeededRandom(deriveSeed(seed, 0xb0ff, epoch));
  const order = new Int32Array(M);
  const readAt = new Int32Array(S);
  const buffer = new Int32Array(bufferCaptions + maxShardCaptions(index));
  let length = 0;
  let position = 0;
  const emit = () => {
    const j = Math.floor(random.next() * length);
    order[position++] = buffer[j];
    buffer[j] = buffer[--length];
  };
  for (let k = 0; k < S; k++) {
    const shard = index.shards[shardOrder[k]];
    readAt[k] = position;
    for (let c = shard.captionStart; c < shard.captionEnd; c++) buffer[length++] = c;
    while (length > bufferCaptions) emit();
  }
  while (length > 0) emit();
  const lastUse = new Int32Array(index.images).fill(-1);
  for (let p = 0; p < M; p++) lastUse[index.captionImage[order[p]]] = p;
  return { order, shardOrder, readAt, lastUse };
}

function maxShardCaptions(index: StreamIndex): number {
  let max = 0;
  for (const s of index.shards) max = Math.max(max, s.captionEnd - s.captionStart);
  return max;
}
