import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CancelledError, readShardFile, toFloat16 } from '@captioner/core';
import { normalizeImages, readFeatureShard, readImageShard, writeFeatureShard } from '@captioner/dataset';
import type { GridStorage } from '@captioner/dataset';
import { SeededRandom, deriveSeed } from '@captioner/model';
import type { FeatureEncoder } from '@captioner/model';
import type { AugmentSettings } from '@captioner/stage-contract';
import { augmentImages, augmentsImages, drawAugment } from './image-augment';
import type { AugmentDraw } from './image-augment';

const BATCH = 32;

/**
 * Feature views a run extracts per training image: `preprocess.augment.views` with a frozen encoder and
 * some image transform on; 1 (view 0, the plain image, only) otherwise. Fine-tuning augments per batch.
 */
export function featureViewCount(augment: AugmentSettings, encoderTrainable: boolean): number {
  return !encoderTrainable && augmentsImages(augment) ? augment.views : 1;
}

/**
 * Feature shard of view `view` (1..K-1) of a feature shard: `features/views/view-<v>/<same name>`. Kept
 * out of `features/` and out of the database's shard list, so every other reader sees only view 0.
 */
export function viewShardFile(featureFile: string, view: number): string {
  return path.join(path.dirname(featureFile), 'views', `view-${view}`, path.basename(featureFile));
}

/**
 * The view (0..K-1) training reads shard `shard` from in `epoch`: one draw per shard and epoch from the
 * run seed, so a resumed epoch reads the same views. Every view of an image is an independent draw, so an
 * image still sees a random one of its K views each epoch.
 */
export function viewOfShard(seed: number, epoch: number, shard: number, views: number): number {
  return views > 1 ? new SeededRandom(deriveSeed(seed, 0x71e35, epoch, shard)).int(views) : 0;
}

/** FNV-1a of an image id: the draws of an image depend on its id, not on which shard holds it. */
function idKey(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Writes views 1..K-1 of one feature shard: for each training image (`augmented(id)`), the features of an
 * augmented draw of its image (crop, flip, jitter: `drawAugment` seeded by run seed, view and image id);
 * other rows (val/test, and images whose captions cannot be mirrored when the draw flips, see
 * `mayFlip`) keep view 0's features. `meta.flipped` lists the ids whose view is mirrored: training swaps
 * their captions' sides. A view already written for the same image shard and settings is skipped.
 */
export async function extractFeatureViews(options: {
  imageFile: string;
  /** View 0, already written by `extractFeatureShard`. */
  featureFile: string;
  encoder: FeatureEncoder;
  settings: AugmentSettings;
  seed: number;
  /** Whether an image is augmented (the train split). */
  augmented: (id: string) => boolean;
  /** Whether an image may be flipped: all its training captions can be mirrored within the vocabulary. */
  mayFlip: (id: string) => boolean;
  grid: GridStorage;
  signal?: AbortSignal;
}): Promise<{ written: number; skipped: number }> {
  const { settings, encoder } = options;
  const { header: imageHeader } = await readShardFile(options.imageFile);
  const stamp = JSON.stringify({ settings, seed: options.seed, grid: options.grid });
  let written = 0;
  let skipped = 0;
  let images: Awaited<ReturnType<typeof readImageShard>> | undefined;
  let plain: Awaited<ReturnType<typeof readFeatureShard>> | undefined;
  for (let view = 1; view < settings.views; view++) {
    const file = viewShardFile(options.featureFile, view);
    if (await isCompleteFor(file, imageHeader.sha256, stamp)) {
      skipped++;
      continue;
    }
    images ??= await readImageShard(options.imageFile);
    plain ??= await readFeatureShard(options.featureFile);
    const S = images.size;
    const P = plain.pooledSize;
    const gridSize = plain.gridPositions * plain.gridChannels;
    const pooled = Float32Array.from(plain.pooled);
    const grid = new Float32Array(plain.grid instanceof Uint16Array ? 0 : plain.grid.length);
    if (!(plain.grid instanceof Uint16Array)) grid.set(plain.grid);
    const grid16 = plain.grid instanceof Uint16Array ? Uint16Array.from(plain.grid) : undefined;
    const rows = images.ids.flatMap((id, row) => (options.augmented(id) ? [row] : []));
    const flipped: string[] = [];
    for (let start = 0; start < rows.length; start += BATCH) {
      if (options.signal?.aborted) throw new CancelledError('feature view extraction stopped');
      const batchRows = rows.slice(start, start + BATCH);
      const draws: AugmentDraw[] = batchRows.map((row) => {
        const id = images!.ids[row];
        const draw = drawAugment(
          settings,
          new SeededRandom(deriveSeed(options.seed, 0x71e, view, idKey(id))).next,
        );
        if (draw.flip && !options.mayFlip(id)) draw.flip = false;
        if (draw.flip) flipped.push(id);
        return draw;
      });
      const pixels = new Uint8Array(batchRows.length * S * S * 3);
      batchRows.forEach((row, b) =>
        pixels.set(images!.pixels.subarray(row * S * S * 3, (row + 1) * S * S * 3), b * S * S * 3),
      );
      const input = tf.tensor4d(normalizeImages(pixels, images.mean, images.std), [
        batchRows.length,
        S,
        S,
        3,
      ]);
      const augmented = augmentImages(input, draws, { mean: images.mean, std: images.std });
      const values = (await augmented.data()) as Float32Array;
      tf.dispose([input, augmented]);
      const features = await encoder.encode(values, batchRows.length);
      batchRows.forEach((row, b) => {
        pooled.set(features.pooled.subarray(b * P, (b + 1) * P), row * P);
        if (gridSize === 0) return;
        const rowGrid = features.grid.subarray(b * gridSize, (b + 1) * gridSize);
        if (grid16) grid16.set(toFloat16(rowGrid), row * gridSize);
        else grid.set(rowGrid, row * gridSize);
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFeatureShard(file, {
      ids: images.ids,
      pooled,
      grid: grid16 ?? grid,
      pooledSize: P,
      gridPositions: plain.gridPositions,
      gridChannels: plain.gridChannels,
      meta: { ...plain.meta, imagesSha256: imageHeader.sha256, view, augment: stamp, flipped },
    });
    written++;
  }
  return { written, skipped };
}

async function isCompleteFor(file: string, imagesSha256: string, stamp: string): Promise<boolean> {
  try {
    const existing = await readShardFile(file);
    return existing.meta.imagesSha256 === imagesSha256 && existing.meta.augment === stamp;
  } catch {
    return false; // missing, partial or corrupt: written again
  }
}
