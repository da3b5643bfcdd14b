import type { DbClient } from '../client';
import { newId } from '../ids';
import { STAGE_TRANSITIONS, checkTransitionWritten, statesLeadingTo } from '../state-machines';
import type { StageStatus } from '../state-machines';
import { toJsonColumn } from '../json-columns';

export const STAGE_KINDS = ['preprocess', 'extract', 'train', 'evaluate'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/** Whole-run stages (train, evaluate) use this shard number. */
export const WHOLE_RUN = -1;

export interface StageKey {
  runId: string;
  stage: StageKind;
  shard: number;
}

/**
 * Stage rows in pipeline order (preprocess, extract, train, evaluate), then by shard. Sorted here
 * rather than by the database: stage names sort alphabetically there (evaluate first).
 */
export function inPipelineOrder<T extends { stage: string; shard: number }>(stages: T[]): T[] {
  const rank = (stage: string) => {
    const index = (STAGE_KINDS as readonly string[]).indexOf(stage);
    return index < 0 ? STAGE_KINDS.length : index;
  };
  return [...stages].sort((a, b) => rank(a.stage) - rank(b.stage) || a.shard - b.shard);
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

const describeKey = (key: StageKey) => `${key.runId}/${key.stage}${key.shard >= 0 ? `/${key.shard}` : ''}`;

async function readStageStatus(db: DbClient, key: StageKey) {
  return (await db.stageRun.findUnique({ where: whereKey(key), select: { status: true } }))?.status;
}

/** Marks a stage running and counts the attempt (a retry or a takeover counts again). */
export async function startStage(db: DbClient, key: StageKey, workerId: string): Promise<void> {
  const { count } = await db.stageRun.updateMany({
    where: { ...key, status: { in: statesLeadingTo(STAGE_TRANSITIONS, 'running') } },
    data: {
      status: 'running',
      attempts: { increment: 1 },
      workerId,
      startedAt: new Date(),
      error: null,
      finishedAt: null,
    },
  });
  await checkTransitionWritten('stage', describeKey(key), 'running', count, () => readStageStatus(db, key));
}

/**
 * Stores a running stage's progress. A late report from a stage that has meanwhile finished or was
 * handed back (cancel, shutdown) is dropped: it must not change a finished row.
 */
export async function updateStageProgress(
  db: DbClient,
  key: StageKey,
  progress: { fraction: number; message?: string; figures?: Record<string, number> },
): Promise<void> {
  await db.stageRun.updateMany({
    where: { ...key, status: 'running' },
    data: {
      progress: Math.max(0, Math.min(1, progress.fraction)),
      message: progress.message ?? null,
      figures: progress.figures ? toJsonColumn(progress.figures) : undefined,
    },
  });
}

/**
 * Ends a stage attempt: `succeeded`, `failed`, `cancelled`, or `pending` (handed back to the queue
 * by a graceful stop), if the stage's state machine allows it; otherwise IllegalTransitionError.
 */
export async function finishStage(
  db: DbClient,
  key: StageKey,
  status: Exclude<StageStatus, 'running'>,
  error?: string,
): Promise<void> {
  const { count } = await db.stageRun.updateMany({
    where: { ...key, status: { in: statesLeadingTo(STAGE_TRANSITIONS, status) } },
    data: {
      status,
      error: error ?? null,
      finishedAt: status === 'pending' ? null : new Date(),
      ...(status === 'succeeded' ? { progress: 1 } : {}),
    },
  });
  await checkTransitionWritten('stage', describeKey(key), status, count, () => readStageStatus(db, key));
}

/** Cancels a run's stages that have not finished (pending, running); finished ones keep their status. */
export async function cancelUnfinishedStages(db: DbClient, runId: string, reason: string): Promise<void> {
  await db.stageRun.updateMany({
    where: { runId, status: { in: statesLeadingTo(STAGE_TRANSITIONS, 'cancelled') } },
    data: { status: 'cancelled', error: reason, finishedAt: new Date() },
  });
}

/**
 * For `run resume`: stages that failed, were cancelled, or were left running by a process that died
 * go back to pending; succeeded ones stay (they are skipped).
 */
export async function reopenUnfinishedStages(db: DbClient, runId: string): Promise<void> {
  await db.stageRun.updateMany({
    where: { runId, status: { in: ['failed', 'cancelled', 'running'] } },
    data: { status: 'pending', error: null, finishedAt: null },
  });
}

export async function getStage(db: DbClient, key: StageKey) {
  return db.stageRun.findUnique({ where: whereKey(key) });
}

export async function listStages(db: DbClient, runId: string) {
  return inPipelineOrder(await db.stageRun.findMany({ where: { runId } }));
}
