/**
 * Images per shard. 256 images of 224x224x3 bytes are 38.5 MB: one shard fits in memory with room to
 * spare, takes a second or two to preprocess (so a killed job loses little work and a re-run redoes
 * little), is big enough that per-shard overhead (a queue job, a database row, a header and checksum)
 * is small, and divides evenly into the usual batch sizes (16, 32, 64, 128) of feature extraction.
 */
export const DEFAULT_SHARD_SIZE = 256;

/**
 * Splits items into shards of `shardSize`, keeping order: item i goes to shard floor(i / shardSize),
 * so the same list always gives the same shards (shard ids stay stable across re-runs).
 */
export function shardItems<T>(items: readonly T[], shardSize: number = DEFAULT_SHARD_SIZE): T[][] {
  if (!Number.isInteger(shardSize) || shardSize < 1)
    throw new RangeError(`shardSize must be a positive integer, got ${shardSize}`);
  const shards: T[][] = [];
  for (let start = 0; start < items.length; start += shardSize)
    shards.push(items.slice(start, start + shardSize));
  return shards;
}
