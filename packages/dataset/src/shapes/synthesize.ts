import fs from 'node:fs/promises';
import path from 'node:path';
import type { ProgressListener } from '@captioner/core';
import { InvalidInputError, ignoreProgress } from '@captioner/core';
import sharp from 'sharp';
import type { DatasetManifest, ManifestItem, Split } from '../manifest';
import { writeManifest } from '../manifest';
import { SeededRandom } from '@captioner/core';
import { captionScene } from './captions';
import { rasterize } from './raster';
import { randomScene } from './scene';
import { sceneOf } from './scene-record';
import type { Shape } from './scene';

export interface SynthesizeShapesOptions {
  /** Directory to write `images/*.png` and `manifest.json` into. */
  outDir: string;
  /** Number of images. */
  images: number;
  /** PRNG seed: the same seed (and size) gives byte-identical files. */
  seed: number;
  /** Image side in pixels. @defaultValue 96 */
  imageSize?: number;
  onProgress?: ProgressListener;
}

/** Images encoded at once: sharp encodes on libuv's pool (4 threads by default). */
const ENCODE_CONCURRENCY = 4;

/** 80/10/10, by position: images are independent draws, so the first 80 % are as random as any 80 %. */
function splitOf(index: number, total: number): Split {
  const val = Math.round(total * 0.1);
  const test = Math.round(total * 0.1);
  if (index < total - val - test) return 'train';
  return index < total - test ? 'val' : 'test';
}

/**
 * Writes the synthetic "shapes" data set: `outDir/images/shapes-NNNNNN.png` and `outDir/manifest.json`
 * (`imagesRoot: "images"`, relative to the manifest). The manifest is written last, so its presence
 * means the data set is complete.
 */
export async function synthesizeShapes(
  options: SynthesizeShapesOptions,
): Promise<{ manifestFile: string; manifest: DatasetManifest }> {
  const { outDir, images, seed } = options;
  const imageSize = options.imageSize ?? 96;
  const onProgress = options.onProgress ?? ignoreProgress;
  if (!Number.isInteger(images) || images < 1)
    throw new InvalidInputError(`shapes: images must be a positive integer, got ${images}`);
  if (!Number.isInteger(imageSize) || imageSize < 24)
    throw new InvalidInputError(`shapes: imageSize must be an integer >= 24, got ${imageSize}`);
  if (!Number.isInteger(seed)) throw new InvalidInputError(`shapes: seed must be an integer, got ${seed}`);

  const imagesDir = path.join(outDir, 'images');
  await fs.mkdir(imagesDir, { recursive: true });
  const rng = new SeededRandom(seed);
  const digits = Math.max(6, String(images - 1).length);
  // Scenes and captions are drawn in order from one PRNG (deterministic); encoding runs concurrently.
  const items: ManifestItem[] = [];
  const scenes: Shape[][] = [];
  for (let i = 0; i < images; i++) {
    const shapes = randomScene(rng, imageSize);
    const id = `shapes-${String(i).padStart(digits, '0')}`;
    items.push({
      id,
      file: `${id}.png`,
      split: splitOf(i, images),
      captions: captionScene(rng, shapes),
      scene: sceneOf(shapes),
    });
    scenes.push(shapes);
  }

  let next = 0;
  let done = 0;
  const every = Math.max(1, Math.floor(images / 100));
  const worker = async (): Promise<void> => {
    while (next < images) {
      const i = next++;
      const png = await sharp(rasterize(scenes[i], imageSize), {
        raw: { width: imageSize, height: imageSize, channels: 3 },
      })
        .png({ compressionLevel: 9 })
        .toBuffer();
      await fs.writeFile(path.join(imagesDir, items[i].file), png);
      done++;
      if (done % every === 0 || done === images)
        onProgress({ fraction: done / images, message: `image ${done}/${images}` });
    }
  };
  await Promise.all(Array.from({ length: Math.min(ENCODE_CONCURRENCY, images) }, worker));

  const manifest: DatasetManifest = {
    formatVersion: 1,
    name: `shapes-${seed}-${images}`,
    source: { format: 'shapes', path: '.', params: { seed, images, imageSize } },
    imagesRoot: 'images',
    items,
  };
  const manifestFile = path.join(outDir, 'manifest.json');
  await writeManifest(manifestFile, manifest);
  return { manifestFile, manifest: { ...manifest, imagesRoot: path.resolve(imagesDir) } };
}
