import os from 'node:os';
import { ConfigError, createLogger, warnOnFailure } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { openDatabase } from '@captioner/db';
import type { StageKind } from '@captioner/db';
import { createWorkerConnection, startWorkerPool } from '@captioner/pipeline';
import { releaseInferenceSessions } from '@captioner/feature-extraction';
import { createStageHandlers } from './handlers';
import { watchRedis } from './redis-watch';

export interface WorkerOptions {
  stages: StageKind[];
  concurrency: number;
  /** How long a shutdown waits for running jobs (training writes a checkpoint). @defaultValue 30000 */
  shutdownTimeoutMs?: number;
  /** How long Redis may stay unreachable before the worker exits with an error. @defaultValue 300000 */
  redisGiveUpMs?: number;
}

/**
 * Runs a worker process until SIGTERM or SIGINT: takes jobs of the chosen stages from Redis. On a
 * signal it stops taking jobs, lets running handlers stop at a safe point, and exits within
 * `shutdownTimeoutMs`. A second signal exits at once. (SIGKILL cannot be handled: BullMQ's stall
 * detection hands the job to another worker, which resumes from what was saved.)
 */
export async function runWorker(config: CaptionerConfig, options: WorkerOptions): Promise<void> {
  const logger = createLogger('worker', config.logLevel);
  if (!config.redisUrl)
    throw new ConfigError('REDIS_URL is not set: `captioner worker` takes jobs from Redis');
  const database = await openDatabase(config.databaseUrl);
  const connection = createWorkerConnection(config.redisUrl);
  const workerId = `${os.hostname()}-${process.pid}`;
  const redis = watchRedis(connection, {
    url: config.redisUrl,
    giveUpMs: options.redisGiveUpMs ?? 300_000,
    logger,
    onReady: () =>
      logger.info({ stages: options.stages, concurrency: options.concurrency, workerId }, 'worker started'),
  });
  const pool = startWorkerPool({
    connection,
    prefix: config.queuePrefix,
    stages: options.stages,
    concurrency: options.concurrency,
    stall: config.queue,
    deps: { config, db: database.client, logger, handlers: createStageHandlers(), workerId },
  });

  const stopped = new Promise<void>((resolve) => {
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
  try {
    await Promise.race([stopped, redis.gaveUp]);
  } finally {
    redis.stop();
    // After giving up, running jobs have nothing to report to: a short deadline is enough.
    await pool.close(1000);
    await releaseInferenceSessions();
    connection.disconnect();
    await database.close().catch(warnOnFailure(logger, 'closing the database'));
    logger.info('worker stopped');
  }
}
