import sharp from 'sharp';
import { imagePath, normalizeImages, splitItems } from '@captioner/dataset';
import type { DatasetManifest } from '@captioner/dataset';

/**
 * One split of a synthesized shapes data set for the measurement scripts: its items, their images
 * resized to `size` (no crop, as the demo does) and normalised, and their scenes.
 */
export async function loadShapesSplit(data: DatasetManifest, split: 'train' | 'val' | 'test', size: number) {
  const items = splitItems(data, split);
  const pixels = new Uint8Array(items.length * size * size * 3);
  for (let i = 0; i < items.length; i++) {
    const raw = await sharp(imagePath(data, items[i]))
      .removeAlpha()
      .resize(size, size, { fit: 'fill' })
      .raw()
      .toBuffer();
    pixels.set(raw, i * size * size * 3);
  }
  return { items, images: normalizeImages(pixels), scenes: items.map((item) => item.scene!) };
}
