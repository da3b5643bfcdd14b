/**
 * Runs the preprocessing benchmark for 1 and 2 processes and prints images per second:
 *   npx tsx bench.ts [images]      (from packages/preprocessing)
 * The `captioner bench preprocess` command calls benchPreprocess the same way.
 */
import { benchPreprocess } from './src/index';

const images = Number(process.argv[2] ?? 256);
for (const processes of [1, 2]) {
  const result = await benchPreprocess({ images, processes });
  console.log(
    `${result.processes} process(es): ${result.imagesPerSecond.toFixed(1)} images/s (${result.images} images, 500x375 JPEG -> 224x224)`,
  );
}
