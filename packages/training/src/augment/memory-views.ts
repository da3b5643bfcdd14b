import { readShardHeader } from '@captioner/core';
import { readFeatureSet } from '@captioner/dataset';
import { viewShardFile } from '@captioner/feature-extraction';
import { SeededRandom, deriveSeed } from '@captioner/model';
import type { CaptionBatch } from '@captioner/model';
import { InvalidInputError } from '@captioner/core';

/** Views 1..K-1 of the training images, held in memory (the in-memory frozen path: self-critical runs). */
export interface MemoryViews {
  count: number;
  /** [view - 1][images * P], rows as in the split. */
  pooled: Float32Array[];
  grid?: Float32Array[];
  /** [view - 1][image]: 1 when that view is mirrored. */
  flipped: Uint8Array[];
  mirrorCaption: (ids: Int32Array) => Int32Array | null;
}

/** The view (0..K-1) image `image` is read from in `epoch`: one draw per image and epoch from the seed. */
export function viewOfImage(seed: number, epoch: number, image: number, views: number): number {
  return new SeededRandom(deriveSeed(seed, 0x71e36, epoch, image)).int(views);
}

/** Reads views 1..K-1 of the feature shards for the split's images (`ids`, in row order). */
export async function readMemoryViews(
  files: string[],
  ids: string[],
  views: number,
  withGrid: boolean,
  mirrorCaption: MemoryViews['mirrorCaption'],
): Promise<MemoryViews> {
  const wanted = new Set(ids);
  const row = new Map(ids.map((id, i) => [id, i]));
  const out: MemoryViews = {
    count: views,
    pooled: [],
    ...(withGrid ? { grid: [] } : {}),
    flipped: [],
    mirrorCaption,
  };
  for (let view = 1; view < views; view++) {
    const viewFiles = files.map((f) => viewShardFile(f, view));
    const set = await readFeatureSet(viewFiles, wanted);
    if (set.ids.length !== ids.length || set.ids.some((id, i) => id !== ids[i]))
      throw new InvalidInputError(
        `feature view ${view}: its shards do not hold the training images in order`,
      );
    const flipped = new Uint8Array(ids.length);
    for (const file of viewFiles) {
      const meta = (await readShardHeader(file)).meta;
      for (const id of Array.isArray(meta.flipped) ? (meta.flipped as string[]) : []) {
        const r = row.get(id);
        if (r !== undefined) flipped[r] = 1;
      }
    }
    out.pooled.push(set.pooled);
    out.grid?.push(set.grid);
    out.flipped.push(flipped);
  }
  return out;
}

/**
 * Replaces, in a gathered batch, the features of each caption's image by the view drawn for it this epoch,
 * and mirrors the caption when that view is flipped.
 */
export function applyMemoryViews(
  views: MemoryViews,
  /** [M] image row of each caption (`TrainSplit.captionImage`). */
  captionImage: Int32Array,
  rows: Int32Array,
  batch: CaptionBatch,
  at: { seed: number; epoch: number },
  P: number,
  gridSize: number,
): void {
  const T = batch.captionLength;
  rows.forEach((row, b) => {
    const image = captionImage[row];
    const view = viewOfImage(at.seed, at.epoch, image, views.count);
    if (view === 0) return;
    batch.pooled.set(views.pooled[view - 1].subarray(image * P, (image + 1) * P), b * P);
    if (batch.grid && views.grid)
      batch.grid.set(views.grid[view - 1].subarray(image * gridSize, (image + 1) * gridSize), b * gridSize);
    if (views.flipped[view - 1][image]) {
      const caption = batch.captions.subarray(b * T, (b + 1) * T);
      const mirrored = views.mirrorCaption(caption);
      if (!mirrored)
        throw new InvalidInputError(
          `feature view ${view} of image row ${image} is flipped but its caption cannot be mirrored`,
        );
      caption.set(mirrored);
    }
  });
}
