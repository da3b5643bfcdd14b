import { createHash } from 'node:crypto';
import os from 'node:os';
import {
  CancelledError,
  CaptionerError,
  InvalidInputError,
  NotFoundError,
  describeError,
  readShardFile,
  writeShardFile,
} from '@captioner/core';
import type { ProgressListener } from '@captioner/core';
import { prepareImage } from './prepare-image';
import { runBounded } from './run-bounded';
import { parsePreprocessSettings } from './settings';
import type { PreprocessSettings } from './settings';
import { shardMetaSchema } from './shard-meta';
import type { FailedImage, ShardMeta } from './shard-meta';

export interface ShardItem {
  /** Image id, unique within the shard; becomes the shard row id. */
  id: string;
  /** Path of the image file. */
  path: string;
}

export interface PreprocessShardOptions {
  items: ShardItem[];
  outFile: string;
  settings: PreprocessSettings;
  /**
   * Images decoded at once. sharp runs each decode on libuv's thread pool (4 threads by default)
   * with its own libvips threads inside, so more than a few in flight only queue.
   * @defaultValue the number of cores, between 1 and 4
   */
  concurrency?: number;
  onProgress?: ProgressListener;
  /** Stops starting new images; the call then rejects with CancelledError and writes nothing. */
  signal?: AbortSignal;
}

/** How many requested images were left out because their file is gone, and because it could not be decoded. */
export interface FailureCounts {
  missing: number;
  unreadable: number;
}

export function countFailures(failed: readonly FailedImage[]): FailureCounts {
  const missing = failed.filter((f) => f.missing).length;
  return { missing, unreadable: failed.length - missing };
}

/** The one-line outcome of a shard, stored as its stage message: what was written and what was left out. */
export function describeShardOutcome(
  result: Pick<PreprocessShardResult, 'written' | 'failed' | 'skipped'>,
): string {
  const { missing, unreadable } = countFailures(result.failed);
  const total = result.written + result.failed.length;
  return `${result.skipped ? 'already complete: ' : ''}${result.written}/${total} images written, ${missing} missing, ${unreadable} unreadable`;
}

export interface PreprocessShardResult {
  outFile: string;
  /** Images in the shard. */
  written: number;
  /** Images left out, with the reason; also recorded in the shard so a skipped re-run returns them. */
  failed: FailedImage[];
  /** True when `outFile` already held this shard and nothing was done. */
  skipped: boolean;
}

/**
 * Bump when the decode rules change (orientation, alpha, colour, resize kernel, crop): shards written
 * under other rules are then redone instead of skipped.
 */
export const PREPROCESS_RULES_VERSION = 1;

/**
 * Preprocesses one shard of images into an image shard (the format of `writeImageShard` in
 * @captioner/dataset, with extra meta). Skips when `outFile` already holds a valid shard of the same
 * items and settings; redoes a missing, partial, corrupt or different one. Broken images are left out
 * and reported in `failed` (missing files flagged `missing`), unless every image of the shard is
 * missing: that is a moved or unmounted data set, not bad images, so it rejects with a permanent
 * NotFoundError naming the first missing file instead of writing an empty shard that only fails
 * training later. Errors that are not the image's fault (I/O errors such as EMFILE or EIO) reject, so
 * the job is retried.
 */
