import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { STAGE_KINDS } from '@captioner/db';
import type { StageKind } from '@captioner/db';
import { QUEUE_NAMES } from './queues';

/**
 * The job states a user scaling workers looks at. `waiting` jobs can start now (more workers help);
 * `waiting-children` jobs wait for their flow's earlier stages (more workers of this stage do not).
 */
export const QUEUE_JOB_STATES = [
  'waiting',
  'waiting-children',
  'active',
  'delayed',
  'failed',
  'completed',
] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

/**
 * An active job that no live worker holds, so it reads `active` until stall detection gives it back
 * (up to lock duration + stalled interval): `lock expired` (its worker stopped renewing the lock:
 * killed, or its event loop blocked), `worker gone` (the lock is still there but the worker that took
 * the job has no connection to Redis any more).
 */
export interface StaleActiveJob {
  jobId: string;
  reason: 'lock expired' | 'worker gone';
  /** The worker that took the job (its `workerId`), when it had a name. */
  worker: string | null;
}

/** One stage queue: how many jobs are in each state and how many worker connections take its jobs. */
export interface QueueStatus {
  stage: StageKind;
  queue: string;
  jobs: Record<QueueJobState, number>;
  /** BullMQ workers connected to this queue (one per stage per `captioner worker` process). */
  workers: number;
  /** Active jobs whose lock has expired or whose worker is gone (see StaleActiveJob). */
  stale: StaleActiveJob[];
}

/** Active jobs examined per queue: far more than the workers of a cluster run at once. */
const MAX_ACTIVE_CHECKED = 1000;

/**
 * The state of every stage queue under `prefix`: what to look at before adding or removing workers
 * (many waiting jobs and few workers means scale up). Counts come from BullMQ; workers from Redis'
 * CLIENT LIST, where BullMQ names each worker connection after its queue (and the worker's name);
 * the lock of an active job is BullMQ's key `<prefix>:<queue>:<jobId>:lock`.
 */
export async function queueStatus(connection: Redis, prefix: string): Promise<QueueStatus[]> {
  const out: QueueStatus[] = [];
  for (const stage of STAGE_KINDS) {
    const queue = new Queue(QUEUE_NAMES[stage], { connection, prefix });
    try {
      // `prioritized` jobs are waiting too (BullMQ keeps them in their own set).
      const counts = await queue.getJobCounts(...QUEUE_JOB_STATES, 'prioritized');
      const jobs = Object.fromEntries(QUEUE_JOB_STATES.map((state) => [state, counts[state] ?? 0])) as Record<
        QueueJobState,
        number
      >;
      jobs.waiting += counts.prioritized ?? 0;
      const workers = await queue.getWorkers();
      const stale = jobs.active > 0 ? await staleActiveJobs(connection, queue, workers) : [];
      out.push({ stage, queue: QUEUE_NAMES[stage], jobs, workers: workers.length, stale });
    } finally {
      await queue.close();
    }
  }
  return out;
}

/** How many worker connections take jobs from one stage's queue. */
export async function countStageWorkers(
  connection: Redis,
  prefix: string,
  stage: StageKind,
): Promise<number> {
  const queue = new Queue(QUEUE_NAMES[stage], { connection, prefix });
  try {
    return await queue.getWorkersCount();
  } finally {
    await queue.close();
  }
}

async function staleActiveJobs(
  connection: Redis,
  queue: Queue,
  workers: Array<Record<string, string>>,
): Promise<StaleActiveJob[]> {
  const active = (await queue.getActive(0, MAX_ACTIVE_CHECKED - 1)).filter((job) => job.id !== undefined);
  if (active.length === 0) return [];
  const locks = await connection.mget(...active.map((job) => queue.toKey(`${job.id}:lock`)));
  // Named workers' connections are `<queue client name>:w:<worker name>` (BullMQ reports it as
  // `rawname`); a job records the name of the worker that took it in `processedBy`.
  const named = new Set(
    workers.map((w) => w.rawname?.split(':w:')[1]).filter((name): name is string => Boolean(name)),
  );
  const stale: StaleActiveJob[] = [];
  active.forEach((job, index) => {
    const worker = job.processedBy ?? null;
    if (locks[index] === null) stale.push({ jobId: job.id!, reason: 'lock expired', worker });
    else if (worker ? !named.has(worker) : workers.length === 0)
      stale.push({ jobId: job.id!, reason: 'worker gone', worker });
  });
  return stale;
}
