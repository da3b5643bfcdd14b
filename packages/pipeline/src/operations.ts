import {
  ConnectionError,
  describeError,
  IllegalTransitionError,
  InvalidInputError,
  NotFoundError,
  WaitTimeoutError,
} from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import {
  createEvaluation,
  findCheckpoint,
  getDataset,
  getEvaluation,
  getRun,
  isFinishedRunStatus,
  listStages,
  markRunCancelled,
  markRunResumable,
  newId,
  jsonColumn,
  setEvaluationStatus,
  setRunStatus,
} from '@captioner/db';
import type { DbClient, StageKind } from '@captioner/db';
import { decodingSettingsOf } from '@captioner/stage-contract';
import type { Redis } from 'ioredis';
import { enqueueEvaluation, enqueueRunFlow, removeRunJobs } from './executors/bullmq';
import { evaluatePayloadSchema } from './payloads';
import type { EvaluatePayload } from './payloads';
import { countStageWorkers } from './queue-status';
import { createProducerConnection } from './redis';
import type { RunPlan } from './run-plan';
import { createRunWithPlan, loadRunPlan } from './runs';

/**
 * The top-level operations, one function each, used by the CLI, the API and the demo: start, resume
 * and cancel a run, request an evaluation, and wait for either to end. With REDIS_URL they enqueue
 * (Redis is reached before anything is written); without it they run in this process through
 * `local`, and an app that cannot (the API) passes no `local` and is refused.
 */
export interface OperationContext {
  config: Pick<CaptionerConfig, 'redisUrl' | 'queuePrefix'>;
  db: DbClient;
  local?: {
    /** Runs a plan in this process (the CLI's embedded executor, with its progress display). */
    runPlan(plan: RunPlan): Promise<void>;
    evaluate(payload: EvaluatePayload): Promise<void>;
  };
}

const NO_QUEUE_MESSAGE = 'REDIS_URL is not set and this process does not run stages itself';

type Producer = Redis;

/** Runs `body` with a producer connection, opened first so that an unreachable Redis changes nothing. */
async function withProducer<T>(
  ctx: OperationContext,
  body: (connection: Producer) => Promise<T>,
): Promise<T> {
  const connection = await createProducerConnection(ctx.config.redisUrl!);
  try {
    return await body(connection);
  } finally {
    connection.disconnect();
  }
}

function localExecutor(ctx: OperationContext): NonNullable<OperationContext['local']> {
  if (!ctx.local) throw new ConnectionError(NO_QUEUE_MESSAGE);
  return ctx.local;
}

/**
 * Enqueues a run's flow; when that fails after the rows were written (Redis went away in between),
 * the run is marked failed with the reason instead of being left `queued` with no job.
 */
async function enqueueOrFail(ctx: OperationContext, connection: Producer, plan: RunPlan): Promise<void> {
  try {
    await enqueueRunFlow(connection, ctx.config.queuePrefix, plan);
  } catch (error) {
    await setRunStatus(ctx.db, plan.runId, 'failed', `could not enqueue the run: ${describeError(error)}`);
    throw error;
  }
}

/** `run start`: creates the run with its plan, then enqueues it or runs it here. */
export async function startRun(
  ctx: OperationContext,
  input: { dataset: string; runConfig: unknown; name?: string; sweepId?: string },
): Promise<RunPlan> {
  const create = async () => {
    const dataset = await getDataset(ctx.db, input.dataset);
    const { plan } = await createRunWithPlan(ctx.db, {
      datasetId: dataset.id,
      manifestPath: dataset.manifestPath,
      config: input.runConfig,
      name: input.name,
      sweepId: input.sweepId,
      executor: ctx.config.redisUrl ? 'bullmq' : 'local',
    });
    return plan;
  };
  if (ctx.config.redisUrl)
    return withProducer(ctx, async (connection) => {
      const plan = await create();
      await enqueueOrFail(ctx, connection, plan);
      return plan;
    });
  const local = localExecutor(ctx);
  const plan = await create();
  await local.runPlan(plan);
  return plan;
}

/**
 * `run resume`: the one way back from `failed`, `cancelled` and `stopped` (and for a local run whose
 * process died). Unfinished stages run again; complete shards and checkpoints are reused. A run that
 * succeeded has nothing to resume, and a run still on the queue is refused: resetting its stages
 * under a working worker would rewrite what that worker is about to record.
 */
export async function resumeRun(ctx: OperationContext, runId: string): Promise<RunPlan> {
  const run = await getRun(ctx.db, runId);
  if (run.executor === 'bullmq' && (run.status === 'queued' || run.status === 'running'))
    throw new IllegalTransitionError(
      'run',
      runId,
      run.status,
      'queued',
      'it is still on the queue: cancel it first, or wait for it',
    );
  const plan = await loadRunPlan(ctx.db, runId);
  if (ctx.config.redisUrl)
    return withProducer(ctx, async (connection) => {
      await markRunResumable(ctx.db, runId);
      await enqueueOrFail(ctx, connection, plan);
      return plan;
    });
  const local = localExecutor(ctx);
  await markRunResumable(ctx.db, runId);
  await local.runPlan(plan);
  return plan;
}

/**
 * `run cancel`: marks the run and its unfinished stages cancelled (a finished run is refused) and
 * removes its jobs that have not started; active ones stop at their next safe point.
 */
