import * as tf from '@tensorflow/tfjs';
import { readFeatureShard, copyGridRow } from '@captioner/dataset';
import { identityFeatureNorm } from '@captioner/model';
import type { FeatureNorm, FeatureShape } from '@captioner/model';
import type { StreamIndex } from './stream-index';

/** Per-channel sums in float64, added row by row: the same sums `computeFeatureNorm` makes over one array. */
class ChannelSums {
  private readonly sum: Float64Array;
  private readonly square: Float64Array;
  private rows = 0;
  constructor(private readonly channels: number) {
    this.sum = new Float64Array(channels);
    this.square = new Float64Array(channels);
  }
  add(values: Float32Array): void {
    const C = this.channels;
    for (let r = 0; r < values.length / C; r++) {
      for (let c = 0; c < C; c++) {
        const v = values[r * C + c];
        this.sum[c] += v;
        this.square[c] += v * v;
      }
      this.rows += 1;
    }
  }
  stats(): { mean: Float32Array; std: Float32Array } {
    const n = Math.max(this.rows, 1);
    const mean = new Float32Array(this.channels);
    const std = new Float32Array(this.channels);
    for (let c = 0; c < this.channels; c++) {
      const m = this.sum[c] / n;
      mean[c] = m;
      std[c] = Math.sqrt(Math.max(this.square[c] / n - m * m, 0)) + 1e-5;
    }
    return { mean, std };
  }
}

/** Per-channel sums of pooled and (optionally) grid features, row by row, made into a `FeatureNorm`. */
export class FeatureSums {
  private readonly pooled: ChannelSums;
  private readonly grid: ChannelSums | undefined;
  constructor(
    private readonly shape: FeatureShape,
    withGrid: boolean,
  ) {
    this.pooled = new ChannelSums(shape.pooledSize);
    this.grid = withGrid && shape.gridChannels > 0 ? new ChannelSums(shape.gridChannels) : undefined;
  }
  /** Adds images' features: pooled [n, P] and grid [n, G*C] (float32). */
  add(pooled: Float32Array, grid?: Float32Array): void {
    this.pooled.add(pooled);
    if (this.grid && grid) this.grid.add(grid);
  }
  toNorm(): FeatureNorm {
    const norm = identityFeatureNorm(this.shape);
    const p = this.pooled.stats();
    tf.dispose([norm.pooledMean, norm.pooledStd]);
    norm.pooledMean = tf.tensor1d(p.mean);
    norm.pooledStd = tf.tensor1d(p.std);
    if (this.grid) {
      const g = this.grid.stats();
      tf.dispose([norm.gridMean, norm.gridStd]);
      norm.gridMean = tf.tensor1d(g.mean);
      norm.gridStd = tf.tensor1d(g.std);
    }
    return norm;
  }
}

/**
 * The decoder's feature normalisation from the first `maxImages` indexed images, reading one shard at a
 * time. With every image (a data set of at most `maxImages`) it equals `computeFeatureNorm` over the whole
 * set; beyond, the statistics of a sample, which is what they are meant to be.
 */
export async function streamFeatureNorm(
  index: StreamIndex,
  withGrid: boolean,
  maxImages: number,
): Promise<FeatureNorm> {
  const { pooledSize: P, gridPositions: G, gridChannels: C } = index.featureShape;
  const sums = new FeatureSums(index.featureShape, withGrid);
  const gridRow = new Float32Array(G * C);
  let left = Math.min(maxImages, index.images);
  for (const indexed of index.shards) {
    if (left <= 0) break;
    if (indexed.rows.length === 0) continue;
    const shard = await readFeatureShard(indexed.file);
    for (const row of indexed.rows) {
      if (left <= 0) break;
      if (withGrid) copyGridRow(shard.grid, G * C, row, gridRow, 0);
      sums.add(shard.pooled.subarray(row * P, (row + 1) * P), withGrid ? gridRow : undefined);
      left -= 1;
    }
  }
  return sums.toNorm();
}
