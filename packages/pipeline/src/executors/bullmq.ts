import { FlowProducer, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { FlowJob, Job, JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, isPermanentError } from '@captioner/core';
import type { StageKind } from '@captioner/db';
import type { EvaluatePayload } from '../payloads';
import { MODEL_STAGES, QUEUE_NAMES, stageJobId } from '../queues';
import type { RunPlan } from '../run-plan';
import { runStage } from '../stage-runner';
import type { StageRunDeps } from '../stage-runner';

/** Options every stage job gets. */
export const STAGE_JOB_OPTIONS: JobsOptions = {
  /** Transient failures (a lost connection, a timeout) are retried with exponential backoff. */
  attempts: 4,
  backoff: { type: 'exponential', delay: 2000 },
  /** Without this a parent waits forever for a failed child (see ARCHITECTURE.md). */
  failParentOnFailure: true,
  /** Keep Redis bounded; the database is the record. */
  removeOnComplete: { age: 7 * 24 * 3600, count: 5000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
};

function stageJob(
  stage: StageKind,
  shard: number | string,
  data: object,
  runId: string,
  children?: FlowJob[],
): FlowJob {
  return {
    name: stage,
    queueName: QUEUE_NAMES[stage],
    data,
    opts: { ...STAGE_JOB_OPTIONS, jobId: stageJobId(runId, stage, shard) },
    ...(children ? { children } : {}),
  };
}

/**
 * Enqueues a run as one BullMQ flow: evaluate <- train <- extract(i) <- preprocess(i). Children finish
 * before parents, so shard i is extracted as soon as it is preprocessed. Job ids are deterministic:
 * enqueueing the same run again adds nothing that exists already, which is also how a resume works:
 * finished jobs that would block the new flow are removed first (see `clearFinishedRunJobs`), jobs still
 * waiting or active are kept and attached to the same parents again.
 */
export async function enqueueRunFlow(connection: Redis, prefix: string, plan: RunPlan): Promise<void> {
  const { runId } = plan;
  await clearFinishedRunJobs(connection, prefix, plan);
  const extracts = Array.from({ length: plan.shards }, (_, shard) =>
    stageJob('extract', shard, { runId, shard }, runId, [
      stageJob('preprocess', shard, { runId, shard }, runId),
    ]),
  );
  const tree = stageJob('evaluate', 'final', { ...plan.evaluation, trackStage: true }, runId, [
    stageJob('train', 'all', { runId }, runId, extracts),
  ]);
  const producer = new FlowProducer({ connection, prefix });
  try {
    await producer.add(tree);
  } finally {
    await producer.close();
  }
}

/** A run's job ids, parents first (removing a parent before its children never releases it early). */
function runJobIds(plan: RunPlan): Array<[StageKind, string]> {
  const ids: Array<[StageKind, string]> = [
    ['evaluate', stageJobId(plan.runId, 'evaluate', 'final')],
    ['train', stageJobId(plan.runId, 'train', 'all')],
  ];
  for (let shard = 0; shard < plan.shards; shard++)
    ids.push(['extract', stageJobId(plan.runId, 'extract', shard)]);
  for (let shard = 0; shard < plan.shards; shard++)
    ids.push(['preprocess', stageJobId(plan.runId, 'preprocess', shard)]);
  return ids;
}

/** Visits the run's jobs that exist in Redis, parents first, with one Queue per stage. */
async function forEachRunJob(
  connection: Redis,
  prefix: string,
  plan: RunPlan,
  visit: (job: Job, stage: StageKind) => Promise<void>,
): Promise<void> {
  const queues = new Map<StageKind, Queue>();
  try {
    for (const [stage, id] of runJobIds(plan)) {
      let queue = queues.get(stage);
      if (!queue) {
        queue = new Queue(QUEUE_NAMES[stage], { connection, prefix });
        queues.set(stage, queue);
      }
      const job = await queue.getJob(id);
      if (job) await visit(job, stage);
    }
  } finally {
    await Promise.all([...queues.values()].map((q) => q.close()));
  }
}

/**
 * Before a run is enqueued again (resume): a failed job with the same id would be kept as it is and
 * its parent would wait for it forever, and a completed final evaluation would make the new flow a
 * no-op; both are removed so they run again (the database skips what is really done). Completed
 * shards stay: BullMQ counts them as done children of the re-added parents.
 */
async function clearFinishedRunJobs(connection: Redis, prefix: string, plan: RunPlan): Promise<void> {
  await forEachRunJob(connection, prefix, plan, async (job, stage) => {
    const state = await job.getState();
    if (state === 'failed' || (state === 'completed' && stage === 'evaluate')) {
      await job.remove({ removeChildren: false }).catch(() => {
        // Taken by a worker in the meantime: it runs anyway.
      });
    }
  });
}

/** Enqueues one evaluation job (on demand, for any checkpoint). */
export async function enqueueEvaluation(
  connection: Redis,
  prefix: string,
  payload: EvaluatePayload,
): Promise<string> {
  const queue = new Queue(QUEUE_NAMES.evaluate, { connection, prefix });
  try {
    const jobId = stageJobId(payload.runId, 'evaluate', payload.evaluationId);
    await queue.add('evaluate', payload, { ...STAGE_JOB_OPTIONS, jobId });
    return jobId;
  } finally {
    await queue.close();
  }
}

export interface WorkerPoolOptions {
  connection: Redis;
  /** BullMQ key prefix (CAPTIONER_QUEUE_PREFIX). */
  prefix: string;
  stages: StageKind[];
  /** Parallel jobs per CPU stage (preprocess). Model stages always run one at a time per process. */
  concurrency: number;
  deps: Omit<StageRunDeps, 'attempt' | 'maxAttempts' | 'signal'>;
  /**
   * BullMQ stall detection (CAPTIONER_LOCK_DURATION_MS, CAPTIONER_STALLED_INTERVAL_MS,
   * CAPTIONER_MAX_STALLED_COUNT): how long a job's lock lasts without renewal, how often expired locks
   * are looked for, and how many worker crashes one job survives. Defaults come from the config schema.
   */
  stall: { lockDurationMs: number; stalledIntervalMs: number; maxStalledCount: number };
}

/** Serialises model stages inside one process, whichever queue their jobs come from. */
class ModelLock {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export interface WorkerPool {
  workers: Worker[];
  /** Stops taking jobs, signals running handlers to stop (training checkpoints), waits up to `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

export function startWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const shutdown = new AbortController();
  const modelLock = new ModelLock();
  const workers = options.stages.map((stage) => {
    const isModelStage = MODEL_STAGES.includes(stage);
    const processor = async (job: Job) => {
      const attempt = job.attemptsMade + 1;
      const work = () =>
        runStage(stage, job.data, {
          ...options.deps,
          attempt,
          maxAttempts: job.opts.attempts ?? 1,
          signal: shutdown.signal,
        });
      try {
        return await (isModelStage ? modelLock.run(work) : work());
      } catch (error) {
        // Permanent errors must not be retried; a cancelled run neither.
        if (isPermanentError(error) || (error instanceof CancelledError && !shutdown.signal.aborted)) {
          throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
        }
        throw error;
      }
    };
    const worker = new Worker(QUEUE_NAMES[stage], processor, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: isModelStage ? 1 : options.concurrency,
      lockDuration: options.stall.lockDurationMs,
      stalledInterval: options.stall.stalledIntervalMs,
      maxStalledCount: options.stall.maxStalledCount,
    });
    worker.on('error', (error) => options.deps.logger.warn({ stage, error: error.message }, 'worker error'));
    worker.on('active', (job) => options.deps.logger.info({ stage, jobId: job.id }, 'job taken'));
    worker.on('completed', (job) => options.deps.logger.info({ stage, jobId: job.id }, 'job finished'));
    worker.on('failed', (job, error) =>
      options.deps.logger.warn({ stage, jobId: job?.id, error: error.message }, 'job failed'),
    );
    return worker;
  });
  return {
    workers,
    async close(timeoutMs = 30_000) {
      shutdown.abort();
      // worker.close() has no deadline of its own and hangs while Redis is down.
      const closing = Promise.allSettled(workers.map((w) => w.close()));
      const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([closing, deadline]);
    },
  };
}

/**
 * Removes a run's jobs that have not started (waiting, delayed, waiting for children). Active jobs
 * are locked: they see the cancelled run within seconds and stop at their next safe point.
 */
export async function removeRunJobs(connection: Redis, prefix: string, plan: RunPlan): Promise<number> {
  let removed = 0;
  await forEachRunJob(connection, prefix, plan, async (job) => {
    const state = await job.getState();
    if (state === 'active' || state === 'completed') return;
    try {
      await job.remove({ removeChildren: false });
      removed++;
    } catch {
      // Locked by a worker in the meantime: it will see the cancelled run.
    }
  });
  return removed;
}
