import os from 'node:os';
import { createLogger } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { openDatabase } from '@captioner/db';
import type { StageKind } from '@captioner/db';
import { createWorkerConnection, startWorkerPool } from '@captioner/pipeline';
import { createStageHandlers } from './handlers';

export interface WorkerOptions {
  stages: StageKind[];
  concurrency: number;
  /** How long a shutdown waits for running jobs (training writes a checkpoint). @defaultValue 30000 */
  shutdownTimeoutMs?: number;
}

/**
 * Runs a worker process until SIGTERM or SIGINT: takes jobs of the chosen stages from Redis. On a
 * signal it stops taking jobs, lets running handlers stop at a safe point, and exits within
 * `shutdownTimeoutMs`. A second signal exits at once. (SIGKILL cannot be handled: BullMQ's stall
 * detection hands the job to another worker, which resumes from what was saved.)
 */
export async function runWorker(config: CaptionerConfig, options: WorkerOptions): Promise<void> {
  const logger = createLogger('worker', config.logLevel);
  if (!config.redisUrl) throw new Error('REDIS_URL is not set: `captioner worker` takes jobs from Redis');
  const database = await openDatabase(config.databaseUrl);
  const connection = createWorkerConnection(config.redisUrl);
  connection.on('error', (error) => logger.warn({ error: error.message }, 'redis connection error'));
  const workerId = `${os.hostname()}-${process.pid}`;
  const pool = startWorkerPool({
    connection,
    prefix: config.queuePrefix,
    stages: options.stages,
    concurrency: options.concurrency,
    stall: config.queue,
    deps: { config, db: database.client, logger, handlers: createStageHandlers(), workerId },
  });
  logger.info({ stages: options.stages, concurrency: options.concurrency, workerId }, 'worker started');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal }, 'stopping: no new jobs, waiting for running ones');
      void pool.close(options.shutdownTimeoutMs ?? 30_000).finally(() => resolve());
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  connection.disconnect();
  await database.close().catch(() => {});
  logger.info('worker stopped');
}
