import { CancelledError, createLogger } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { getDataset, getRun } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import {
  createProducerConnection,
  createRunWithPlan,
  enqueueRunFlow,
  loadRunPlan,
  markRunResumable,
  runPipelineLocally,
} from '@captioner/pipeline';
import type { RunPlan } from '@captioner/pipeline';
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

export async function submitPlan(
  config: CaptionerConfig,
  db: DbClient,
  plan: RunPlan,
): Promise<'local' | 'bullmq'> {
  if (config.redisUrl) {
    const connection = await createProducerConnection(config.redisUrl);
    try {
      await enqueueRunFlow(connection, config.queuePrefix, plan);
    } finally {
      connection.disconnect();
    }
    return 'bullmq';
  }
  await executeLocally(config, db, plan);
  return 'local';
}

/** `run start`: creates the run, then runs it here (local executor) or enqueues it (BullMQ). */
export async function startRun(
  config: CaptionerConfig,
  db: DbClient,
  input: { dataset: string; runConfig: unknown; name?: string },
): Promise<RunPlan> {
  const dataset = await getDataset(db, input.dataset);
  const { plan } = await createRunWithPlan(db, {
    datasetId: dataset.id,
    manifestPath: dataset.manifestPath,
    config: input.runConfig,
    name: input.name,
    executor: config.redisUrl ? 'bullmq' : 'local',
  });
  // A producer that cannot reach Redis fails before anything runs; the run row stays queued.
  await submitPlan(config, db, plan);
  return plan;
}

/** `run resume`: re-runs what is unfinished; complete shards and checkpoints are reused. */
export async function resumeRun(config: CaptionerConfig, db: DbClient, runId: string): Promise<RunPlan> {
  await getRun(db, runId);
  const plan = await loadRunPlan(db, runId);
  await markRunResumable(db, runId);
  await submitPlan(config, db, plan);
  return plan;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls the database until the run ends (for `--wait` on a BullMQ run). */
export async function waitForRun(db: DbClient, runId: string, onTick?: () => Promise<void>): Promise<string> {
  for (;;) {
    const run = await getRun(db, runId);
    if (TERMINAL.has(run.status)) return run.status;
    await onTick?.();
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
