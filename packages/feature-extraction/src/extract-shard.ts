import { CancelledError, readShardFile } from '@captioner/core';
import type { ProgressListener, ShardHeader } from '@captioner/core';
import { normalizeImages, readImageShard, writeFeatureShard } from '@captioner/dataset';
import type { FeatureEncoder } from '@captioner/model';

/** Images encoded per forward pass. */
export const EXTRACT_BATCH_SIZE = 32;

async function isCompleteFor(featureFile: string, imagesSha256: string): Promise<boolean> {
  try {
    const existing = await readShardFile(featureFile);
    return existing.kind === 'features' && existing.meta.imagesSha256 === imagesSha256;
  } catch {
    return false; // missing, partial or corrupt: extracted again, which overwrites it
  }
}

/**
 * Encodes one image shard into a feature shard (`pooled` [n, D], `grid` [n, G, C]). Skips when the
 * feature shard already exists for the same image shard (matched by its checksum); a partial or
 * corrupt one is redone.
 */
export async function extractFeatureShard(options: {
  imageFile: string;
  featureFile: string;
  encoder: FeatureEncoder;
  encoderName: string;
  /** The engine that runs `encoder` ('onnx (cpu)', 'tfjs', ...), recorded in the shard's meta. */
  engine?: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}): Promise<{ header: ShardHeader; skipped: boolean; count: number }> {
  const images = await readImageShard(options.imageFile);
  const { header: imageHeader } = await readShardFile(options.imageFile);
  if (await isCompleteFor(options.featureFile, imageHeader.sha256)) {
    const { header } = await readShardFile(options.featureFile);
    return { header, skipped: true, count: header.ids.length };
  }
  const { encoder } = options;
  const n = images.ids.length;
  const pixelsPerImage = images.size * images.size * 3;
  const pooled = new Float32Array(n * encoder.pooledSize);
  const grid = new Float32Array(n * encoder.gridPositions * encoder.gridChannels);
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
    grid.set(features.grid, start * encoder.gridPositions * encoder.gridChannels);
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
    grid,
    pooledSize: encoder.pooledSize,
    gridPositions: encoder.gridPositions,
    gridChannels: encoder.gridChannels,
    meta: {
      encoder: options.encoderName,
      imagesSha256: imageHeader.sha256,
      ...(options.engine ? { engine: options.engine } : {}),
    },
  });
  return { header, skipped: false, count: n };
}
