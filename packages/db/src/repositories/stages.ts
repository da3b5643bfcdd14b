import type { DbClient } from '../client';
import { newId } from '../ids';
import { toJsonColumn } from '../json-columns';

export const STAGE_KINDS = ['preprocess', 'extract', 'train', 'evaluate'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];
export type StageStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Whole-run stages (train, evaluate) use this shard number. */
export const WHOLE_RUN = -1;

export interface StageKey {
  runId: string;
  stage: StageKind;
  shard: number;
}

const whereKey = (key: StageKey) => ({
  runId_stage_shard: { runId: key.runId, stage: key.stage, shard: key.shard },
});

/** Creates the stage rows of a run up front (pending), so progress is visible before work starts. */
export async function createStageRuns(db: DbClient, keys: StageKey[]) {
  for (const key of keys) {
    await db.stageRun.upsert({
      where: whereKey(key),
      create: { id: newId('stage'), ...key },
      update: {},
    });
  }
}

/** Marks a stage running and counts the attempt. */
export async function startStage(db: DbClient, key: StageKey, workerId: string) {
  return db.stageRun.upsert({
    where: whereKey(key),
    create: { id: newId('stage'), ...key, status: 'running', attempts: 1, workerId, startedAt: new Date() },
    update: { status: 'running', attempts: { increment: 1 }, workerId, startedAt: new Date(), error: null },
  });
}

export async function updateStageProgress(
  db: DbClient,
  key: StageKey,
  progress: { fraction: number; message?: string; figures?: Record<string, number> },
) {
  return db.stageRun.update({
    where: whereKey(key),
    data: {
      progress: Math.max(0, Math.min(1, progress.fraction)),
      message: progress.message ?? null,
      figures: progress.figures ? toJsonColumn(progress.figures) : undefined,
    },
  });
}

export async function finishStage(
  db: DbClient,
  key: StageKey,
  status: Exclude<StageStatus, 'running'>,
  error?: string,
) {
  return db.stageRun.update({
    where: whereKey(key),
    data: {
      status,
      error: error ?? null,
      finishedAt: new Date(),
      ...(status === 'succeeded' ? { progress: 1 } : {}),
    },
  });
}

export async function getStage(db: DbClient, key: StageKey) {
  return db.stageRun.findUnique({ where: whereKey(key) });
}

export async function listStages(db: DbClient, runId: string) {
  return db.stageRun.findMany({ where: { runId }, orderBy: [{ stage: 'asc' }, { shard: 'asc' }] });
}
