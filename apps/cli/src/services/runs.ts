import { CancelledError, createLogger } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import type { DbClient } from '@captioner/db';
import { runEvaluationLocally, runPipelineLocally } from '@captioner/pipeline';
import type { EvaluatePayload, OperationContext, RunPlan, WaitOptions } from '@captioner/pipeline';
import { createStageHandlers } from '@captioner/worker';
import { ProgressView } from '../progress';

/** Runs a plan in this process with progress on the terminal; Ctrl-C stops it at a safe point. */
export async function executeLocally(config: CaptionerConfig, db: DbClient, plan: RunPlan): Promise<void> {
  const view = new ProgressView();
  const controller = new AbortController();
  const onSignal = () => {
    process.stderr.write(
      '\nstopping at the next safe point (training writes a checkpoint); `captioner run resume` continues\n',
    );
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runPipelineLocally(plan, {
      config,
      db,
      logger: createLogger('run', config.logLevel === 'info' ? 'warn' : config.logLevel),
      handlers: createStageHandlers(),
      workerId: `local-${process.pid}`,
      signal: controller.signal,
      onProgress: (stage, key, update) => {
        const label = key.shard >= 0 ? `${stage} ${key.shard + 1}/${plan.shards}` : stage;
        view.update(label, update);
      },
    });
  } catch (error) {
    if (error instanceof CancelledError)
      throw new CancelledError(
        `run ${plan.runId} stopped; resume it with: captioner run resume ${plan.runId}`,
      );
    throw error;
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One evaluation in this process, with a progress bar. */
export async function evaluateLocally(
  config: CaptionerConfig,
  db: DbClient,
  payload: EvaluatePayload,
): Promise<void> {
  const view = new ProgressView();
  try {
    await runEvaluationLocally(payload, {
      config,
      db,
      logger: createLogger('eval', 'warn'),
      handlers: createStageHandlers(),
      workerId: `local-${process.pid}`,
      signal: new AbortController().signal,
      onProgress: (_stage, _key, update) => view.update('evaluate', update),
    });
  } finally {
    view.stop();
  }
}

/**
 * What the pipeline's operations (start, resume, cancel, evaluate, wait) need from the CLI: without
 * REDIS_URL they run here, with progress bars.
 */
export function operationContext(config: CaptionerConfig, db: DbClient): OperationContext {
  return {
    config,
    db,
    local: {
      runPlan: (plan) => executeLocally(config, db, plan),
      evaluate: (payload) => evaluateLocally(config, db, payload),
    },
  };
}

/** What `--wait` prints while it waits: a notice when no worker serves the stage. */
export function waitOptions(timeoutSeconds: number | undefined): WaitOptions {
  return {
    timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    onNotice: (message) => process.stderr.write(`captioner: ${message}\n`),
  };
}
