import { CancelledError, IllegalTransitionError, isPermanentError } from '@captioner/core';
import { setRunStatus } from '@captioner/db';
import type { StageKind } from '@captioner/db';
import type { EvaluatePayload } from '../payloads';
import type { RunPlan } from '../run-plan';
import { runStage } from '../stage-runner';
import type { StageRunDeps } from '../stage-runner';

export type LocalDeps = Omit<StageRunDeps, 'attempt' | 'maxAttempts'> & {
  /** Tries per stage for transient failures. @defaultValue 3 */
  maxAttempts?: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runWithRetries(stage: StageKind, payload: unknown, deps: LocalDeps): Promise<void> {
  const maxAttempts = deps.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await runStage(stage, payload, { ...deps, attempt, maxAttempts });
      return;
    } catch (error) {
      if (error instanceof CancelledError || isPermanentError(error) || attempt >= maxAttempts) throw error;
      deps.logger.warn({ stage, attempt }, 'transient failure, retrying');
      await sleep(500 * 2 ** attempt);
    }
  }
}

/**
 * The embedded executor: the same handlers and payloads as the BullMQ executor, run in this process
 * in dependency order. Stages already done are skipped, so running it again resumes a run.
 */
export async function runPipelineLocally(plan: RunPlan, deps: LocalDeps): Promise<void> {
  try {
    for (let shard = 0; shard < plan.shards; shard++) {
      await runWithRetries('preprocess', { runId: plan.runId, shard }, deps);
    }
    for (let shard = 0; shard < plan.shards; shard++) {
      await runWithRetries('extract', { runId: plan.runId, shard }, deps);
    }
    await runWithRetries('train', { runId: plan.runId }, deps);
    await runWithRetries('evaluate', { ...plan.evaluation, trackStage: true }, deps);
  } catch (error) {
    // Stopped by a signal (SIGTERM, Ctrl-C): no process will finish this run, so it reads `stopped`
    // until `run resume`. (A run cancelled meanwhile stays cancelled: the transition is refused.)
    if (error instanceof CancelledError && deps.signal.aborted) await markStopped(plan.runId, deps);
    throw error;
  }
}

async function markStopped(runId: string, deps: LocalDeps): Promise<void> {
  try {
    await setRunStatus(
      deps.db,
      runId,
      'stopped',
      'stopped by a signal; continue with `captioner run resume`',
    );
  } catch (error) {
    if (!(error instanceof IllegalTransitionError)) throw error;
    deps.logger.debug({ runId, status: error.from }, 'run not marked stopped');
  }
}

/** One evaluation job, in process. */
export async function runEvaluationLocally(payload: EvaluatePayload, deps: LocalDeps): Promise<void> {
  await runWithRetries('evaluate', payload, deps);
}
