import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  CorruptArtifactError,
  NotFoundError,
  readShardFile,
  writeJsonAtomic,
  writeShardFile,
} from '@captioner/core';
import type { ShardTensor } from '@captioner/core';
import { featureShapeSchema, savedModelConfigSchema } from '../config';
import type { FeatureShape, ModelConfig } from '../config';

/** `checkpoint.json`: what a checkpoint holds besides tensors. Written last, inside the atomic rename. */
export const checkpointMetaSchema = z.object({
  formatVersion: z.literal(1),
  modelConfig: savedModelConfigSchema,
  featureShape: featureShapeSchema,
  vocabSize: z.number().int().positive(),
  /** Optimizer steps taken. */
  step: z.number().int().nonnegative(),
  /** Completed epochs (an epoch-end checkpoint has `epoch` = the number of finished epochs). */
  epoch: z.number().int().nonnegative(),
  /** Free-form training state (data cursor, RNG seed, best score, ...), owned by the training loop. */
  training: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.string(),
});
export type CheckpointMeta = z.infer<typeof checkpointMetaSchema>;

/** The checkpoint's metadata file (JSON), next to its tensors. */
export const CHECKPOINT_META_FILE = 'checkpoint.json';
const META_FILE = CHECKPOINT_META_FILE;
const TENSOR_FILE = 'tensors.shard';

/** Tensors by name: `decoder/<param>`, `norm/<stat>`, `optimizer/<slot>/<param>`. */
export type NamedArrays = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * Writes a checkpoint directory atomically: everything goes into a temporary sibling directory that is
 * renamed into place, so a crash never leaves a partial directory under the final name.
 */
export async function writeCheckpointDir(
  dir: string,
  meta: Omit<CheckpointMeta, 'formatVersion' | 'createdAt'>,
  tensors: NamedArrays,
): Promise<void> {
  const parent = path.dirname(dir);
  await fs.mkdir(parent, { recursive: true });
  const temporary = path.join(parent, `.${path.basename(dir)}.partial-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(temporary);
  const shardTensors: Record<string, ShardTensor> = {};
  for (const [name, t] of Object.entries(tensors))
    shardTensors[name] = { dtype: 'float32', shape: t.shape, data: t.data };
  await writeShardFile(path.join(temporary, TENSOR_FILE), {
    kind: 'checkpoint',
    ids: [],
    tensors: shardTensors,
    meta: {},
  });
  const full: CheckpointMeta = { formatVersion: 1, createdAt: new Date().toISOString(), ...meta };
  await writeJsonAtomic(path.join(temporary, META_FILE), full);
  // Replacing an existing checkpoint of the same step (a resumed run re-saving it): move the old one aside first.
  let aside: string | undefined;
  try {
    await fs.access(dir);
    aside = path.join(parent, `.${path.basename(dir)}.old-${randomBytes(4).toString('hex')}`);
    await fs.rename(dir, aside);
  } catch {
    // no previous checkpoint of that name
  }
  await fs.rename(temporary, dir);
  if (aside) await fs.rm(aside, { recursive: true, force: true });
}

/** Reads and verifies a checkpoint directory. */
export async function readCheckpointDir(
  dir: string,
): Promise<{ meta: CheckpointMeta; tensors: NamedArrays }> {
  const metaFile = path.join(dir, META_FILE);
  let text: string;
  try {
    text = await fs.readFile(metaFile, 'utf8');
  } catch {
    throw new NotFoundError(`no checkpoint at ${dir} (missing ${META_FILE})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CorruptArtifactError(`${metaFile}: not valid JSON`);
  }
  const parsed = checkpointMetaSchema.safeParse(json);
  if (!parsed.success)
    throw new CorruptArtifactError(
      `${metaFile}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`,
    );
  const shardFile = path.join(dir, TENSOR_FILE);
  try {
    await fs.access(shardFile);
  } catch {
    throw new CorruptArtifactError(`checkpoint ${dir} has no ${TENSOR_FILE}`);
  }
  const shard = await readShardFile(shardFile);
  const tensors: NamedArrays = {};
  for (const [name, t] of Object.entries(shard.tensors))
    tensors[name] = { shape: t.shape, data: t.data as Float32Array };
  return { meta: parsed.data, tensors };
}

/** True when `dir` holds a complete checkpoint (its metadata is present; the rename makes that atomic). */
export async function isCheckpointDir(dir: string): Promise<boolean> {
  try {
    await fs.access(path.join(dir, META_FILE));
    await fs.access(path.join(dir, TENSOR_FILE));
    return true;
  } catch {
    return false;
  }
}

export type { FeatureShape, ModelConfig };
