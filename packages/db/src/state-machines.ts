import { IllegalTransitionError, NotFoundError } from '@captioner/core';

/**
 * The allowed status changes of a run, a stage and an evaluation: the one place they are written.
 * Every repository function that changes a status asks this module which states it may leave from
 * and writes with that condition in the same statement (`updateMany where status in …`), so two
 * processes racing cannot rewrite finished history either. A change that is not listed here fails
 * with `IllegalTransitionError`.
 *
 * It lives in `db`, not in `pipeline`, because the writes it guards are here and stage packages
 * (the evaluation stage writes its own row) may not depend on `pipeline`.
 */

export const RUN_STATUSES = ['queued', 'running', 'stopped', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STAGE_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export const EVALUATION_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];

/**
 * A run. `stopped`: a local run interrupted by SIGTERM/SIGINT, waiting for `run resume`. `queued`
 * is where `run resume` leads, and the only way out of `failed`, `cancelled` and `stopped`.
 * `running -> running` is a second stage starting. `queued`/`running -> queued` resume a local run
 * whose process died without a word (SIGKILL); the resume operation refuses it for a run that is
 * still on the queue.
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['queued', 'running', 'stopped', 'failed', 'cancelled'],
  running: ['running', 'queued', 'stopped', 'succeeded', 'failed', 'cancelled'],
  stopped: ['queued', 'cancelled'],
  failed: ['queued'],
  cancelled: ['queued'],
  succeeded: [],
};

/**
 * One stage row. `running -> running` is a retry or a takeover after a crash; `running -> pending`
 * a graceful stop that hands the job back to the queue; `pending -> failed` a job the queue gave up
 * on before it started. `failed`/`cancelled -> pending` only through `run resume`.
 */
export const STAGE_TRANSITIONS: Readonly<Record<StageStatus, readonly StageStatus[]>> = {
  pending: ['running', 'failed', 'cancelled'],
  running: ['running', 'pending', 'succeeded', 'failed', 'cancelled'],
  failed: ['pending'],
  cancelled: ['pending'],
  succeeded: [],
};

/**
 * One evaluation. `running -> running` is a retry; `running -> queued` a graceful stop;
 * `failed -> queued` only for a run's final evaluation, through `run resume`.
 */
export const EVALUATION_TRANSITIONS: Readonly<Record<EvaluationStatus, readonly EvaluationStatus[]>> = {
  queued: ['running', 'failed'],
  running: ['running', 'queued', 'succeeded', 'failed'],
  failed: ['queued'],
  succeeded: [],
};

/** Statuses nothing but `run resume` may leave (succeeded: nothing at all). */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
export const FINISHED_EVALUATION_STATUSES: readonly EvaluationStatus[] = ['succeeded', 'failed'];

export function isFinishedRunStatus(status: string): boolean {
  return (FINISHED_RUN_STATUSES as readonly string[]).includes(status);
}

export function canTransition<S extends string>(
  machine: Readonly<Record<S, readonly S[]>>,
  from: string,
  to: S,
): boolean {
  return (machine[from as S] ?? []).includes(to);
}

/** The states from which `to` may be reached (self-loops included). */
export function statesLeadingTo<S extends string>(machine: Readonly<Record<S, readonly S[]>>, to: S): S[] {
  return (Object.keys(machine) as S[]).filter((from) => machine[from].includes(to));
}

/**
 * After a conditional write (`updateMany where status in statesLeadingTo(to)`) that changed
 * `count` rows: nothing changed means the row is missing or in a state `to` cannot be reached from.
 */
export async function checkTransitionWritten(
  entity: 'run' | 'stage' | 'evaluation',
  id: string,
  to: string,
  count: number,
  readStatus: () => Promise<string | null | undefined>,
  hint?: string,
): Promise<void> {
  if (count > 0) return;
  const current = await readStatus();
  if (current === null || current === undefined) throw new NotFoundError(`${entity} not found: ${id}`);
  throw new IllegalTransitionError(entity, id, current, to, hint);
}
