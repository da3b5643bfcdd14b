import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { STAGE_KINDS } from '@captioner/db';
import type { StageKind } from '@captioner/db';
import { QUEUE_NAMES } from './queues';

/** The job states a user scaling workers looks at. */
export const QUEUE_JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'completed',
  'waiting-children',
] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

/** One stage queue: how many jobs are in each state and how many worker connections take its jobs. */
export interface QueueStatus {
  stage: StageKind;
  queue: string;
  jobs: Record<QueueJobState, number>;
  /** BullMQ workers connected to this queue (one per stage per `captioner worker` process). */
  workers: number;
}

/**
 * The state of every stage queue under `prefix`: what to look at before adding or removing workers
 * (many waiting jobs and few workers means scale up). Counts come from BullMQ; workers from Redis'
 * CLIENT LIST, where BullMQ names each worker connection after its queue.
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
      out.push({ stage, queue: QUEUE_NAMES[stage], jobs, workers: await queue.getWorkersCount() });
    } finally {
      await queue.close();
    }
  }
  return out;
}
