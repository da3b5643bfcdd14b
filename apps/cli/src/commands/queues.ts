import type { Command } from 'commander';
import { UsageError } from '@captioner/core';
import { createProducerConnection, queueStatus } from '@captioner/pipeline';
import { withContext } from '../context';
import { printJson, printTable } from '../output';

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
          printTable(
            ['stage', 'waiting', 'active', 'delayed', 'failed', 'completed', 'workers'],
            status.map((q) => [
              q.stage,
              q.jobs.waiting + q.jobs['waiting-children'],
              q.jobs.active,
              q.jobs.delayed,
              q.jobs.failed,
              q.jobs.completed,
              q.workers,
            ]),
          );
        } finally {
          connection.disconnect();
        }
      }),
    );
}
