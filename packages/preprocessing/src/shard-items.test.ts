import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARD_SIZE, shardItems } from './shard-items';

describe('shardItems', () => {
  it('puts item i in shard floor(i / shardSize), in order, with a short last shard', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(shardItems(items, 4)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(shardItems([], 4)).toEqual([]);
    expect(shardItems(items, 10)).toEqual([items]);
  });

  it('defaults to DEFAULT_SHARD_SIZE and refuses a bad size', () => {
    expect(
      shardItems(Array.from({ length: DEFAULT_SHARD_SIZE + 1 }, (_, i) => i)).map((s) => s.length),
    ).toEqual([DEFAULT_SHARD_SIZE, 1]);
    expect(() => shardItems([1], 0)).toThrow(RangeError);
    expect(() => shardItems([1], 1.5)).toThrow(RangeError);
  });
});
