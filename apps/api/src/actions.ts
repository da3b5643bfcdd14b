import { ConnectionError } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { getRun } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import {
  cancelRun as cancel,
  requestEvaluation as evaluate,
  resumeRun as resume,
  startRun as start,
} from '@captioner/pipeline';
import type { OperationContext } from '@captioner/pipeline';
import { NO_REDIS_MESSAGE } from './producer';

/**
 * What the API changes: the pipeline's operations (the CLI calls the same ones), shaped as HTTP
 * answers. The API only enqueues: without REDIS_URL it refuses (503) instead of training in its own
 * process, and Redis is reached before anything is written, so a 503 means nothing changed.
 */
function operations(config: CaptionerConfig, db: DbClient): OperationContext {
  return { config, db };
}

function requireQueue(config: CaptionerConfig): void {
  if (!config.redisUrl) throw new ConnectionError(NO_REDIS_MESSAGE);
}

export async function startRun(
  config: CaptionerConfig,
  db: DbClient,
  input: { dataset: string; config?: unknown; name?: string },
) {
  requireQueue(config);
  const plan = await start(operations(config, db), {
    dataset: input.dataset,
    runConfig: input.config ?? {},
    name: input.name,
  });
  const run = await getRun(db, plan.runId);
  return { id: run.id, status: run.status, shards: plan.shards };
}

/** Marks the run cancelled and removes its queued jobs; active jobs stop at their next safe point. */
export async function cancelRun(config: CaptionerConfig, db: DbClient, id: string) {
  const { removedJobs } = await cancel(operations(config, db), id);
  return { id, status: 'cancelled', removedJobs };
}

/** Enqueues the flow again: failed and cancelled stages are redone, complete shards and checkpoints reused. */
export async function resumeRun(config: CaptionerConfig, db: DbClient, id: string) {
  requireQueue(config);
  await resume(operations(config, db), id);
  return { id, status: (await getRun(db, id)).status };
}

export async function requestEvaluation(
  config: CaptionerConfig,
  db: DbClient,
  input: {
    runId: string;
    checkpoint?: string;
    split?: 'val' | 'test';
    beamSize?: number;
    lengthPenalty?: number;
    noRepeatNgramSize?: number;
    maxLength?: number;
    maxImages?: number;
  },
) {
  requireQueue(config);
  const payload = await evaluate(operations(config, db), input);
  return { id: payload.evaluationId, status: 'queued' };
}
