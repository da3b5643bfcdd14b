import { IllegalTransitionError, NotFoundError } from '@captioner/core';
import type { DbClient } from '../client';
import { isFinishedRunStatus } from '../state-machines';
import type { RunStatus } from '../state-machines';

export type RunLogLevel = 'info' | 'warn' | 'error';

/** Longest message kept: a log line, not a dump (a stack or a long payload is cut). */
const MAX_MESSAGE = 2000;

/** Stores one log line of a run (the stage runner's events, retries, warnings and errors). */
export async function recordRunLog(
  db: DbClient,
  input: { runId: string; level: RunLogLevel; message: string; stage?: string | null; shard?: number },
) {
  return db.runLog.create({
    data: {
      runId: input.runId,
      level: input.level,
      stage: input.stage ?? null,
      shard: input.shard ?? -1,
      message: input.message.slice(0, MAX_MESSAGE),
    },
  });
}

/** A run's log lines in the order they were written, those with id > `afterId` (a poller's cursor). */
export async function listRunLogs(
  db: DbClient,
  runId: string,
  options: { afterId?: number; limit?: number } = {},
) {
  return db.runLog.findMany({
    where: { runId, id: { gt: options.afterId ?? 0 } },
    orderBy: { id: 'asc' },
    take: options.limit ?? 1000,
  });
}

/** Archives a run (hidden from run lists by default) or brings it back; any status. */
export async function setRunArchived(db: DbClient, runId: string, archived: boolean) {
  const { count } = await db.run.updateMany({
    where: { id: runId },
    data: { archivedAt: archived ? new Date() : null },
  });
  if (count === 0) throw new NotFoundError(`run not found: ${runId}`);
}

/**
 * Deletes a run's rows (stages, shards, checkpoints, metrics, evaluations, samples and logs go with it by
 * cascade). Refused while the run may still be worked on (queued, running): cancel it first. The caller
 * removes the artifacts on disk.
 */
export async function deleteRunRows(db: DbClient, runId: string) {
  const run = await db.run.findUnique({ where: { id: runId }, select: { status: true } });
  if (!run) throw new NotFoundError(`run not found: ${runId}`);
  const status = run.status as RunStatus;
  if (!isFinishedRunStatus(status) && status !== 'stopped')
    throw new IllegalTransitionError('run', runId, status, 'deleted', 'cancel it first');
  // Evaluation samples, then evaluations: evaluations also reference checkpoints (no cascade there).
  await db.$transaction([
    db.evaluationSample.deleteMany({ where: { evaluation: { runId } } }),
    db.evaluation.deleteMany({ where: { runId } }),
    db.run.delete({ where: { id: runId } }),
  ]);
}
