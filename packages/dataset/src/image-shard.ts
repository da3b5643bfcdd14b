import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  InvalidInputError,
  readShardFile,
  readShardHeader,
  writeShardFile,
} from '@captioner/core';
import type { ShardHeader } from '@captioner/core';

// The default normalization; the statistics are defined once, in @captioner/core.
export { IMAGENET_MEAN, IMAGENET_STD };

/**
 * An image shard: `pixels` uint8 [N, size, size, 3] (RGB, HWC) for the ids in order. Pixels are stored
 * as 8-bit (4x smaller than float32); the normalization (mean/std per channel, on values in [0, 1])
 * is recorded in the header and applied on read by `normalizeImages`.
 */
export interface ImageShard {
  ids: string[];
  size: number;
  pixels: Uint8Array;
  mean: [number, number, number];
  std: [number, number, number];
}

export async function writeImageShard(file: string, shard: ImageShard): Promise<ShardHeader> {
  const expected = shard.ids.length * shard.size * shard.size * 3;
  if (shard.pixels.length !== expected) {
    throw new InvalidInputError(`image shard ${file}: ${shard.pixels.length} bytes, expected ${expected}`);
  }
  return writeShardFile(file, {
    kind: 'images',
    ids: shard.ids,
    meta: { size: shard.size, mean: shard.mean, std: shard.std },
    tensors: {
      pixels: { dtype: 'uint8', shape: [shard.ids.length, shard.size, shard.size, 3], data: shard.pixels },
    },
  });
}

export async function readImageShard(file: string): Promise<ImageShard> {
  const content = await readShardFile(file);
  if (content.kind !== 'images')
    throw new InvalidInputError(`${file}: expected an image shard, found ${content.kind}`);
  const meta = content.meta as {
    size: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  return {
    ids: content.ids,
    size: meta.size,
    pixels: content.tensors.pixels.data as Uint8Array,
    mean: meta.mean,
    std: meta.std,
  };
}

/** Ids and image size of an image shard, from its header alone (no pixel read). */
export interface ImageShardLayout {
  file: string;
  ids: string[];
  size: number;
}

export async function readImageShardLayout(file: string): Promise<ImageShardLayout> {
  const header = await readShardHeader(file);
  if (header.kind !== 'images')
    throw new InvalidInputError(`${file}: expected an image shard, found ${header.kind}`);
  const size = (header.meta as { size?: unknown }).size;
  if (typeof size !== 'number') throw new InvalidInputError(`${file}: image shard header has no size`);
  return { file, ids: header.ids, size };
}

/** uint8 HWC pixels -> float32 ((x / 255) - mean) / std, same layout. */
export function normalizeImages(
  pixels: Uint8Array,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const c = i % 3;
    out[i] = (pixels[i] / 255 - mean[c]) / std[c];
  }
  return out;
}

/** Normalised images of several shards, rows in shard order (the order `readFeatureSet` gives the same ids). */
export interface ImageSet {
  ids: string[];
  size: number;
  /** float32 [ids.length, size, size, 3], normalised with each shard's mean/std. */
  images: Float32Array;
}

/** Reads the images of `wanted` ids (all when omitted) from image shards, normalised for the encoder. */
export async function readImageSet(files: string[], wanted?: ReadonlySet<string>): Promise<ImageSet> {
  const rows: Array<{ shard: ImageShard; row: number }> = [];
  let size: number | undefined;
  for (const file of files) {
    const shard = await readImageShard(file);
    size ??= shard.size;
    if (shard.size !== size)
      throw new InvalidInputError(`${file}: images are ${shard.size} px, the first shard's ${size} px`);
    shard.ids.forEach((id, row) => {
      if (!wanted || wanted.has(id)) rows.push({ shard, row });
    });
  }
  if (size === undefined) throw new InvalidInputError('no image shards to read');
  const pixels = size * size * 3;
  const images = new Float32Array(rows.length * pixels);
  rows.forEach(({ shard, row }, i) => {
    images.set(
      normalizeImages(shard.pixels.subarray(row * pixels, (row + 1) * pixels), shard.mean, shard.std),
      i * pixels,
    );
  });
  return { ids: rows.map(({ shard, row }) => shard.ids[row]), size, images };
}
