import { InvalidInputError } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { createEvaluation, getDataset, getRun, newId } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import {
  createRunWithPlan,
  enqueueEvaluation,
  enqueueRunFlow,
  evaluatePayloadSchema,
  loadRunPlan,
  markRunCancelled,
  markRunResumable,
  removeRunJobs,
} from '@captioner/pipeline';
import { withProducer } from './producer';

/**
 * What the API changes, as the CLI does it (apps/cli/src/services/runs.ts, commands/run.ts, eval.ts),
 * with one difference: Redis is reached before anything is written, so a 503 means nothing changed.
 */

export async function startRun(
  config: CaptionerConfig,
  db: DbClient,
  input: { dataset: string; config?: unknown; name?: string },
) {
  return withProducer(config, async (connection) => {
    const dataset = await getDataset(db, input.dataset);
    const { plan } = await createRunWithPlan(db, {
      datasetId: dataset.id,
      manifestPath: dataset.manifestPath,
      config: input.config ?? {},
      name: input.name,
      executor: 'bullmq',
    });
    await enqueueRunFlow(connection, config.queuePrefix, plan);
    const run = await getRun(db, plan.runId);
    return { id: run.id, status: run.status, shards: plan.shards };
  });
}

/** Marks the run cancelled and removes its queued jobs; active jobs stop at their next safe point. */
export async function cancelRun(config: CaptionerConfig, db: DbClient, id: string) {
  const plan = await loadRunPlan(db, id);
  // Without Redis there is no queue to clean (a run started by a local executor stops on its own check).
  if (!config.redisUrl) {
    await markRunCancelled(db, id);
    return { id, status: 'cancelled', removedJobs: 0 };
  }
  return withProducer(config, async (connection) => {
    await markRunCancelled(db, id);
    const removedJobs = await removeRunJobs(connection, config.queuePrefix, plan);
    return { id, status: 'cancelled', removedJobs };
  });
}

/** Enqueues the flow again: failed and cancelled stages are redone, complete shards and checkpoints reused. */
export async function resumeRun(config: CaptionerConfig, db: DbClient, id: string) {
  return withProducer(config, async (connection) => {
    const run = await getRun(db, id);
    if (run.status === 'succeeded')
      throw new InvalidInputError(`run ${id} already succeeded: nothing to resume`);
    const plan = await loadRunPlan(db, id);
    await markRunResumable(db, id);
    await enqueueRunFlow(connection, config.queuePrefix, plan);
    return { id, status: (await getRun(db, id)).status };
  });
}

export async function requestEvaluation(
  config: CaptionerConfig,
  db: DbClient,
  input: {
    runId: string;
    checkpoint?: string;
    split?: 'val' | 'test';
    beamSize?: number;
    maxImages?: number;
  },
) {
  return withProducer(config, async (connection) => {
    await getRun(db, input.runId);
    const id = newId('eval');
    const payload = evaluatePayloadSchema.parse({ ...input, evaluationId: id });
    await createEvaluation(db, {
      id,
      runId: input.runId,
      checkpointId: null,
      split: payload.split,
      settings: { checkpoint: payload.checkpoint, beamSize: payload.beamSize, maxImages: payload.maxImages },
    });
    await enqueueEvaluation(connection, config.queuePrefix, payload);
    return { id, status: 'queued' };
  });
}
