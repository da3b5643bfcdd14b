import { NotFoundError } from '@captioner/core';
import type { DbClient } from '../client';
import { newId } from '../ids';
import { toJsonColumn } from '../json-columns';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export async function createRun(
  db: DbClient,
  input: { datasetId: string; name?: string; config: unknown; executor: 'local' | 'bullmq' },
) {
  return db.run.create({
    data: {
      id: newId('run'),
      datasetId: input.datasetId,
      name: input.name,
      config: toJsonColumn(input.config),
      executor: input.executor,
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
      stages: { orderBy: [{ createdAt: 'asc' }, { shard: 'asc' }] },
      checkpoints: { orderBy: { step: 'asc' } },
      evaluations: { orderBy: { createdAt: 'asc' } },
    },
  });
  if (!run) throw new NotFoundError(`run not found: ${runId}`);
  const metrics = await db.metric.findMany({ where: { runId }, orderBy: [{ name: 'asc' }, { step: 'asc' }] });
  return { ...run, metrics };
}

export async function listRuns(db: DbClient, options: { limit?: number } = {}) {
  return db.run.findMany({
    orderBy: { createdAt: 'desc' },
    take: options.limit ?? 50,
    include: { dataset: { select: { name: true } }, stages: { select: { stage: true, status: true } } },
  });
}

export async function setRunStatus(db: DbClient, runId: string, status: RunStatus, error?: string | null) {
  const now = new Date();
  return db.run.update({
    where: { id: runId },
    data: {
      status,
      error: error ?? null,
      ...(status === 'running' ? { startedAt: now } : {}),
      ...(status === 'succeeded' || status === 'failed' || status === 'cancelled' ? { finishedAt: now } : {}),
    },
  });
}

export async function setRunBackend(db: DbClient, runId: string, backend: string) {
  return db.run.update({ where: { id: runId }, data: { backend } });
}
