import { CorruptArtifactError } from '@captioner/core';
import { readFeatureShard, copyGridRow } from '@captioner/dataset';
import type { CaptionBatch } from '@captioner/model';
import { viewOfShard, viewShardFile } from '@captioner/feature-extraction';
import { ShardStream, captionsOfRows } from './shard-stream';
import type { ReadShardResult, StreamSettings } from './shard-stream';
import type { StreamIndex } from './stream-index';

export type { StreamSettings } from './shard-stream';

/** What the stream keeps of one image between the read of its shard and its last caption. */
interface HeldFeatures {
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

/** The batches of one epoch with their features, read from feature shards (see `ShardStream`). */
export class EpochReader {
  private readonly stream: ShardStream<HeldFeatures>;

  constructor(
    private readonly index: StreamIndex,
    settings: StreamSettings,
    seed: number,
    epoch: number,
    from: number,
    batchSize: number,
    private readonly withGrid: boolean,
    private readonly views?: StreamViews,
  ) {
    this.stream = new ShardStream(index, settings, seed, epoch, from, batchSize, (shard) =>
      this.readShard(shard, seed, epoch),
    );
  }

  /** Images whose features are held now (for tests and the bench's sanity). */
  get heldImages(): number {
    return this.stream.heldImages;
  }

  /** The next batch, with the caption numbers it holds (rows of `index.captionImage`). */
  async next(): Promise<{ batch: CaptionBatch; rows: Int32Array }> {
    const { rows, held } = await this.stream.next();
    return { batch: this.gather(rows, held), rows };
  }

  close(): Promise<void> {
    return this.stream.close();
  }

  private async readShard(
    shard: number,
    seed: number,
    epoch: number,
  ): Promise<ReadShardResult<HeldFeatures>> {
    const file = this.index.shards[shard].file;
    const view = this.views ? viewOfShard(seed, epoch, shard, this.views.count) : 0;
    const features = await readFeatureShard(view > 0 ? viewShardFile(file, view) : file);
    const P = features.pooledSize;
    const gridSize = features.gridPositions * features.gridChannels;
    const flipped = new Set(Array.isArray(features.meta.flipped) ? (features.meta.flipped as string[]) : []);
    return {
      ids: features.ids,
      hold: (row) => ({
        pooled: features.pooled.slice(row * P, (row + 1) * P),
        grid: this.withGrid ? features.grid.slice(row * gridSize, (row + 1) * gridSize) : undefined,
        ...(flipped.has(features.ids[row]) ? { flipped: true } : {}),
      }),
    };
  }

  private mirror(caption: Int32Array, row: number): void {
    const mirrored = this.views?.mirrorCaption(caption);
    if (!mirrored)
      throw new CorruptArtifactError(
        `feature view of ${this.index.ids[this.index.captionImage[row]]} is flipped but its caption cannot be mirrored (was the vocabulary rebuilt?)`,
      );
    caption.set(mirrored);
  }

  private gather(rows: Int32Array, held: HeldFeatures[]): CaptionBatch {
    const { captionLength: T, featureShape } = this.index;
    const P = featureShape.pooledSize;
    const gridSize = featureShape.gridPositions * featureShape.gridChannels;
    const B = rows.length;
    const captions = captionsOfRows(this.index, rows);
    const pooled = new Float32Array(B * P);
    const grid = this.withGrid ? new Float32Array(B * gridSize) : undefined;
    held.forEach((features, b) => {
      if (features.flipped) this.mirror(captions.subarray(b * T, (b + 1) * T), rows[b]);
      pooled.set(features.pooled, b * P);
      if (grid) copyGridRow(features.grid!, gridSize, 0, grid, b * gridSize);
    });
    return { captions, captionLength: T, pooled, grid, size: B };
  }
}