export async function cancelRun(ctx: OperationContext, runId: string): Promise<{ removedJobs: number }> {
  // Without Redis there is no queue to clean (a local run sees the cancel and stops on its own).
  if (!ctx.config.redisUrl) {
    await markRunCancelled(ctx.db, runId);
    return { removedJobs: 0 };
  }
  return withProducer(ctx, async (connection) => {
    await markRunCancelled(ctx.db, runId);
    const plan = await loadRunPlan(ctx.db, runId);
    return { removedJobs: await removeRunJobs(connection, ctx.config.queuePrefix, plan) };
  });
}

/**
 * Evaluates a checkpoint of a run on demand. The checkpoint and the split are checked first, so a
 * typo is refused (NotFoundError, InvalidInputError) before anything is recorded or enqueued. The
 * evaluation's outcome is its own: it never changes the run.
 */
export async function requestEvaluation(
  ctx: OperationContext,
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
): Promise<EvaluatePayload> {
  const run = await getRun(ctx.db, input.runId);
  const payload = evaluatePayloadSchema.parse({ ...input, evaluationId: newId('eval') });
  const checkpoint = await findCheckpoint(ctx.db, run.id, payload.checkpoint);
  if (!checkpoint || !checkpoint.onDisk) {
    throw new NotFoundError(
      `run ${run.id} has no checkpoint ${checkpoint ? `${payload.checkpoint} on disk (pruned)` : `"${payload.checkpoint}"`} (see: captioner run show ${run.id})`,
    );
  }
  const splits = jsonColumn<Record<string, number>>(run.dataset.splits, {});
  if (!(splits[payload.split] > 0))
    throw new InvalidInputError(
      `data set ${run.dataset.name} has no ${payload.split} split (choose another with --split)`,
    );
  const record = () =>
    createEvaluation(ctx.db, {
      id: payload.evaluationId,
      runId: run.id,
      checkpointId: null,
      split: payload.split,
      settings: {
        checkpoint: payload.checkpoint,
        ...decodingSettingsOf(payload),
        maxImages: payload.maxImages,
      },
    });
  if (ctx.config.redisUrl)
    return withProducer(ctx, async (connection) => {
      await record();
      try {
        await enqueueEvaluation(connection, ctx.config.queuePrefix, payload);
      } catch (error) {
        await setEvaluationStatus(
          ctx.db,
          payload.evaluationId,
          'failed',
          `could not enqueue the evaluation: ${describeError(error)}`,
        );
        throw error;
      }
      return payload;
    });
  const local = localExecutor(ctx);
  await record();
  await local.evaluate(payload);
  return payload;
}

export interface WaitOptions {
  /** Give up after this long with a WaitTimeoutError (the work goes on). @defaultValue no limit */
  timeoutMs?: number;
  /** Told once per stage when no worker serves the queue the work waits on. */
  onNotice?: (message: string) => void;
  /** @defaultValue 1000 */
  pollMs?: number;
  /** How long to wait before looking for workers. @defaultValue 5000 */
  noticeAfterMs?: number;
}

interface WaitState {
  finished: boolean;
  status: string;
  /** The stage whose queue the work waits on, when it is not finished. */
  stage?: StageKind;
}

async function waitUntilFinished(
  ctx: OperationContext,
  what: string,
  read: () => Promise<WaitState>,
  options: WaitOptions,
): Promise<string> {
  const started = Date.now();
  const noticeAfterMs = options.noticeAfterMs ?? 5000;
  const noticed = new Set<StageKind>();
  let lastWorkerCheck = 0;
  let connection: Producer | undefined;
  try {
    for (;;) {
      const state = await read();
      if (state.finished) return state.status;
      const waited = Date.now() - started;
      if (options.timeoutMs !== undefined && waited >= options.timeoutMs) {
        throw new WaitTimeoutError(
          `${what} is still ${state.status} after ${Math.round(waited / 1000)} s (--timeout); it goes on`,
        );
      }
      const stage = state.stage;
      if (
        ctx.config.redisUrl &&
        stage &&
        !noticed.has(stage) &&
        waited >= noticeAfterMs &&
        Date.now() - lastWorkerCheck >= noticeAfterMs
      ) {
        lastWorkerCheck = Date.now();
        connection ??= await createProducerConnection(ctx.config.redisUrl);
        if ((await countStageWorkers(connection, ctx.config.queuePrefix, stage)) === 0) {
          noticed.add(stage);
          options.onNotice?.(
            `no worker serves the ${stage} queue: ${what} waits for one (start it with: captioner worker --stages ${stage})`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
  } finally {
    connection?.disconnect();
  }
}

/** Waits until a run has finished or stopped; returns its status. */
export async function waitForRun(
  ctx: OperationContext,
  runId: string,
  options: WaitOptions = {},
): Promise<string> {
  return waitUntilFinished(
    ctx,
    `run ${runId}`,
    async () => {
      const run = await getRun(ctx.db, runId);
      if (isFinishedRunStatus(run.status) || run.status === 'stopped')
        return { finished: true, status: run.status };
      const next = (await listStages(ctx.db, runId)).find((s) => s.status !== 'succeeded');
      return { finished: false, status: run.status, stage: next?.stage as StageKind | undefined };
    },
    options,
  );
}

/** Waits until an evaluation has succeeded or failed; returns its status. */
export async function waitForEvaluation(
  ctx: OperationContext,
  evaluationId: string,
  options: WaitOptions = {},
): Promise<string> {
  return waitUntilFinished(
    ctx,
    `evaluation ${evaluationId}`,
    async () => {
      const evaluation = await getEvaluation(ctx.db, evaluationId);
      const finished = evaluation.status === 'succeeded' || evaluation.status === 'failed';
      return { finished, status: evaluation.status, stage: 'evaluate' };
    },
    options,
  );
}
