import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileExists, sweepStaleTemporaries } from '@captioner/core';
import { createEncoder, loadEncoder, saveEncoder } from '@captioner/model';
import type { ImageEncoder, ModelConfig } from '@captioner/model';

/**
 * The run's encoder: created once (seeded, or from pretrained weights) and saved under the run, so
 * every shard, on every worker, is encoded by the same weights and later stages (export, captioning
 * new images) use them too. Two workers racing to create it write the same seeded weights; the
 * first rename wins and the loser loads the winner's copy.
 */
export async function loadOrCreateRunEncoder(
  encoderDir: string,
  config: ModelConfig['encoder'],
  seed: number,
): Promise<ImageEncoder> {
  if (await fileExists(encoderDir)) return loadEncoder(encoderDir);
  await sweepStaleTemporaries(encoderDir);
  const encoder = await createEncoder(config, seed);
  const temporary = `${encoderDir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  await fs.mkdir(path.dirname(encoderDir), { recursive: true });
  await saveEncoder(encoder, temporary);
  try {
    await fs.rename(temporary, encoderDir);
  } catch {
    // Another worker renamed its encoder into place first (rename onto a non-empty directory fails):
    // use that one. Any other cause resurfaces as loadEncoder's NotFoundError.
    await fs.rm(temporary, { recursive: true, force: true });
    encoder.dispose();
    return loadEncoder(encoderDir);
  }
  return encoder;
}
