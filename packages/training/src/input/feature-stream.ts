import { CorruptArtifactError } from '@captioner/core';
import { readFeatureShard, copyGridRow } from '@captioner/dataset';
import type { FeatureShard } from '@captioner/dataset';
import type { CaptionBatch } from '@captioner/model';
import { viewOfShard, viewShardFile } from '@captioner/feature-extraction';
import { planEpoch } from './epoch-plan';
import type { EpochPlan } from './epoch-plan';
import type { StreamIndex } from './stream-index';

/** What the stream keeps of one image between the read of its shard and its last caption. */
interface Held {
  pooled: Float32Array;
  /** float32 or float16 bits, as stored; converted when a batch is gathered. */
  grid?: Float32Array | Uint16Array;
  /** Read from a mirrored view: its captions are mirrored too. */
  flipped?: boolean;
}

/** Augmented feature views (`preprocess.augment.views`): one per shard and epoch, drawn from the seed. */
export interface StreamViews {
  count: number;
  /** Mirrored caption ids (null: cannot be mirrored; extraction never flips such images). */
  mirrorCaption: (ids: Int32Array) => Int32Array | null;
}

export interface StreamSettings {
  prefetchShards: number;
  shuffleBuffer: number;
}

/**
 * The batches of one epoch, read from feature shards as the plan reaches them. Memory holds: the images
 * whose captions are in the shuffle buffer (at most `shuffleBuffer` + one shard's captions), and up to
 * `prefetchShards` shards read ahead. Batch `b` is the same bytes whether the epoch started at batch 0 or
 * resumed at `b`: both follow one plan, and a resumed reader copies exactly the images still to come.
 */
export class EpochReader {
  private readonly plan: EpochPlan;
  private readonly held = new Map<number, Held>();
  private readonly reads = new Map<number, Promise<FeatureShard>>();
  /** Next shard (position in `plan.shardOrder`) to take into the buffer. */
  private nextShard = 0;
  private batch: number;
  private readonly seed: number;
  private readonly epoch: number;

  constructor(
    private readonly index: StreamIndex,
    private readonly settings: StreamSettings,
    seed: number,
    epoch: number,
    from: number,
    private readonly batchSize: number,
    private readonly withGrid: boolean,
    private readonly views?: StreamViews,
  ) {
    this.seed = seed;
    this.epoch = epoch;
    this.plan = planEpoch(index, seed, epoch, settings.shuffleBuffer);
    this.batch = from;
  }

  /** Images whose features are held now (for tests and the bench's sanity). */
  get heldImages(): number {
    return this.held.size;
  }

  /** The next batch, with the caption numbers it holds (rows of `index.captionImage`). */
  async next(): Promise<{ batch: CaptionBatch; rows: Int32Array }> {
    const { order } = this.plan;
    const start = this.batch * this.batchSize;
    const end = Math.min(start + this.batchSize, order.length);
    if (start >= end) throw new RangeError(`batch ${this.batch} is past the end of the epoch`);
    while (this.nextShard < this.plan.readAt.length && this.plan.readAt[this.nextShard] < end) {
      await this.take(this.nextShard, start);
      this.nextShard += 1;
    }
    this.prefetch();
    const rows = order.subarray(start, end);
    const batch = this.gather(rows);
    for (const row of rows) {
      const image = this.index.captionImage[row];
      if (this.plan.lastUse[image] < end) this.held.delete(image);
    }
    this.batch += 1;
    return { batch, rows };
  }

  /** Drops everything held; waits for reads in flight so none outlives the reader. */
  async close(): Promise<void> {
    this.held.clear();
    const pending = [...this.reads.values()];
    this.reads.clear();
    await Promise.allSettled(pending);
  }

  private read(k: number): Promise<FeatureShard> {
    let pending = this.reads.get(k);
    if (!pending) {
      const shard = this.plan.shardOrder[k];
      const file = this.index.shards[shard].file;
      const view = this.views ? viewOfShard(this.seed, this.epoch, shard, this.views.count) : 0;
      pending = readFeatureShard(view > 0 ? viewShardFile(file, view) : file);
      // Awaited by take(); a failure of a read ahead is reported there, not as an unhandled rejection.
      pending.catch(() => {});
      this.reads.set(k, pending);
    }
    return pending;
  }

  private prefetch(): void {
    const last = Math.min(this.nextShard + this.settings.prefetchShards, this.plan.readAt.length);
    for (let k = this.nextShard; k < last; k++) void this.read(k);
  }

  /** Copies the features of shard `k`'s images still needed at or after `position`, then lets the shard go. */
  private async take(k: number, position: number): Promise<void> {
    const shard = await this.read(k);
    this.reads.delete(k);
    const indexed = this.index.shards[this.plan.shardOrder[k]];
    const P = shard.pooledSize;
    const gridSize = shard.gridPositions * shard.gridChannels;
    const flipped = new Set(Array.isArray(shard.meta.flipped) ? (shard.meta.flipped as string[]) : []);
    indexed.rows.forEach((row, i) => {
      const image = indexed.firstImage + i;
      if (shard.ids[row] !== this.index.ids[image])
        throw new CorruptArtifactError(
          `${indexed.file}: row ${row} is ${shard.ids[row]}, the index says ${this.index.ids[image]}`,
        );
      if (this.plan.lastUse[image] < position) return;
      this.held.set(image, {
        pooled: shard.pooled.slice(row * P, (row + 1) * P),
        grid: this.withGrid ? shard.grid.slice(row * gridSize, (row + 1) * gridSize) : undefined,
        ...(flipped.has(shard.ids[row]) ? { flipped: true } : {}),
      });
    });
  }

  private mirror(caption: Int32Array, image: number): void {
    const mirrored = this.views?.mirrorCaption(caption);
    if (!mirrored)
      throw new CorruptArtifactError(
        `feature view of ${this.index.ids[image]} is flipped but its caption cannot be mirrored (was the vocabulary rebuilt?)`,
      );
    caption.set(mirrored);
  }

  private gather(rows: Int32Array): CaptionBatch {
    const { captionLength: T, featureShape } = this.index;
    const P = featureShape.pooledSize;
    const gridSize = featureShape.gridPositions * featureShape.gridChannels;
    const B = rows.length;
    const captions = new Int32Array(B * T);
    const pooled = new Float32Array(B * P);
    const grid = this.withGrid ? new Float32Array(B * gridSize) : undefined;
    for (let b = 0; b < B; b++) {
      const row = rows[b];
      captions.set(this.index.captions.subarray(row * T, (row + 1) * T), b * T);
      const image = this.index.captionImage[row];
      const held = this.held.get(image);
      if (!held) throw new Error(`stream: image ${this.index.ids[image]} is not held at caption ${row}`);
      if (held.flipped) this.mirror(captions.subarray(b * T, (b + 1) * T), image);
      pooled.set(held.pooled, b * P);
      if (grid) copyGridRow(held.grid!, gridSize, 0, grid, b * gridSize);
    }
    return { captions, captionLength: T, pooled, grid, size: B };
  }
}
