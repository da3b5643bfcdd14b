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
  shards: number;
  shardBytes: number;
  peakRssBytes: number;
  tokensPerSecond: number;
}

const RESNET50 = { pooledSize: 2048, gridPositions: 49, gridChannels: 2048 };
const child = fileURLToPath(new URL('./bench-scale-child.ts', import.meta.url));

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
  for (const captions of o.sizes) {
    const trainImages = Math.ceil(captions / o.captionsPerImage);
    const valImages = Math.min(250, trainImages);
    const base = o.tmpDir ?? os.tmpdir();
    const need = (trainImages + valImages) * imageBytes;
    const stats = await fs.statfs(base);
    const free = stats.bavail * stats.bsize;
    if (free - need < o.keepFreeBytes)
      throw new InvalidInputError(
        `bench scale: ${captions} captions need ${(need / 1e9).toFixed(1)} GB of shards in ${base}, which has ${(free / 1e9).toFixed(1)} GB free (keeping ${(o.keepFreeBytes / 1e9).toFixed(0)} GB); use float16, more captions per image or smaller sizes`,
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
      onProgress?.({
        fraction: 1,
        message: `${captions} captions: training ${o.warmupSteps + o.steps} steps`,
      });
      const result = await runChild({
        dir,
        batchSize: o.batchSize,
        steps: o.steps,
        warmupSteps: o.warmupSteps,
        captionsPerImage: o.captionsPerImage,
        captionWords: 14,
        vocabSize: 10_000,
        input: {},
        backend: process.env.CAPTIONER_BACKEND as ScaleChildArgs['backend'],
      });
      rows.push({
        captions,
        images: trainImages,
        shards: written.files.length,
        shardBytes: written.bytes,
        peakRssBytes: result.peakRssBytes,
        tokensPerSecond: result.tokensPerSecond,
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  return { rows, settings: o };
}

function runChild(args: ScaleChildArgs): Promise<{ peakRssBytes: number; tokensPerSecond: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(args)], {
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
      else
        reject(
          new Error(
            `bench scale: training process exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`,
          ),
        );
    });
  });
}
