import { NotFoundError } from '@captioner/core';
import type { DbClient } from '../client';
import { newId } from '../ids';
import { FINISHED_RUN_STATUSES } from '../state-machines';
import { toJsonColumn } from '../json-columns';

export type SweepStatus = 'running' | 'cancelled' | 'finished';

/** Records a sweep; its runs are created afterwards, each with this sweep's id. */
export async function createSweep(
  db: DbClient,
  input: { datasetId: string; spec: unknown; metric: string; prune: 'none' | 'median' },
) {
  return db.sweep.create({
    data: {
      id: newId('sweep'),
      datasetId: input.datasetId,
      spec: toJsonColumn(input.spec),
      metric: input.metric,
      prune: input.prune,
    },
  });
}

export async function getSweep(db: DbClient, sweepId: string) {
  const sweep = await db.sweep.findUnique({ where: { id: sweepId } });
  if (!sweep) throw new NotFoundError(`sweep not found: ${sweepId}`);
  return sweep;
}

export async function listSweeps(db: DbClient, limit = 50) {
  return db.sweep.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
}

export async function setSweepStatus(db: DbClient, sweepId: string, status: SweepStatus) {
  return db.sweep.update({ where: { id: sweepId }, data: { status } });
}

/**
 * Keeps the sweep of a run in step with its runs after the run's status changed: a running sweep is
 * finished once none of its runs can still change (each succeeded, failed or was cancelled), and a
 * finished one runs again when one of its runs is resumed. A cancelled sweep stays cancelled.
 */
export async function settleSweepOfRun(db: DbClient, runId: string): Promise<void> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { sweepId: true } });
  if (!run?.sweepId) return;
  const open = await db.run.count({
    where: { sweepId: run.sweepId, status: { notIn: [...FINISHED_RUN_STATUSES] } },
  });
  const [from, to]: [SweepStatus, SweepStatus] =
    open === 0 ? ['running', 'finished'] : ['finished', 'running'];
  await db.sweep.updateMany({ where: { id: run.sweepId, status: from }, data: { status: to } });
}

/** A sweep's runs with their final evaluations (what `sweep show` ranks). */
export async function listSweepRuns(db: DbClient, sweepId: string) {
  return db.run.findMany({
    where: { sweepId },
    orderBy: { createdAt: 'asc' },
    include: { evaluations: { orderBy: { createdAt: 'asc' } } },
  });
}

/** Marks a run as stopped by median pruning at `epoch`. */
export async function markRunPruned(db: DbClient, runId: string, epoch: number) {
  return db.run.update({ where: { id: runId }, data: { prunedAtEpoch: epoch } });
}
