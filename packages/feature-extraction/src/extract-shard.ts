import { CancelledError, readShardFile, toFloat16 } from '@captioner/core';
import type { ProgressListener, ShardHeader } from '@captioner/core';
import { normalizeImages, readImageShard, writeFeatureShard } from '@captioner/dataset';
import type { GridStorage } from '@captioner/dataset';
import type { FeatureEncoder } from '@captioner/model';

/** Images encoded per forward pass. */
export const EXTRACT_BATCH_SIZE = 32;

async function isCompleteFor(featureFile: string, imagesSha256: string, grid: GridStorage): Promise<boolean> {
  try {
    const existing = await readShardFile(featureFile);
    return (
      existing.kind === 'features' &&
      existing.meta.imagesSha256 === imagesSha256 &&
      (existing.meta.grid ?? 'float32') === grid
    );
  } catch {
    return false; // missing, partial or corrupt: extracted again, which overwrites it
  }
}

/**
 * Encodes one image shard into a feature shard (`pooled` [n, D] and, unless `grid` is `none`, `grid`
 * [n, G, C] as float32 or float16). Skips when the feature shard already exists for the same image shard
 * (matched by its checksum) and grid storage; a partial or corrupt one is redone.
 */
export async function extractFeatureShard(options: {
  imageFile: string;
  featureFile: string;
  encoder: FeatureEncoder;
  encoderName: string;
  /** The engine that runs `encoder` ('onnx (cpu)', 'tfjs', ...), recorded in the shard's meta. */
  engine?: string;
  /** What the decoder will read of the grid: nothing (no attention), float32 or float16. @defaultValue 'float32' */
  grid?: GridStorage;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}): Promise<{ header: ShardHeader; skipped: boolean; count: number }> {
  const images = await readImageShard(options.imageFile);
  const { header: imageHeader } = await readShardFile(options.imageFile);
  const storage = options.grid ?? 'float32';
  if (await isCompleteFor(options.featureFile, imageHeader.sha256, storage)) {
    const { header } = await readShardFile(options.featureFile);
    return { header, skipped: true, count: header.ids.length };
  }
  const { encoder } = options;
  const n = images.ids.length;
  const pixelsPerImage = images.size * images.size * 3;
  const pooled = new Float32Array(n * encoder.pooledSize);
  const gridSize = storage === 'none' ? 0 : encoder.gridPositions * encoder.gridChannels;
  const grid = new Float32Array(n * gridSize);
  const started = Date.now();
  for (let start = 0; start < n; start += EXTRACT_BATCH_SIZE) {
    if (options.signal?.aborted) throw new CancelledError('feature extraction stopped');
    const count = Math.min(EXTRACT_BATCH_SIZE, n - start);
    const batch = normalizeImages(
      images.pixels.subarray(start * pixelsPerImage, (start + count) * pixelsPerImage),
      images.mean,
      images.std,
    );
    const features = await encoder.encode(batch, count);
    pooled.set(features.pooled, start * encoder.pooledSize);
    if (gridSize > 0) grid.set(features.grid, start * gridSize);
    const done = start + count;
    const seconds = (Date.now() - started) / 1000;
    options.onProgress?.({
      fraction: done / n,
      message: `${done}/${n} images`,
      figures: { imagesPerSecond: done / Math.max(seconds, 1e-3) },
    });
    // Let timers (lock renewal, progress output) run between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const header = await writeFeatureShard(options.featureFile, {
    ids: images.ids,
    pooled,
    grid: storage === 'float16' ? toFloat16(grid) : grid,
    pooledSize: encoder.pooledSize,
    gridPositions: gridSize > 0 ? encoder.gridPositions : 0,
    gridChannels: gridSize > 0 ? encoder.gridChannels : 0,
    meta: {
      encoder: options.encoderName,
      imagesSha256: imageHeader.sha256,
      grid: storage,
      ...(options.engine ? { engine: options.engine } : {}),
    },
  });
  return { header, skipped: false, count: n };
}
