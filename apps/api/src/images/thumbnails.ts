import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { InvalidInputError, NotFoundError } from '@captioner/core';
import { imagePath, readManifest } from '@captioner/dataset';
import type { DatasetManifest } from '@captioner/dataset';

/** Thumbnail widths the API renders: a fixed set, so a request cannot fill the cache with sizes. */
export const THUMBNAIL_SIZES = [96, 192, 384] as const;
export type ThumbnailSize = (typeof THUMBNAIL_SIZES)[number];

interface CachedManifest {
  mtimeMs: number;
  manifest: DatasetManifest;
  byId: Map<string, DatasetManifest['items'][number]>;
}
const manifests = new Map<string, CachedManifest>();

/** The manifest of a data set, parsed once per change of the file (a gallery asks for dozens of images). */
async function manifestOf(manifestPath: string): Promise<CachedManifest> {
  const { mtimeMs } = await fs.stat(manifestPath);
  const cached = manifests.get(manifestPath);
  if (cached && cached.mtimeMs === mtimeMs) return cached;
  const manifest = await readManifest(manifestPath);
  const entry = { mtimeMs, manifest, byId: new Map(manifest.items.map((item) => [item.id, item])) };
  manifests.set(manifestPath, entry);
  return entry;
}

/**
 * The file of image `imageId` of a data set: looked up in the manifest whose path the database holds, and
 * refused unless its real path (symbolic links resolved) lies inside the manifest's real images directory.
 * Nothing of the request reaches this function but ids that were already found in the database.
 */
export async function datasetImageFile(manifestPath: string, imageId: string): Promise<string> {
  const { manifest, byId } = await manifestOf(manifestPath);
  const item = byId.get(imageId);
  if (!item) throw new NotFoundError(`image ${imageId} is not in the data set's manifest ${manifestPath}`);
  const root = await fs.realpath(manifest.imagesRoot);
  let file: string;
  try {
    file = await fs.realpath(imagePath(manifest, item));
  } catch {
    throw new NotFoundError(`image file of ${imageId} is missing: ${item.file}`);
  }
  if (!file.startsWith(root + path.sep))
    throw new InvalidInputError(`image ${imageId}: ${item.file} is outside the data set's images (${root})`);
  return file;
}

/**
 * A JPEG thumbnail `size` pixels wide of `source`, rendered with sharp on first use and kept in `cacheDir`
 * (named after the source path, its modification time and the size, so a changed image renders again).
 */
export async function thumbnail(source: string, size: ThumbnailSize, cacheDir: string): Promise<Buffer> {
  const { mtimeMs } = await fs.stat(source);
  const key = createHash('sha256').update(`${source}\0${mtimeMs}\0${size}`).digest('hex').slice(0, 32);
  const cached = path.join(cacheDir, `${key}.jpg`);
  try {
    return await fs.readFile(cached);
  } catch {
    // Not rendered yet.
  }
  // Small synthetic images (32 px) are enlarged with nearest neighbour so that shapes stay crisp.
  const { width = size } = await sharp(source).metadata();
  const data = await sharp(source)
    .rotate()
    .resize({ width: size, kernel: width < size ? 'nearest' : 'lanczos3' })
    .jpeg({ quality: 85 })
    .toBuffer();
  await fs.mkdir(cacheDir, { recursive: true });
  const tmp = `${cached}.tmp-${process.pid}`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, cached);
  return data;
}
