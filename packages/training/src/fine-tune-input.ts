import { InvalidInputError } from '@captioner/core';
import { listShards } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { readImageSet } from '@captioner/dataset';
import { loadEncoder } from '@captioner/model';
import type { FineTuneEncoder, FineTuneInput } from './loop/types';
import type { FineTuneAugment } from './augment/batch-plan';

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** The run's image shards, in the order preprocessing wrote them (what fine-tuning reads). */
async function runImageShards(db: DbClient, runId: string): Promise<string[]> {
  const shardFiles = (await listShards(db, runId, 'images')).map((s) => s.path);
  if (shardFiles.length === 0)
    throw new InvalidInputError(`run ${runId}: no image shards recorded (encoder.trainable reads them)`);
  return shardFiles;
}

/**
 * What streamed fine-tuning needs of a run: its saved (initial) encoder and the image shards to stream.
 */
export async function loadRunFineTuneEncoder(
  db: DbClient,
  runId: string,
  encoderDir: string,
  augment?: FineTuneAugment,
): Promise<{ fineTune: FineTuneEncoder; imageShards: string[] }> {
  const imageShards = await runImageShards(db, runId);
  const encoder = await loadEncoder(encoderDir);
  return { fineTune: { encoder, ...(augment ? { augment } : {}) }, imageShards };
}

/**
 * What `encoder.trainable` trains from when the images are held in memory (self-critical training samples
 * from any of them): the run's saved (initial) encoder and the normalised images of the
 * train and val splits, read from the run's image shards in the row order of its feature sets. The images
 * are held in memory as float32 (S*S*3*4 bytes each).
 */
export async function loadRunFineTuneInput(
  db: DbClient,
  runId: string,
  encoderDir: string,
  rows: { train: string[]; val: string[] },
  augment?: FineTuneAugment,
): Promise<FineTuneInput> {
  const shardFiles = await runImageShards(db, runId);
  const train = await readImageSet(shardFiles, new Set(rows.train));
  const val = await readImageSet(shardFiles, new Set(rows.val));
  if (!sameIds(train.ids, rows.train) || !sameIds(val.ids, rows.val)) {
    throw new InvalidInputError(
      `run ${runId}: the image shards do not hold the images of the feature shards in the same order`,
    );
  }
  const encoder = await loadEncoder(encoderDir);
  if (encoder.config.imageSize !== train.size) {
    encoder.dispose();
    throw new InvalidInputError(
      `run ${runId}: image shards are ${train.size} px, the encoder takes ${encoder.config.imageSize} px`,
    );
  }
  return { encoder, trainImages: train.images, valImages: val.images, ...(augment ? { augment } : {}) };
}