export async function preprocessShard(options: PreprocessShardOptions): Promise<PreprocessShardResult> {
  const { items, outFile, onProgress, signal } = options;
  const settings = parsePreprocessSettings(options.settings);
  checkItems(items, outFile);
  const identity = shardIdentity(items, settings);

  const existing = await readCompleteShard(outFile, items, identity, settings);
  if (existing) {
    onProgress?.({
      fraction: 1,
      message: describeShardOutcome({ ...existing, skipped: true }),
      figures: {
        written: existing.written,
        failed: existing.failed.length,
        ...countFailures(existing.failed),
      },
    });
    return { outFile, written: existing.written, failed: existing.failed, skipped: true };
  }

  const size = settings.imageSize;
  const imageBytes = size * size * 3;
  const pixels = new Uint8Array(items.length * imageBytes);
  const errors: Array<{ error: string; missing: boolean } | undefined> = new Array(items.length);
  const started = performance.now();
  let done = 0;
  const counts: FailureCounts = { missing: 0, unreadable: 0 };
  const concurrency = options.concurrency ?? Math.min(4, Math.max(1, os.availableParallelism()));

  await runBounded(
    items.length,
    concurrency,
    async (index) => {
      try {
        pixels.set(await prepareImage(items[index].path, settings), index * imageBytes);
      } catch (error) {
        // A broken image is the data set's problem, reported and left out; anything else (EMFILE,
        // EIO, out of memory) is the machine's, and fails the shard so it is retried.
        if (!(error instanceof CaptionerError)) throw error;
        const missing = error instanceof NotFoundError;
        errors[index] = { error: describeError(error), missing };
        counts[missing ? 'missing' : 'unreadable']++;
      }
      done++;
      const seconds = (performance.now() - started) / 1000;
      const left = counts.missing + counts.unreadable;
      onProgress?.({
        fraction: done / items.length,
        message: `image ${done}/${items.length}${left ? `, ${counts.missing} missing, ${counts.unreadable} unreadable` : ''}`,
        figures: { done, failed: left, ...counts, imagesPerSecond: seconds > 0 ? done / seconds : 0 },
      });
    },
    signal,
  );
  if (signal?.aborted)
    throw new CancelledError(`preprocessing ${outFile} cancelled after ${done} of ${items.length} images`);

  const failed: FailedImage[] = [];
  const ids: string[] = [];
  let kept = 0;
  items.forEach((item, index) => {
    const failure = errors[index];
    if (failure !== undefined) {
      failed.push({ id: item.id, path: item.path, ...failure });
      return;
    }
    // Compact in place: rows of failed images are closed up, order is kept.
    if (kept !== index) pixels.copyWithin(kept * imageBytes, index * imageBytes, (index + 1) * imageBytes);
    ids.push(item.id);
    kept++;
  });

  checkNotAllMissing(items, failed, outFile);

  const meta: ShardMeta = { size, mean: settings.mean, std: settings.std, ...identity, failed };
  await writeShardFile(outFile, {
    kind: 'images',
    ids,
    meta,
    tensors: {
      pixels: { dtype: 'uint8', shape: [kept, size, size, 3], data: pixels.subarray(0, kept * imageBytes) },
    },
  });
  return { outFile, written: kept, failed, skipped: false };
}

function checkNotAllMissing(items: ShardItem[], failed: FailedImage[], outFile: string): void {
  const missing = failed.filter((f) => f.missing);
  if (items.length === 0 || missing.length < items.length) return;
  throw new NotFoundError(
    `all ${items.length} images of shard ${outFile} are missing, first ${missing[0].path} (moved or unmounted data set?)`,
  );
}

function checkItems(items: ShardItem[], outFile: string): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (!item.id) throw new InvalidInputError(`shard ${outFile}: item ${index} has an empty id`);
    if (!item.path) throw new InvalidInputError(`shard ${outFile}: item ${item.id} has an empty path`);
    if (seen.has(item.id)) throw new InvalidInputError(`shard ${outFile}: duplicate image id ${item.id}`);
    seen.add(item.id);
  });
}

/** What makes two runs produce the same shard: the decode rules, the settings that shape pixels, the items. */
function shardIdentity(
  items: ShardItem[],
  settings: PreprocessSettings,
): Pick<ShardMeta, 'preprocess' | 'itemsSha256'> {
  const hash = createHash('sha256');
  for (const item of items) hash.update(JSON.stringify([item.id, item.path])).update('\n');
  return {
    preprocess: {
      rulesVersion: PREPROCESS_RULES_VERSION,
      imageSize: settings.imageSize,
      resizeShorterTo: settings.resizeShorterTo,
      maxInputPixels: settings.maxInputPixels,
      maxFileBytes: settings.maxFileBytes,
      // Only when not the default, so that shards written before the setting existed stay valid.
      ...(settings.resizeKernel !== 'lanczos3' ? { resizeKernel: settings.resizeKernel } : {}),
    },
    itemsSha256: hash.digest('hex'),
  };
}

/** The shard at `outFile` when it is complete and was made from these items and settings; else undefined. */
async function readCompleteShard(
  outFile: string,
  items: ShardItem[],
  identity: Pick<ShardMeta, 'preprocess' | 'itemsSha256'>,
  settings: PreprocessSettings,
): Promise<{ written: number; failed: FailedImage[] } | undefined> {
  let content;
  try {
    content = await readShardFile(outFile); // verifies length and checksum
  } catch {
    return undefined; // missing, partial or corrupt: redo
  }
  const meta = shardMetaSchema.safeParse(content.meta);
  if (content.kind !== 'images' || !meta.success) return undefined;
  if (meta.data.itemsSha256 !== identity.itemsSha256) return undefined;
  if (JSON.stringify(meta.data.preprocess) !== JSON.stringify(identity.preprocess)) return undefined;
  // Same pixels but another normalization recorded: rewrite, readers would normalize wrongly.
  if (JSON.stringify([meta.data.mean, meta.data.std]) !== JSON.stringify([settings.mean, settings.std]))
    return undefined;
  const failedIds = new Set(meta.data.failed.map((f) => f.id));
  const expectedIds = items.filter((item) => !failedIds.has(item.id)).map((item) => item.id);
  if (JSON.stringify(expectedIds) !== JSON.stringify(content.ids)) return undefined;
  return { written: content.ids.length, failed: meta.data.failed };
}
