import { normalizeImages, readImageShard } from '@captioner/dataset';
import type { CaptionBatch } from '@captioner/model';
import { ShardStream, captionsOfRows } from './shard-stream';
import type { ReadShardResult, StreamSettings } from './shard-stream';
import type { StreamIndex } from './stream-index';

/** One image as stored (8-bit, 4× smaller than float32) with the normalisation its shard records. */
interface HeldImage {
  pixels: Uint8Array;
  mean: readonly number[];
  std: readonly number[];
}

async function readImages(index: StreamIndex, shard: number): Promise<ReadShardResult<HeldImage>> {
  const images = await readImageShard(index.shards[shard].file);
  const pixels = images.size ** 2 * 3;
  return {
    ids: images.ids,
    hold: (row) => ({
      pixels: images.pixels.slice(row * pixels, (row + 1) * pixels),
      mean: images.mean,
      std: images.std,
    }),
  };
}

function normalised(held: HeldImage[], pixels: number): Float32Array {
  const out = new Float32Array(held.length * pixels);
  held.forEach((image, b) => out.set(normalizeImages(image.pixels, image.mean, image.std), b * pixels));
  return out;
}

/**
 * The batches of one epoch with the normalised images of their captions, read from image shards (the
 * fine-tuning form of `EpochReader`): memory holds the shuffle buffer's images as 8-bit pixels.
 */
export class ImageEpochReader {
  private readonly stream: ShardStream<HeldImage>;

  constructor(
    private readonly index: StreamIndex,
    settings: StreamSettings,
    seed: number,
    epoch: number,
    from: number,
    batchSize: number,
    private readonly imageSize: number,
  ) {
    if (index.source !== 'images')
      throw new Error(`ImageEpochReader: the index is of ${index.source} shards`);
    this.stream = new ShardStream(index, settings, seed, epoch, from, batchSize, (shard) =>
      readImages(index, shard),
    );
  }

  get heldImages(): number {
    return this.stream.heldImages;
  }

  /**
   * The next batch: captions (features left empty: the encoder computes them), the caption numbers, and
   * each caption's image, normalised, [B, S, S, 3].
   */
  async next(): Promise<{ batch: CaptionBatch; rows: Int32Array; pixels: Float32Array }> {
    const { rows, held } = await this.stream.next();
    const batch: CaptionBatch = {
      captions: captionsOfRows(this.index, rows),
      captionLength: this.index.captionLength,
      pooled: new Float32Array(0),
      size: rows.length,
    };
    return { batch, rows, pixels: normalised(held, this.imageSize ** 2 * 3) };
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}

/**
 * The first `count` indexed images (index order), normalised, read `chunk` images at a time: `onChunk`
 * gets each chunk ([n, S, S, 3]) and nothing more is held.
 */
export async function forEachImageChunk(
  index: StreamIndex,
  imageSize: number,
  count: number,
  chunk: number,
  onChunk: (pixels: Float32Array, n: number) => Promise<void>,
): Promise<void> {
  const pixels = imageSize ** 2 * 3;
  let pending: HeldImage[] = [];
  let left = Math.min(count, index.images);
  for (let s = 0; s < index.shards.length && left > 0; s++) {
    if (index.shards[s].rows.length === 0) continue;
    const shard = await readImages(index, s);
    for (const row of index.shards[s].rows) {
      if (left <= 0) break;
      pending.push(shard.hold(row));
      left -= 1;
      if (pending.length === chunk) {
        await onChunk(normalised(pending, pixels), pending.length);
        pending = [];
      }
    }
  }
  if (pending.length > 0) await onChunk(normalised(pending, pixels), pending.length);
}
