import { readFeatureShard, copyGridRow } from '@captioner/dataset';
import type { ValSplit } from '../loop/types';
import type { StreamIndex } from './stream-index';

/**
 * The first `maxImages` validation images (index order) with their references, reading one shard at a
 * time and stopping once it has them: validation holds `maxImages` images' features, never the split.
 */
export async function readValidationSplit(
  index: StreamIndex,
  references: (id: string) => string[],
  withGrid: boolean,
  maxImages: number,
): Promise<ValSplit> {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = index.featureShape;
  const count = Math.min(maxImages, index.images);
  const pooled = new Float32Array(count * P);
  const grid = withGrid ? new Float32Array(count * G * C) : undefined;
  let image = 0;
  for (const indexed of index.shards) {
    if (image >= count) break;
    if (indexed.rows.length === 0) continue;
    const shard = await readFeatureShard(indexed.file);
    for (const row of indexed.rows) {
      if (image >= count) break;
      pooled.set(shard.pooled.subarray(row * P, (row + 1) * P), image * P);
      if (grid) copyGridRow(shard.grid, G * C, row, grid, image * G * C);
      image += 1;
    }
  }
  const ids = index.ids.slice(0, count);
  return { pooled, grid, images: count, references: ids.map(references), ids };
}
