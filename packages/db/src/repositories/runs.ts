import { NotFoundError } from '@captioner/core';
import type { DbClient } from '../client';
import { newId } from '../ids';
import {
  RUN_TRANSITIONS,
  checkTransitionWritten,
  isFinishedRunStatus,
  statesLeadingTo,
} from '../state-machines';
import type { RunStatus } from '../state-machines';
import { inPipelineOrder } from './stages';
import { settleSweepOfRun } from './sweeps';
import { readRunConfig, toJsonColumn } from '../json-columns';

export async function createRun(
  db: DbClient,
  input: {
    datasetId: string;
    name?: string;
    config: unknown;
    executor: 'local' | 'bullmq';
    sweepId?: string;
  },
) {
  return db.run.create({
    data: {
      id: newId('run'),
      datasetId: input.datasetId,
      name: input.name,
      config: toJsonColumn(input.config),
      executor: input.executor,
      sweepId: input.sweepId,
    },
  });
}

export async function getRun(db: DbClient, runId: string) {
  const run = await db.run.findUnique({ where: { id: runId }, include: { dataset: true } });
  if (!run) throw new NotFoundError(`run not found: ${runId}`);
  return run;
}

/** Everything `run show` prints: stages, checkpoints, latest metrics, evaluations. */
export async function getRunDetails(db: DbClient, runId: string) {
  const run = await db.run.findUnique({
    where: { id: runId },
    include: {
      dataset: { select: { id: true, name: true } },
      stages: true,
      checkpoints: { orderBy: { step: 'asc' } },
      evaluations: { orderBy: { createdAt: 'asc' } },
    },
  });
  if (!run) throw new NotFoundError(`run not found: ${runId}`);
  const metrics = await db.metric.findMany({ where: { runId }, orderBy: [{ name: 'asc' }, { step: 'asc' }] });
  return { ...run, stages: inPipelineOrder(run.stages), metrics };
}

/** Runs newest first; archived runs only with `includeArchived`. */
export async function listRuns(db: DbClient, options: { limit?: number; includeArchived?: boolean } = {}) {
  const runs = await db.run.findMany({
    where: options.includeArchived ? {} : { archivedAt: null },
    orderBy: { createdAt: 'desc' },
    take: options.limit ?? 50,
    include: {
      dataset: { select: { name: true } },
      stages: { select: { stage: true, shard: true, status: true } },
    },
  });
  return runs.map((run) => ({ ...run, stages: inPipelineOrder(run.stages) }));
}

/**
 * Moves a run to `status` if its state machine allows it (see state-machines.ts), in one conditional
 * write; otherwise throws IllegalTransitionError and changes nothing. `startedAt` is the first start.
 */
export async function setRunStatus(
  db: DbClient,
  runId: string,
  status: RunStatus,
  error?: string | null,
  hint?: string,
): Promise<void> {
  const now = new Date();
  const { count } = await db.run.updateMany({
    where: { id: runId, status: { in: statesLeadingTo(RUN_TRANSITIONS, status) } },
    data: {
      status,
      error: error ?? null,
      finishedAt: isFinishedRunStatus(status) ? now : null,
    },
  });
  await checkTransitionWritten(
    'run',
    runId,
    status,
    count,
    async () => (await db.run.findUnique({ where: { id: runId }, select: { status: true } }))?.status,
    hint,
  );
  if (status === 'running')
    await db.run.updateMany({ where: { id: runId, startedAt: null }, data: { startedAt: now } });
  await settleSweepOfRun(db, runId);
}

export async function setRunBackend(db: DbClient, runId: string, backend: string) {
  return db.run.update({ where: { id: runId }, data: { backend } });
}

/**
 * Writes what `training.batchSize: 'auto'` chose into the run's stored config as `training.autoBatch`
 * (the stored config says what ran; a later attempt of the train stage reuses the choice). The train
 * stage is the only writer of that field while it holds the run.
 */
export async function recordRunAutoBatch(
  db: DbClient,
  runId: string,
  autoBatch: { batchSize: number; peakMB: number; budgetMB: number; backend: string },
): Promise<void> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { config: true } });
  if (!run) throw new NotFoundError(`run not found: ${runId}`);
  const stored = readRunConfig(run);
  const config = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
  const training = typeof config.training === 'object' && config.training !== null ? config.training : {};
  await db.run.update({
    where: { id: runId },
    data: { config: toJsonColumn({ ...config, training: { ...training, autoBatch } }) },
  });
}
