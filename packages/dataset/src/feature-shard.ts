import {
  InvalidInputError,
  fromFloat16,
  readShardFile,
  readShardHeader,
  writeShardFile,
} from '@captioner/core';
import type { ShardHeader, ShardTensor } from '@captioner/core';

/** Features of a chosen set of images, gathered from several shards, rows in `ids` order. */
export interface FeatureSet {
  ids: string[];
  pooled: Float32Array;
  /** Empty when the shards hold no grid (`gridPositions` 0). */
  grid: Float32Array;
  pooledSize: number;
  gridPositions: number;
  gridChannels: number;
}

/** How a feature shard stores its grid: `float16` halves disk, I/O and memory; `none` stores none. */
export type GridStorage = 'float32' | 'float16' | 'none';

/**
 * A feature shard: the encoder's outputs for the images of one image shard, in the same order:
 * `pooled` float32 [n, D] and, unless the decoder reads none, `grid` [n, G, C] (G spatial positions for
 * attention) as float32 or float16 bits (Uint16Array). `meta.imagesSha256` names the image shard it was
 * computed from, so a stale one is redone.
 */
export interface FeatureShard {
  ids: string[];
  pooled: Float32Array;
  /** float32 values, float16 bits (Uint16Array), or empty when the shard has no grid. */
  grid: Float32Array | Uint16Array;
  pooledSize: number;
  gridPositions: number;
  gridChannels: number;
  meta: Record<string, unknown>;
}

export async function writeFeatureShard(file: string, shard: FeatureShard): Promise<ShardHeader> {
  const n = shard.ids.length;
  const tensors: Record<string, ShardTensor> = {
    pooled: { dtype: 'float32', shape: [n, shard.pooledSize], data: shard.pooled },
  };
  if (shard.gridPositions > 0) {
    tensors.grid = {
      dtype: shard.grid instanceof Uint16Array ? 'float16' : 'float32',
      shape: [n, shard.gridPositions, shard.gridChannels],
      data: shard.grid,
    };
  }
  return writeShardFile(file, { kind: 'features', ids: shard.ids, meta: shard.meta, tensors });
}

/** Shapes and ids of a feature shard, from its header alone (no payload read). */
export interface FeatureShardLayout {
  file: string;
  ids: string[];
  pooledSize: number;
  gridPositions: number;
  gridChannels: number;
  gridDtype: 'float32' | 'float16' | 'none';
  payloadBytes: number;
}

function layoutOf(file: string, header: ShardHeader): FeatureShardLayout {
  if (header.kind !== 'features')
    throw new InvalidInputError(`${file}: expected a feature shard, found ${header.kind}`);
  const pooled = header.tensors.find((t) => t.name === 'pooled');
  const grid = header.tensors.find((t) => t.name === 'grid');
  if (!pooled) throw new InvalidInputError(`${file}: feature shard without a 'pooled' tensor`);
  if (grid && grid.dtype !== 'float32' && grid.dtype !== 'float16')
    throw new InvalidInputError(`${file}: grid: dtype ${grid.dtype}, expected float32 or float16`);
  return {
    file,
    ids: header.ids,
    pooledSize: pooled.shape[1],
    gridPositions: grid ? grid.shape[1] : 0,
    gridChannels: grid ? grid.shape[2] : 0,
    gridDtype: grid ? (grid.dtype as 'float32' | 'float16') : 'none',
    payloadBytes: header.payloadBytes,
  };
}

export async function readFeatureShardLayout(file: string): Promise<FeatureShardLayout> {
  return layoutOf(file, await readShardHeader(file));
}

export async function readFeatureShard(file: string): Promise<FeatureShard & { header: ShardHeader }> {
  const shard = await readShardFile(file);
  const layout = layoutOf(file, shard.header);
  const grid = shard.tensors.grid?.data ?? new Float32Array(0);
  return {
    ids: shard.ids,
    pooled: shard.tensors.pooled.data as Float32Array,
    grid: grid as Float32Array | Uint16Array,
    pooledSize: layout.pooledSize,
    gridPositions: layout.gridPositions,
    gridChannels: layout.gridChannels,
    meta: shard.meta,
    header: shard.header,
  };
}

/** Copies grid row `row` of a shard (float32 or float16 bits) into `out` at `offset`, as float32. */
export function copyGridRow(
  grid: Float32Array | Uint16Array,
  rowSize: number,
  row: number,
  out: Float32Array,
  offset: number,
): void {
  const source = grid.subarray(row * rowSize, (row + 1) * rowSize);
  if (source instanceof Uint16Array) fromFloat16(source, out, offset);
  else out.set(source, offset);
}

/**
 * Reads feature shards and keeps the rows whose id is wanted (all rows when `wanted` is omitted),
 * in the order the shards list them. Images that failed preprocessing have no row and are absent.
 * Everything is held in memory: for evaluation sets and small runs; training streams instead.
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
    if (gridSize > 0) copyGridRow(shard.grid, gridSize, row, grid, i * gridSize);
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
