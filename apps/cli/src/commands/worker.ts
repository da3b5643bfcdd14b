import type { Command } from 'commander';
import { UsageError } from '@captioner/core';
import { STAGE_KINDS } from '@captioner/db';
import type { StageKind } from '@captioner/db';
import { runWorker } from '@captioner/worker';
import { loadConfig } from '@captioner/core';
import { positiveIntOption, nonNegativeIntOption } from '../options';
import { pinGpu } from '../services/gpu';

function parseStages(value: string): StageKind[] {
  const stages = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const stage of stages) {
    if (!(STAGE_KINDS as readonly string[]).includes(stage)) {
      throw new UsageError(`--stages: unknown stage "${stage}" (choose from ${STAGE_KINDS.join(', ')})`);
    }
  }
  return stages as StageKind[];
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('take stage jobs from Redis (REDIS_URL) until SIGTERM/SIGINT')
    .option('--stages <list>', `comma-separated stages (${STAGE_KINDS.join(',')})`, STAGE_KINDS.join(','))
    .option(
      '--concurrency <n>',
      'parallel preprocess jobs (model stages run one at a time)',
      positiveIntOption,
      1,
    )
    .option(
      '--shutdown-timeout <ms>',
      'how long a shutdown waits for running jobs',
      positiveIntOption,
      30_000,
    )
    .option(
      '--gpu <n>',
      'use only GPU n (sets CUDA_VISIBLE_DEVICES before tfjs loads): run one worker per GPU',
      nonNegativeIntOption,
    )
    .option(
      '--redis-timeout <seconds>',
      'exit with an error when Redis stays unreachable this long',
      positiveIntOption,
      300,
    )
    .action(async (opts) => {
      const config = loadConfig();
      if (!config.redisUrl) throw new UsageError('REDIS_URL is not set: a worker takes its jobs from Redis');
      if (opts.gpu !== undefined) pinGpu(opts.gpu, process.env);
      await runWorker(config, {
        stages: parseStages(opts.stages),
        concurrency: opts.concurrency,
        shutdownTimeoutMs: opts.shutdownTimeout,
        redisGiveUpMs: opts.redisTimeout * 1000,
      });
    });
}
