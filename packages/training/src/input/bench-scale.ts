import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InvalidInputError } from '@captioner/core';
import type { ProgressListener } from '@captioner/core';
import { writeSyntheticShards } from './bench-scale-data';
import type { ScaleChildArgs } from './bench-scale-data';

/** `captioner bench scale` settings. */
export const benchScaleOptionsSchema = z.object({
  /** Training captions of each measured data set. @defaultValue [10000, 100000, 600000] */
  sizes: z.array(z.number().int().positive()).default([10_000, 100_000, 600_000]),
  /** 5, as COCO and Flickr: 600k captions are 120k images. @defaultValue 5 */
  captionsPerImage: z.number().int().positive().default(5),
  /**
   * Train images of every size, instead of `captions / captionsPerImage`: the shards are then written once
   * and each size only has more captions per image (for disks too slow or small for 120k images).
   */
  images: z.number().int().positive().optional(),
  /** As preprocessing's default `shardSize`. @defaultValue 256 */
  imagesPerShard: z.number().int().positive().default(256),
  /** Grid stored as float16 (half the disk: 600k captions are ~24 GB instead of ~48 GB). @defaultValue true */
  float16: z.boolean().default(true),
  /** Timed training steps per size, after `warmupSteps`. @defaultValue 30 */
  steps: z.number().int().positive().default(30),
  /** @defaultValue 5 */
  warmupSteps: z.number().int().nonnegative().default(5),
  /** @defaultValue 32 */
  batchSize: z.number().int().positive().default(32),
  /** Where the temporary shard directory goes. @defaultValue os.tmpdir() */
  tmpDir: z.string().optional(),
  /** Free space to leave on the temporary directory's disk. @defaultValue 10 GB */
  keepFreeBytes: z.number().nonnegative().default(10e9),
});
export type BenchScaleOptions = z.input<typeof benchScaleOptionsSchema>;

export interface BenchScaleRow {
  captions: number;
  images: number;
  captionsPerImage: number;
  shards: number;
  shardBytes: number;
  peakRssBytes: number;
  tokensPerSecond: number;
}

const RESNET50 = { pooledSize: 2048, gridPositions: 49, gridChannels: 2048 };
// Built, this module is bundled into dist/index.js and the child is dist/bench-scale-child.js (an extra
// entry of the build); from source it is the .ts file, run through tsx.
const built = import.meta.url.endsWith('.js');
const child = fileURLToPath(
  new URL(built ? './bench-scale-child.js' : './bench-scale-child.ts', import.meta.url),
);
const childArgs = built ? [child] : ['--import', 'tsx', child];

/**
 * For each size: writes synthetic ResNet-50-sized feature shards (7x7x2048 grid + 2048 pooled) to a
 * temporary directory, trains an attention decoder on them in a child process (streamed, default
 * `training.input`) and reads its peak RSS and tokens/s; the directory is removed after each size, also on
 * failure.
 */
export async function benchScale(
  options: BenchScaleOptions = {},
  onProgress?: ProgressListener,
): Promise<{ rows: BenchScaleRow[]; settings: z.output<typeof benchScaleOptionsSchema> }> {
  const o = benchScaleOptionsSchema.parse(options);
  const rows: BenchScaleRow[] = [];
  const imageBytes =
    RESNET50.pooledSize * 4 + RESNET50.gridPositions * RESNET50.gridChannels * (o.float16 ? 2 : 4);
  const base = o.tmpDir ?? os.tmpdir();
  let shared: { dir: string; files: string[]; bytes: number } | undefined;
  try {
    for (const captions of o.sizes) {
      const trainImages = o.images ?? Math.ceil(captions / o.captionsPerImage);
      const captionsPerImage = Math.ceil(captions / trainImages);
      const shards = shared ?? (await writeShards(o, base, captions, trainImages, imageBytes, onProgress));
      if (o.images) shared = shards;
      try {
        onProgress?.({
          fraction: 1,
          message: `${captions} captions: training ${o.warmupSteps + o.steps} steps`,
        });
        const result = await runChild({
          dir: shards.dir,
          batchSize: o.batchSize,
          steps: o.steps,
          warmupSteps: o.warmupSteps,
          captionsPerImage,
          captionWords: 14,
          vocabSize: 10_000,
          input: {},
          backend: process.env.CAPTIONER_BACKEND as ScaleChildArgs['backend'],
        });
        rows.push({
          captions: trainImages * captionsPerImage,
          images: trainImages,
          captionsPerImage,
          shards: shards.files.length,
          shardBytes: shards.bytes,
          peakRssBytes: result.peakRssBytes,
          tokensPerSecond: result.tokensPerSecond,
        });
      } finally {
        if (!shared) await fs.rm(shards.dir, { recursive: true, force: true });
      }
    }
  } finally {
    if (shared) await fs.rm(shared.dir, { recursive: true, force: true });
  }
  return { rows, settings: o };
}

/** Writes one size's shards into a new temporary directory (removed by the caller; here on failure). */
async function writeShards(
  o: z.output<typeof benchScaleOptionsSchema>,
  base: string,
  captions: number,
  trainImages: number,
  imageBytes: number,
  onProgress?: ProgressListener,
): Promise<{ dir: string; files: string[]; bytes: number }> {
  const valImages = Math.min(250, trainImages);
  const need = (trainImages + valImages) * imageBytes;
  const stats = await fs.statfs(base);
  const free = stats.bavail * stats.bsize;
  if (free - need < o.keepFreeBytes)
    throw new InvalidInputError(
      `bench scale: ${captions} captions need ${(need / 1e9).toFixed(1)} GB of shards in ${base}, which has ${(free / 1e9).toFixed(1)} GB free (keeping ${(o.keepFreeBytes / 1e9).toFixed(0)} GB); use float16, --images or smaller sizes`,
    );
  const dir = await fs.mkdtemp(path.join(base, 'captioner-bench-scale-'));
  try {
    const written = await writeSyntheticShards({
      dir,
      trainImages,
      valImages,
      imagesPerShard: o.imagesPerShard,
      ...RESNET50,
      float16: o.float16,
      onShard: (done, total) =>
        onProgress?.({ fraction: done / total, message: `${captions} captions: shard ${done}/${total}` }),
    });
    return { dir, ...written };
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function runChild(args: ScaleChildArgs): Promise<{ peakRssBytes: number; tokensPerSecond: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...childArgs, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{'))
        resolve(JSON.parse(line) as { peakRssBytes: number; tokensPerSecond: number });
      else reject(new Error(`bench scale: training process exited with ${code}: ${firstErrorLine(stderr)}`));
    });
  });
}

/** The line of a child's stderr that says what failed (Node ends it with its version, which does not). */
function firstErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((line) => /error/i.test(line)) ?? lines.pop() ?? '';
}
