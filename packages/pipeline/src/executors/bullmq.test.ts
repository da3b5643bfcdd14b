import { testRedisUrl } from '@captioner/test-services';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, createLogger, loadConfig } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import {
  STAGE_KINDS,
  WHOLE_RUN,
  createEvaluation,
  createRun,
  createScratchDatabase,
  createStageRuns,
  getRun,
  getStage,
  newId,
  openDatabase,
  upsertDataset,
} from '@captioner/db';
import type { Database, DbClient, ScratchDatabase } from '@captioner/db';
import type { StageContext } from '@captioner/stage-contract';
import type { StageHandlers } from '../handlers';
import { QUEUE_NAMES, stageJobId } from '../queues';
import { createProducerConnection, createWorkerConnection } from '../redis';
import type { RunPlan } from '../run-plan';
import { planStageKeys } from '../run-plan';
import { enqueueRunFlow, startWorkerPool } from './bullmq';
import type { WorkerPoolOptions } from './bullmq';

const REDIS_URL = testRedisUrl();

// Real Redis (a prefix of its own) and a scratch SQLite database; the stage handlers are stand-ins.
const prefix = `test-${randomBytes(4).toString('hex')}`;
let scratch: ScratchDatabase;
let database: Database;
let db: DbClient;
let config: CaptionerConfig;
let home: string;
let producer: Redis;
let datasetId: string;
const connections: Redis[] = [];

const ok = async () => {};
/** A handler that works until asked to stop, then stops at its safe point (as training does). */
const untilStopped = async (_payload: unknown, ctx: StageContext) => {
  if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
  throw new CancelledError('stopped at a safe point');
};

function pool(handlers: Partial<StageHandlers>, stall: WorkerPoolOptions['stall']) {
  const connection = createWorkerConnection(REDIS_URL);
  connections.push(connection);
  return startWorkerPool({
    connection,
    prefix,
    stages: [...STAGE_KINDS],
    concurrency: 1,
    stall,
    deps: {
      config,
      db,
      logger: createLogger('test', 'silent'),
      handlers: { preprocess: ok, extract: ok, train: ok, evaluate: ok, ...handlers },
      workerId: `test-${connections.length}`,
    },
  });
}

const DEFAULT_STALL = { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1 };

async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | false | null | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A run of one shard, its rows written as `createRunWithPlan` writes them, enqueued as a flow. */
async function enqueuedRun(): Promise<RunPlan> {
  const run = await createRun(db, { datasetId, config: {}, executor: 'bullmq' });
  const evaluationId = newId('eval');
  const plan: RunPlan = {
    runId: run.id,
    shards: 1,
    evaluation: {
      runId: run.id,
      evaluationId,
      checkpoint: 'best',
      split: 'test',
      beamSize: 1,
      lengthPenalty: 0,
      noRepeatNgramSize: 0,
      maxImages: 0,
      trackStage: true,
    },
  };
  await createStageRuns(db, planStageKeys(plan));
  await createEvaluation(db, {
    id: evaluationId,
    runId: run.id,
    checkpointId: null,
    split: 'test',
    isFinal: true,
    settings: {},
  });
  await enqueueRunFlow(producer, prefix, plan);
  return plan;
}

const trainKey = (runId: string) => ({ runId, stage: 'train' as const, shard: WHOLE_RUN });

beforeAll(async () => {
  scratch = await createScratchDatabase('sqlite');
  database = await openDatabase(scratch.url);
  db = database.client;
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-bullmq-'));
  config = loadConfig({ CAPTIONER_HOME: home, DATABASE_URL: scratch.url, CAPTIONER_LOG_LEVEL: 'silent' });
  producer = await createProducerConnection(REDIS_URL);
  const dataset = await upsertDataset(db, {
    name: 'stand-in',
    format: 'manifest',
    sourcePath: home,
    manifestPath: path.join(home, 'manifest.json'),
    itemCount: 1,
    captionCount: 1,
    splits: { train: 1, test: 1 },
    report: { problems: [] },
    problemCount: 0,
  });
  datasetId = dataset.id;
});

afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  const keys = await producer.keys(`${prefix}:*`);
  if (keys.length > 0) await producer.del(...keys);
  producer.disconnect();
  await database?.close();
  await scratch?.drop();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe('BullMQ executor on real Redis', () => {
  it('a graceful stop does not consume an attempt: more stops than attempts, and the run still finishes', async () => {
    const plan = await enqueuedRun();
    // One more graceful stop than the job has attempts (STAGE_JOB_OPTIONS.attempts is 4).
    for (let stop = 1; stop <= 5; stop++) {
      const workers = pool({ train: untilStopped }, DEFAULT_STALL);
      await waitUntil(`training taken for the ${stop}. time`, async () => {
        const stage = await getStage(db, trainKey(plan.runId));
        return stage?.status === 'running' && stage.attempts === stop;
      });
      await workers.close(10_000);
      expect((await getStage(db, trainKey(plan.runId)))?.status).toBe('pending');
    }
    const workers = pool({}, DEFAULT_STALL);
    try {
      await waitUntil(
        'the run to succeed',
        async () => (await getRun(db, plan.runId)).status === 'succeeded',
      );
    } finally {
      await workers.close(10_000);
    }
    const queue = new Queue(QUEUE_NAMES.train, { connection: producer, prefix });
    try {
      expect((await queue.getJob(stageJobId(plan.runId, 'train', 'all')))?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it('when the queue gives up on a job (stalled more than allowed), the run row says so', async () => {
    const plan = await enqueuedRun();
    // No crash allowed, and locks that expire fast: a worker that vanishes fails its job at once.
    const strict = { lockDurationMs: 1000, stalledIntervalMs: 500, maxStalledCount: 0 };
    const vanishing = pool({ train: () => new Promise<void>(() => {}) }, strict);
    await waitUntil(
      'training taken',
      async () => (await getStage(db, trainKey(plan.runId)))?.status === 'running',
    );
    // As a killed process: no graceful stop, no more lock renewals.
    await Promise.all(vanishing.workers.map((worker) => worker.close(true)));
    const survivor = pool({}, strict);
    try {
      const run = await waitUntil('the run to be marked failed', async () => {
        const current = await getRun(db, plan.runId);
        return current.status === 'failed' && current;
      });
      expect(run.error).toMatch(
        /^train: the queue gave up on the job: job stalled more than allowable limit/,
      );
      expect((await getStage(db, trainKey(plan.runId)))?.status).toBe('failed');
    } finally {
      await survivor.close(10_000);
    }
  });
});
