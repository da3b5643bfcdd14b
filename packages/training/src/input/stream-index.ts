import { InvalidInputError } from '@captioner/core';
import { readFeatureShardLayout, readImageShardLayout } from '@captioner/dataset';
import type { FeatureShardLayout, ImageShardLayout } from '@captioner/dataset';
import type { FeatureShape } from '@captioner/model';

/** One shard as the stream sees it: the rows it reads, and the images and captions they are. */
export interface IndexedShard {
  file: string;
  /** Row in the shard file of each wanted image, in shard order. */
  rows: Int32Array;
  /** Image number of the shard's first wanted image (images are numbered in shard order). */
  firstImage: number;
  /** Captions [captionStart, captionEnd) belong to this shard's images. */
  captionStart: number;
  captionEnd: number;
}

/**
 * What the stream knows before it reads any feature or image: the shards, which of their rows are wanted, and the
 * captions (token ids) of those images. Built from shard headers only; it grows with the number of
 * captions (T token ids each, 2 bytes when the vocabulary allows), not with the features.
 */
export interface StreamIndex {
  /** What the shards hold: an encoder's features, or the images a fine-tuned encoder reads. */
  source: 'features' | 'images';
  shards: IndexedShard[];
  images: number;
  /** Image ids in image-number order. */
  ids: string[];
  /** [M, T] token ids; Uint16Array when every id fits. */
  captions: Uint16Array | Int32Array;
  captionLength: number;
  /** [M] image number of each caption. */
  captionImage: Int32Array;
  /** [images] shard of each image. */
  imageShard: Int32Array;
  featureShape: FeatureShape;
}

/** Token ids of the captions of one image, [count, T] flattened. */
export type CaptionsOf = (id: string) => { ids: ArrayLike<number>; count: number } | undefined;

/** Which rows of which shards to index, and the captions of their images. */
export interface IndexOptions {
  wanted?: Pick<ReadonlySet<string>, 'has'>;
  captionsOf?: CaptionsOf;
  captionLength?: number;
  vocabSize?: number;
}

/**
 * Indexes feature shards for the wanted ids (all when omitted) from their headers. `captionsOf` gives each
 * image's encoded captions (none: the image takes no part, as in `trainStage` today).
 */
export async function buildStreamIndex(
  options: IndexOptions & {
    files: string[];
    /** Whether the decoder reads the grid (attention): then the shards must hold one. */
    withGrid: boolean;
  },
): Promise<StreamIndex> {
  const layouts: FeatureShardLayout[] = [];
  for (const file of options.files) layouts.push(await readFeatureShardLayout(file));
  const first = layouts[0];
  if (!first) throw new InvalidInputError('no feature shards to read');
  for (const l of layouts) {
    if (
      l.pooledSize !== first.pooledSize ||
      l.gridPositions !== first.gridPositions ||
      l.gridChannels !== first.gridChannels
    )
      throw new InvalidInputError(`${l.file}: feature shape differs from ${first.file}'s`);
  }
  if (options.withGrid && first.gridPositions === 0)
    throw new InvalidInputError(
      `${first.file}: the shards hold no grid, but the decoder has attention (extract again with attention on)`,
    );
  const featureShape = {
    pooledSize: first.pooledSize,
    gridPositions: first.gridPositions,
    gridChannels: first.gridChannels,
  };
  return indexShards(layouts, options, 'features', featureShape);
}

/**
 * Indexes image shards (fine-tuning streams images, not features): `imageSize` is what the encoder takes,
 * `featureShape` what it gives.
 */
export async function buildImageStreamIndex(
  options: IndexOptions & { files: string[]; imageSize: number; featureShape: FeatureShape },
): Promise<StreamIndex> {
  const layouts: ImageShardLayout[] = [];
  for (const file of options.files) layouts.push(await readImageShardLayout(file));
  if (layouts.length === 0) throw new InvalidInputError('no image shards to read');
  for (const l of layouts)
    if (l.size !== options.imageSize)
      throw new InvalidInputError(
        `${l.file}: images are ${l.size} px, the encoder takes ${options.imageSize} px`,
      );
  return indexShards(layouts, options, 'images', options.featureShape);
}

/** The shards training streams: features of a frozen encoder, or images for one that is fine-tuned. */
export type StreamedShards =
  | { source: 'features'; files: string[]; withGrid: boolean }
  | { source: 'images'; files: string[]; imageSize: number; featureShape: FeatureShape };

/** Indexes `shards` with either builder. */
export function indexStreamedShards(shards: StreamedShards, options: IndexOptions): Promise<StreamIndex> {
  return shards.source === 'features'
    ? buildStreamIndex({ ...options, ...shards })
    : buildImageStreamIndex({ ...options, ...shards });
}

function indexShards(
  layouts: Array<{ file: string; ids: readonly string[] }>,
  options: IndexOptions,
  source: StreamIndex['source'],
  featureShape: FeatureShape,
): StreamIndex {
  const T = options.captionLength ?? 0;
  const narrow = (options.vocabSize ?? Infinity) <= 65536;
  // Two passes: count, then fill, so the caption arrays are allocated once at their final size.
  let captionTotal = 0;
  let imageTotal = 0;
  for (const l of layouts)
    for (const id of l.ids) {
      if (options.wanted && !options.wanted.has(id)) continue;
      const c = options.captionsOf?.(id);
      if (options.captionsOf && (!c || c.count === 0)) continue;
      imageTotal += 1;
      captionTotal += c?.count ?? 0;
    }
  const captions = narrow ? new Uint16Array(captionTotal * T) : new Int32Array(captionTotal * T);
  const captionImage = new Int32Array(captionTotal);
  const imageShard = new Int32Array(imageTotal);
  const ids: string[] = [];
  const shards: IndexedShard[] = [];
  let m = 0;
  layouts.forEach((l, s) => {
    const rows: number[] = [];
    const firstImage = ids.length;
    const captionStart = m;
    l.ids.forEach((id, row) => {
      if (options.wanted && !options.wanted.has(id)) return;
      const c = options.captionsOf?.(id);
      if (options.captionsOf && (!c || c.count === 0)) return;
      const image = ids.length;
      ids.push(id);
      rows.push(row);
      imageShard[image] = s;
      if (!c) return;
      if (c.ids.length !== c.count * T)
        throw new InvalidInputError(`captions of ${id}: ${c.ids.length} token ids, expected ${c.count}x${T}`);
      for (let k = 0; k < c.ids.length; k++) {
        const token = c.ids[k];
        if (token < 0 || (options.vocabSize !== undefined && token >= options.vocabSize))
          throw new InvalidInputError(
            `captions of ${id}: token id ${token} outside the vocabulary (${options.vocabSize})`,
          );
        captions[m * T + k] = token;
      }
      for (let k = 0; k < c.count; k++) captionImage[m + k] = image;
      m += c.count;
    });
    shards.push({ file: l.file, rows: Int32Array.from(rows), firstImage, captionStart, captionEnd: m });
  });
  return {
    source,
    shards,
    images: ids.length,
    ids,
    captions,
    captionLength: T,
    captionImage,
    imageShard,
    featureShape,
  };
}
