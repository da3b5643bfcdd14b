import { CorruptArtifactError } from '@captioner/core';
import { planEpoch } from './epoch-plan';
import type { EpochPlan } from './epoch-plan';
import type { StreamIndex } from './stream-index';

export interface StreamSettings {
  prefetchShards: number;
  shuffleBuffer: number;
}

/** One shard as read: its ids in row order, and what to keep of a row until its image's last caption. */
export interface ReadShardResult<Held> {
  ids: readonly string[];
  hold: (row: number) => Held;
}

/** Reads shard `shard` (a position in `index.shards`). */
export type ReadShard<Held> = (shard: number) => Promise<ReadShardResult<Held>>;

/**
 * The batches of one epoch, read from shards (features or images) as the plan reaches them. Memory holds:
 * the images whose captions are in the shuffle buffer (at most `shuffleBuffer` + one shard's captions), and
 * up to `prefetchShards` shards read ahead. Batch `b` is the same bytes whether the epoch started at batch
 * 0 or resumed at `b`: both follow one plan, and a resumed stream keeps exactly the images still to come.
 */
export class ShardStream<Held> {
  private readonly plan: EpochPlan;
  private readonly held = new Map<number, Held>();
  private readonly reads = new Map<number, Promise<ReadShardResult<Held>>>();
  /** Next shard (position in `plan.shardOrder`) to take into the buffer. */
  private nextShard = 0;
  private batch: number;

  constructor(
    private readonly index: StreamIndex,
    private readonly settings: StreamSettings,
    seed: number,
    epoch: number,
    from: number,
    private readonly batchSize: number,
    private readonly readShard: ReadShard<Held>,
  ) {
    this.plan = planEpoch(index, seed, epoch, settings.shuffleBuffer);
    this.batch = from;
  }

  /** Images held now (for tests and the bench's sanity). */
  get heldImages(): number {
    return this.held.size;
  }

  /** The next batch: its caption numbers (rows of `index.captionImage`) and what is held of each one's image. */
  async next(): Promise<{ rows: Int32Array; held: Held[] }> {
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
    const held = Array.from(rows, (row) => {
      const image = this.index.captionImage[row];
      const kept = this.held.get(image);
      if (kept === undefined)
        throw new Error(`stream: image ${this.index.ids[image]} is not held at caption ${row}`);
      return kept;
    });
    for (const row of rows) {
      const image = this.index.captionImage[row];
      if (this.plan.lastUse[image] < end) this.held.delete(image);
    }
    this.batch += 1;
    return { rows, held };
  }

  /** Drops everything held; waits for reads in flight so none outlives the stream. */
  async close(): Promise<void> {
    this.held.clear();
    const pending = [...this.reads.values()];
    this.reads.clear();
    await Promise.allSettled(pending);
  }

  private read(k: number): Promise<ReadShardResult<Held>> {
    let pending = this.reads.get(k);
    if (!pending) {
      pending = this.readShard(this.plan.shardOrder[k]);
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

  /** Keeps what shard `k`'s images still needed at or after `position` need, then lets the shard go. */
  private async take(k: number, position: number): Promise<void> {
    const shard = await this.read(k);
    this.reads.delete(k);
    const indexed = this.index.shards[this.plan.shardOrder[k]];
    indexed.rows.forEach((row, i) => {
      const image = indexed.firstImage + i;
      if (shard.ids[row] !== this.index.ids[image])
        throw new CorruptArtifactError(
          `${indexed.file}: row ${row} is ${shard.ids[row]}, the index says ${this.index.ids[image]}`,
        );
      if (this.plan.lastUse[image] < position) return;
      this.held.set(image, shard.hold(row));
    });
  }
}

/** The token ids of caption numbers `rows`, [rows.length, T] flattened. */
export function captionsOfRows(index: StreamIndex, rows: Int32Array): Int32Array {
  const T = index.captionLength;
  const captions = new Int32Array(rows.length * T);
  rows.forEach((row, b) => captions.set(index.captions.subarray(row * T, (row + 1) * T), b * T));
  return captions;
}
