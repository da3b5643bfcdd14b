import type { DbClient } from '../client';
import { newId } from '../ids';
import { toJsonColumn } from '../json-columns';

/** Records (or re-records, after a redo) a shard artifact. */
export async function recordShard(
  db: DbClient,
  input: {
    runId: string;
    kind: 'images' | 'features';
    index: number;
    path: string;
    itemCount: number;
    failed: unknown[];
    sha256: string;
    bytes: number;
  },
) {
  const data = {
    path: input.path,
    itemCount: input.itemCount,
    failed: toJsonColumn(input.failed),
    sha256: input.sha256,
    bytes: input.bytes,
  };
  return db.shard.upsert({
    where: { runId_kind_index: { runId: input.runId, kind: input.kind, index: input.index } },
    create: { id: newId('shard'), runId: input.runId, kind: input.kind, index: input.index, ...data },
    update: data,
  });
}

export async function listShards(db: DbClient, runId: string, kind: 'images' | 'features') {
  return db.shard.findMany({ where: { runId, kind }, orderBy: { index: 'asc' } });
}

/** Records a checkpoint; a resumed stage that rewrites the same step updates the row (never twice). */
export async function recordCheckpoint(
  db: DbClient,
  input: {
    runId: string;
    step: number;
    epoch: number;
    kind: 'step' | 'epoch';
    path: string;
    valMetric?: string;
    valScore?: number;
    isBest: boolean;
  },
) {
  return db.$transaction(async (tx) => {
    if (input.isBest)
      await tx.checkpoint.updateMany({ where: { runId: input.runId }, data: { isBest: false } });
    const data = {
      epoch: input.epoch,
      kind: input.kind,
      path: input.path,
      valMetric: input.valMetric ?? null,
      valScore: input.valScore ?? null,
      isBest: input.isBest,
      onDisk: true,
    };
    return tx.checkpoint.upsert({
      where: { runId_step: { runId: input.runId, step: input.step } },
      create: { id: newId('ckpt'), runId: input.runId, step: input.step, ...data },
      update: data,
    });
  });
}

export async function markCheckpointPruned(db: DbClient, runId: string, checkpointPath: string) {
  return db.checkpoint.updateMany({ where: { runId, path: checkpointPath }, data: { onDisk: false } });
}

/** `best`, `last`, or a checkpoint id. Returns null when the run has none on disk. */
export async function findCheckpoint(db: DbClient, runId: string, selector: string) {
  if (selector === 'best') {
    const best = await db.checkpoint.findFirst({ where: { runId, isBest: true, onDisk: true } });
    if (best) return best;
    return db.checkpoint.findFirst({ where: { runId, onDisk: true }, orderBy: { step: 'desc' } });
  }
  if (selector === 'last')
    return db.checkpoint.findFirst({ where: { runId, onDisk: true }, orderBy: { step: 'desc' } });
  return db.checkpoint.findFirst({ where: { runId, id: selector } });
}

/** Stores a metric point; writing the same (run, name, step) again replaces it (resume never duplicates). */
export async function recordMetric(
  db: DbClient,
  input: { runId: string; name: string; step: number; epoch: number; value: number },
) {
  return db.metric.upsert({
    where: { runId_name_step: { runId: input.runId, name: input.name, step: input.step } },
    create: input,
    update: { value: input.value, epoch: input.epoch },
  });
}
