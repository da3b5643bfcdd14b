import { InvalidInputError, readShardFile, writeShardFile } from '@captioner/core';
import type { ShardHeader } from '@captioner/core';

/** Features of a chosen set of images, gathered from several shards, rows in `ids` order. */
export interface FeatureSet {
  ids: string[];
  pooled: Float32Array;
  grid: Float32Array;
  pooledSize: number;
  gridPositions: number;
  gridChannels: number;
}

/**
 * A feature shard: the encoder's outputs for the images of one image shard, in the same order:
 * `pooled` float32 [n, D] and `grid` float32 [n, G, C] (G spatial positions for attention).
 * `meta.imagesSha256` names the image shard it was computed from, so a stale one is redone.
 */
export interface FeatureShard extends FeatureSet {
  meta: Record<string, unknown>;
}

export async function writeFeatureShard(file: string, shard: FeatureShard): Promise<ShardHeader> {
  const n = shard.ids.length;
  return writeShardFile(file, {
    kind: 'features',
    ids: shard.ids,
    meta: shard.meta,
    tensors: {
      pooled: { dtype: 'float32', shape: [n, shard.pooledSize], data: shard.pooled },
      grid: { dtype: 'float32', shape: [n, shard.gridPositions, shard.gridChannels], data: shard.grid },
    },
  });
}

export async function readFeatureShard(file: string): Promise<FeatureShard & { header: ShardHeader }> {
  const shard = await readShardFile(file);
  if (shard.kind !== 'features')
    throw new InvalidInputError(`${file}: expected a feature shard, found ${shard.kind}`);
  const { pooled, grid } = shard.tensors;
  return {
    ids: shard.ids,
    pooled: pooled.data as Float32Array,
    grid: grid.data as Float32Array,
    pooledSize: pooled.shape[1],
    gridPositions: grid.shape[1],
    gridChannels: grid.shape[2],
    meta: shard.meta,
    header: shard.header,
  };
}

/**
 * Reads feature shards and keeps the rows whose id is wanted (all rows when `wanted` is omitted),
 * in the order the shards list them. Images that failed preprocessing have no row and are absent.
 */
export async function readFeatureSet(files: string[], wanted?: ReadonlySet<string>): Promise<FeatureSet> {
  const shards = [];
  for (const file of files) shards.push(await readFeatureShard(file));
  const first = shards[0];
  if (!first) throw new InvalidInputError('no feature shards to read');
  const { pooledSize, gridPositions, gridChannels } = first;
  const gridSize = gridPositions * gridChannels;
  const rows: Array<{ shard: (typeof shards)[number]; row: number }> = [];
  for (const shard of shards) {
    if (
      shard.pooledSize !== pooledSize ||
      shard.gridPositions !== gridPositions ||
      shard.gridChannels !== gridChannels
    ) {
      throw new InvalidInputError(
        `${shard.header.kind} shard with ids ${shard.ids[0]}…: feature shape differs from the first shard`,
      );
    }
    shard.ids.forEach((id, row) => {
      if (!wanted || wanted.has(id)) rows.push({ shard, row });
    });
  }
  const pooled = new Float32Array(rows.length * pooledSize);
  const grid = new Float32Array(rows.length * gridSize);
  rows.forEach(({ shard, row }, i) => {
    pooled.set(shard.pooled.subarray(row * pooledSize, (row + 1) * pooledSize), i * pooledSize);
    grid.set(shard.grid.subarray(row * gridSize, (row + 1) * gridSize), i * gridSize);
  });
  return {
    ids: rows.map(({ shard, row }) => shard.ids[row]),
    pooled,
    grid,
    pooledSize,
    gridPositions,
    gridChannels,
  };
}
