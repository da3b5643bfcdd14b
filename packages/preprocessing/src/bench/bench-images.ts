import fs from 'node:fs/promises';
import path from 'node:path';
import { fileExists, writeFileAtomic } from '@captioner/core';
import sharp from 'sharp';
import { seededRandom } from '../seeded-random';

/** The benchmark's images: 500x375 JPEGs, the size of a typical photo in captioning data sets (COCO, Flickr). */
export const BENCH_IMAGE_WIDTH = 500;
export const BENCH_IMAGE_HEIGHT = 375;
/** Bump when the generator changes, so cached images are regenerated. */
const GENERATOR_VERSION = 1;

/**
 * Photo-like content, so JPEG sizes and decode costs are realistic (pure noise would not be): a
 * smooth two-colour gradient, a few coloured discs and boxes, and mild per-pixel noise.
 */
function renderBenchImage(seed: number): Buffer {
  const random = seededRandom(seed);
  const width = BENCH_IMAGE_WIDTH;
  const height = BENCH_IMAGE_HEIGHT;
  const from = [random() * 255, random() * 255, random() * 255];
  const to = [random() * 255, random() * 255, random() * 255];
  const shapes = Array.from({ length: 6 }, () => ({
    disc: random() < 0.5,
    x: random() * width,
    y: random() * height,
    r: 20 + random() * 90,
    colour: [random() * 255, random() * 255, random() * 255],
  }));
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height);
      let colour = [
        from[0] + (to[0] - from[0]) * t,
        from[1] + (to[1] - from[1]) * t,
        from[2] + (to[2] - from[2]) * t,
      ];
      for (const s of shapes) {
        const inside = s.disc
          ? (x - s.x) ** 2 + (y - s.y) ** 2 < s.r * s.r
          : Math.abs(x - s.x) < s.r && Math.abs(y - s.y) < s.r * 0.6;
        if (inside) colour = s.colour;
      }
      const noise = (random() - 0.5) * 24;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) pixels[i + c] = Math.max(0, Math.min(255, Math.round(colour[c] + noise)));
    }
  }
  return pixels;
}

/**
 * Makes sure `workDir` holds `count` benchmark JPEGs and returns their paths. Images are cached: an
 * existing file with the expected name is reused (names carry the generator version and the seed).
 */
export async function ensureBenchImages(
  workDir: string,
  count: number,
  onImage: (done: number) => void = () => {},
): Promise<string[]> {
  await fs.mkdir(workDir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(workDir, `bench-v${GENERATOR_VERSION}-${String(i).padStart(5, '0')}.jpg`);
    if (!(await fileExists(file))) {
      const jpeg = await sharp(renderBenchImage(i + 1), {
        raw: { width: BENCH_IMAGE_WIDTH, height: BENCH_IMAGE_HEIGHT, channels: 3 },
      })
        .jpeg({ quality: 90 })
        .toBuffer();
      await writeFileAtomic(file, jpeg);
    }
    files.push(file);
    onImage(i + 1);
  }
  return files;
}
