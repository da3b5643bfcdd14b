import type { DbClient } from '../client';
import { EVALUATION_TRANSITIONS, statesLeadingTo } from '../state-machines';
import { setRunStatus } from './runs';
import { cancelUnfinishedStages, reopenUnfinishedStages } from './stages';

/**
 * The writes of `run cancel` and `run resume`, each in one transaction so a run is never half
 * cancelled or half reopened. Both obey the run's state machine: cancelling a finished run and
 * resuming a succeeded one throw IllegalTransitionError and change nothing.
 */

export async function markRunCancelled(
  db: DbClient,
  runId: string,
  reason = 'cancelled by user',
): Promise<void> {
  await db.$transaction(async (tx) => {
    await setRunStatus(
      tx as DbClient,
      runId,
      'cancelled',
      reason,
      'only a run that has not finished can be cancelled',
    );
    await cancelUnfinishedStages(tx as DbClient, runId, reason);
  });
}

/**
 * Makes a run runnable again: the run goes back to `queued`, its failed, cancelled or abandoned
 * stages to `pending`, and its final evaluation, if it failed or was left running, to `queued`.
 * Succeeded stages stay as they are (they are skipped), and ad-hoc evaluations are not touched.
 */
export async function markRunResumable(db: DbClient, runId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await setRunStatus(tx as DbClient, runId, 'queued', null, 'a succeeded run has nothing to resume');
    await reopenUnfinishedStages(tx as DbClient, runId);
    await tx.evaluation.updateMany({
      where: { runId, isFinal: true, status: { in: statesLeadingTo(EVALUATION_TRANSITIONS, 'queued') } },
      data: { status: 'queued', error: null, finishedAt: null },
    });
  });
}
