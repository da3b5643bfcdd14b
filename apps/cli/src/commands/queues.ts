import type { Command } from 'commander';
import { UsageError } from '@captioner/core';
import { createProducerConnection, queueStatus } from '@captioner/pipeline';
import type { StaleActiveJob } from '@captioner/pipeline';
import { withContext } from '../context';
import { printJson, printLine, printTable } from '../output';

export function registerQueuesCommand(program: Command): void {
  program
    .command('queues')
    .description('jobs per state and connected workers of every stage queue (REDIS_URL): what to scale')
    .option('--json', 'print as JSON')
    .action(async (opts) =>
      withContext(async (ctx) => {
        if (!ctx.config.redisUrl) throw new UsageError('REDIS_URL is not set: queues live in Redis');
        const connection = await createProducerConnection(ctx.config.redisUrl);
        try {
          const status = await queueStatus(connection, ctx.config.queuePrefix);
          if (opts.json) {
            printJson(status);
            return;
          }
          // waiting: can start now (more workers help); waiting-children: blocked by earlier stages.
          printTable(
            [
              'stage',
              'waiting',
              'waiting-children',
              'active',
              'stale',
              'delayed',
              'failed',
              'completed',
              'workers',
            ],
            status.map((q) => [
              q.stage,
              q.jobs.waiting,
              q.jobs['waiting-children'],
              q.jobs.active,
              q.stale.length,
              q.jobs.delayed,
              q.jobs.failed,
              q.jobs.completed,
              q.workers,
            ]),
          );
          for (const q of status) for (const job of q.stale) printLine(describeStaleJob(q.stage, job));
        } finally {
          connection.disconnect();
        }
      }),
    );
}

/** One line per stale active job: what is wrong and what happens next. */
function describeStaleJob(stage: string, job: StaleActiveJob): string {
  const worker = job.worker ? `worker ${job.worker}` : 'its worker';
  return job.reason === 'lock expired'
    ? `${stage} job ${job.jobId}: active, but ${worker} stopped renewing its lock (killed or blocked); stall detection will hand it to another worker`
    : `${stage} job ${job.jobId}: active, but ${worker} is no longer connected; stall detection will hand it to another worker once its lock expires`;
}
