import fs from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '@captioner/test-services';
import { createScratchDatabase, openDatabase } from '@captioner/db';
import type { Database, ScratchDatabase } from '@captioner/db';
import { runCli, runCliJson, waitForExit } from '../testing/cli';
import {
  FAST_STALL_ENV,
  PrivateRedis,
  TcpProxy,
  WorkerSet,
  viaPort,
  logLines,
  makeTempHome,
  uniquePrefix,
  waitUntil,
} from '../testing/faults';
import type { WorkerProcess } from '../testing/faults';
import {
  FAULT_IMAGES,
  expectFinishedRun,
  finalWeightsHash,
  runStatus,
  startRun,
  synthDataset,
  writeFaultConfig,
} from './harness';

/**
 * Real `captioner worker` processes on real Redis and PostgreSQL, killed at chosen moments. One data set
 * and database for the file; every test has its own run and its own queue prefix, so no test sees
 * another's jobs. Stall detection is shortened (lock 4 s, check every 2 s) through the worker settings.
 */
const REDIS_URL = testRedisUrl();
const SHARDS = FAULT_IMAGES / 8;
const DATASET = 'faults';

type StageRow = { shard: number; status: string; attempts: number; workerId: string | null };

/**
 * After a SIGKILL: stages finished before it were not run again; the one it interrupted (still `running`
 * in the database, as nobody was left to update it) was taken over by `successor` on a second attempt.
 */
function expectTakenOver(
  before: StageRow[],
  after: StageRow[],
  killedShard: number,
  successor: WorkerProcess,
): void {
  for (const row of before.filter((r) => r.status === 'succeeded')) expect(after[row.shard].attempts).toBe(1);
  const killed = before[killedShard];
  if (killed.status === 'running') {
    expect(after[killedShard].attempts).toBe(2);
    expect(after[killedShard].workerId).toMatch(new RegExp(`-${successor.pid}$`));
  }
  expect(after.every((r) => r.attempts <= 2)).toBe(true);
}

describe('workers that die mid-job (BullMQ on Redis, PostgreSQL)', () => {
  let home: string;
  let scratch: ScratchDatabase;
  let database: Database;
  let configFile: string;
  let env: NodeJS.ProcessEnv;
  /** Final weights of a run nothing interrupted; every other run must end with the same. */
  let reference: { step: number; sha256: string } | undefined;
  const workers = new WorkerSet(() => env);

  beforeAll(async () => {
    home = await makeTempHome('faults');
    scratch = await createScratchDatabase('postgresql');
    database = await openDatabase(scratch.url);
    configFile = await writeFaultConfig(home);
    env = {
      CAPTIONER_HOME: home,
      DATABASE_URL: scratch.url,
      REDIS_URL,
      CAPTIONER_LOG_LEVEL: 'info',
      ...FAST_STALL_ENV,
    };
    await synthDataset(home, env, DATASET);
  });
  afterEach(async () => {
    await workers.stopAll();
  });
  afterAll(async () => {
    if (process.env.FAULT_KEEP) {
      console.log(`kept ${home} and ${scratch.url}`);
      return;
    }
    await database?.close();
    await scratch?.drop();
    await fs.rm(home, { recursive: true, force: true });
  });

  const db = () => database.client;
  /** A fresh queue prefix: the test's workers and runs are alone on the shared Redis. */
  const isolate = (label: string) => {
    env = { ...env, CAPTIONER_QUEUE_PREFIX: uniquePrefix(label) };
  };
  /** Waits for the run to end; a failed run's message and the workers' logs come with the status. */
  const waitForRun = async (runId: string, timeoutMs = 240_000) => {
    const status = await waitUntil(
      `run ${runId} to end`,
      async () => {
        const current = await runStatus(db(), runId);
        return ['succeeded', 'failed', 'cancelled'].includes(current) && current;
      },
      { timeoutMs, intervalMs: 500, context: () => workers.output() },
    );
    if (status !== 'succeeded') {
      const run = await db().run.findUniqueOrThrow({ where: { id: runId } });
      return `${status}: ${run.error}\n${workers.output()}`;
    }
    return status;
  };
  /**
   * Resolves once `worker` has started its `n`-th stage of `stage` (logged after the StageRun row was marked
   * running, so a kill from here on interrupts that stage unless it finished meanwhile); gives its shard.
   */
  const waitForStarted = async (worker: WorkerProcess, stage: string, n = 1): Promise<number> => {
    const line = await waitUntil(
      `${stage} stage #${n} started`,
      () => logLines(worker).filter((l) => l.msg === 'stage started' && l.stage === stage)[n - 1],
      {
        intervalMs: 20,
        context: () => workers.output(),
      },
    );
    return line.shard as number;
  };
  /**
   * The run ended with the reference weights. Without a reference (its test was filtered out or failed)
   * this fails: a comparison that silently does not happen would let a resume bug pass.
   */
  const expectReferenceWeights = async (runId: string) => {
    if (!reference)
      throw new Error(
        'no reference weights: the uninterrupted run (the first test of this file) did not run or did not finish',
      );
    expect(await finalWeightsHash(db(), runId)).toEqual(reference);
  };
  const stageRows = (runId: string, stage: string) =>
    db().stageRun.findMany({ where: { runId, stage }, orderBy: { shard: 'asc' } });

  it('four preprocessing workers share the shards: every shard exists once with a valid checksum', async () => {
    isolate('four');
    const preprocessors = Array.from({ length: 4 }, () => workers.start(['--stages', 'preprocess']));
    workers.start(['--stages', 'extract,train,evaluate']);
    const runId = await startRun(env, DATASET, configFile);
    await waitUntil(
      'preprocessing done',
      async () => (await stageRows(runId, 'preprocess')).every((s) => s.status === 'succeeded'),
      { intervalMs: 200 },
    );
    // Their work is done; stopping them (SIGTERM, clean exit) gives training the machine.
    for (const worker of preprocessors) worker.kill('SIGTERM');
    for (const worker of preprocessors) expect(await waitForExit(worker)).toBe(0);
    expect(await waitForRun(runId)).toBe('succeeded');
    await expectFinishedRun(db(), runId, SHARDS);
    // Nothing crashed: every stage ran exactly once.
    for (const stage of await db().stageRun.findMany({ where: { runId } }))
      expect(stage.attempts, `${stage.stage} ${stage.shard}`).toBe(1);
    const preprocessWorkers = new Set((await stageRows(runId, 'preprocess')).map((s) => s.workerId));
    expect(preprocessWorkers.size).toBeGreaterThan(1);
    reference = await finalWeightsHash(db(), runId);
  });

  it('SIGKILL during preprocessing: the shard is taken over after stall detection, complete shards are kept', async () => {
    isolate('kill-pre');
    const first = workers.start(['--stages', 'preprocess']);
    const runId = await startRun(env, DATASET, configFile);
    const killedShard = await waitForStarted(first, 'preprocess', 3);
    first.kill('SIGKILL');
    await waitForExit(first);
    const before = await stageRows(runId, 'preprocess');
    const second = workers.start(['--stages', 'preprocess']);
    workers.start(['--stages', 'extract,train,evaluate']);
    expect(await waitForRun(runId)).toBe('succeeded');
    await expectFinishedRun(db(), runId, SHARDS);
    expectTakenOver(before, await stageRows(runId, 'preprocess'), killedShard, second);
  });

  it('SIGKILL during extraction: the shard is taken over, the run ends with the reference weights', async () => {
    isolate('kill-ext');
    workers.start(['--stages', 'preprocess', '--concurrency', '2']);
    const model = workers.start(['--stages', 'extract,train,evaluate']);
    const runId = await startRun(env, DATASET, configFile);
    const killedShard = await waitForStarted(model, 'extract', 2);
    model.kill('SIGKILL');
    await waitForExit(model);
    const before = await stageRows(runId, 'extract');
    const second = workers.start(['--stages', 'extract,train,evaluate']);
    expect(await waitForRun(runId)).toBe('succeeded');
    await expectFinishedRun(db(), runId, SHARDS);
    expectTakenOver(before, await stageRows(runId, 'extract'), killedShard, second);
    await expectReferenceWeights(runId);
  });

  it('SIGKILL during training at a random step: training continues from its last checkpoint to the same weights', async () => {
    isolate('kill-train');
    workers.start(['--stages', 'preprocess', '--concurrency', '2']);
    const model = workers.start(['--stages', 'extract,train,evaluate']);
    const runId = await startRun(env, DATASET, configFile);
    // A random checkpoint step of the first epoch and a bit; the kill lands somewhere after it.
    const killAfter = 2 * (2 + Math.floor(Math.random() * 8));
    const checkpoint = await waitUntil(
      `a checkpoint at step >= ${killAfter}`,
      async () => {
        const row = await db().checkpoint.findFirst({ where: { runId, step: { gte: killAfter } } });
        if (row) return row;
        const status = await runStatus(db(), runId);
        if (status !== 'running' && status !== 'queued')
          throw new Error(`run ended (${status}) before step ${killAfter}\n${workers.output()}`);
        return undefined;
      },
      { intervalMs: 50, context: () => workers.output() },
    );
    model.kill('SIGKILL');
    await waitForExit(model);
    const [train] = await stageRows(runId, 'train');
    expect(train.status, `killed after step ${checkpoint.step}`).toBe('running');
    const stepsBefore = (await db().checkpoint.findMany({ where: { runId } })).map((c) => c.step);
    const second = workers.start(['--stages', 'extract,train,evaluate']);
    expect(await waitForRun(runId)).toBe('succeeded');
    await expectFinishedRun(db(), runId, SHARDS);
    const [after] = await stageRows(runId, 'train');
    expect(after.attempts).toBe(2);
    expect(after.workerId).toMatch(new RegExp(`-${second.pid}$`));
    // The restarted training began from the newest checkpoint, not from step 0.
    const resumedFrom = logLines(second).find((l) => l.msg === 'stage started' && l.stage === 'train');
    expect(resumedFrom).toBeDefined();
    expect(Math.max(...stepsBefore)).toBeGreaterThanOrEqual(killAfter);
    await expectReferenceWeights(runId);
  });

  it('Redis restarted mid-run: workers reconnect, no job is lost, the run finishes', async () => {
    isolate('redis');
    const redis = await PrivateRedis.start(`${home}/redis-${Date.now()}`);
    try {
      const redisEnv = { REDIS_URL: redis.url };
      workers.start(['--stages', 'preprocess'], redisEnv);
      const model = workers.start(['--stages', 'extract,train,evaluate'], redisEnv);
      const runId = await startRun({ ...env, ...redisEnv }, DATASET, configFile);
      await waitForStarted(model, 'extract', 2);
      await redis.restart(1500);
      expect(await waitForRun(runId)).toBe('succeeded');
      await expectFinishedRun(db(), runId, SHARDS);
      // Said once per outage (apps/worker/src/redis-watch.ts), not once per retry.
      expect(workers.output(100_000)).toMatch(/Redis unreachable; retrying with backoff/);
      expect(workers.output(100_000)).toMatch(/Redis reachable again/);
      await expectReferenceWeights(runId);
    } finally {
      await workers.stopAll();
      await redis.stop();
    }
  });

  it('run cancel stops an active run within seconds; run resume re-enqueues it and it finishes', async () => {
    isolate('cancel');
    workers.start(['--stages', 'preprocess', '--concurrency', '2']);
    const model = workers.start(['--stages', 'extract,train,evaluate']);
    // Longer training than the other runs, so that the cancel (a CLI start-up away) lands while it runs.
    const runId = await startRun(env, DATASET, configFile, ['--set', 'training.epochs=12']);
    await waitForStarted(model, 'train');
    const cancelled = await runCli(['run', 'cancel', runId], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    // The active training job polls its run's status, stops at its next step and checkpoints.
    await waitUntil(
      'the training job to stop',
      () => logLines(model).some((l) => l.msg === 'stage stopped' && l.stage === 'train'),
      {
        timeoutMs: 60_000,
        context: () => workers.output(),
      },
    );
    expect(await runStatus(db(), runId)).toBe('cancelled');
    const [train] = await stageRows(runId, 'train');
    expect(train.status).toBe('cancelled');
    expect(train.error).toMatch(/cancel/);

    const resumed = await runCliJson<{ id: string; status: string }>(['run', 'resume', runId], env);
    // Re-enqueued: `resume` reads the run back after enqueueing, and an idle worker may have taken it by then.
    expect(['queued', 'running']).toContain(resumed.status);
    expect(await waitForRun(runId)).toBe('succeeded');
    await expectFinishedRun(db(), runId, SHARDS);
    // Shards were not redone; training continued from the checkpoint written when it stopped.
    for (const row of await db().stageRun.findMany({
      where: { runId, stage: { in: ['preprocess', 'extract'] } },
    }))
      expect(row.attempts).toBe(1);
    expect((await stageRows(runId, 'train'))[0].attempts).toBe(2);
  });

  it('the database unreachable for a while: stages retry their writes and the run finishes, nothing recorded twice', async () => {
    isolate('db');
    const postgres = new URL(scratch.url);
    const proxy = await TcpProxy.start(postgres.hostname, Number(postgres.port || 5432));
    try {
      const viaProxy = { DATABASE_URL: viaPort(scratch.url, proxy.port) };
      workers.start(['--stages', 'preprocess'], viaProxy);
      const model = workers.start(['--stages', 'extract,train,evaluate'], viaProxy);
      const runId = await startRun(env, DATASET, configFile);
      await waitForStarted(model, 'extract', 2);
      proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, 6000));
      proxy.restore();
      expect(await waitForRun(runId)).toBe('succeeded');
      await expectFinishedRun(db(), runId, SHARDS);
      expect(workers.output(1_000_000)).toMatch(/database unreachable, retrying/);
      // Retried writes landed once: one row per stage key, per shard, per checkpoint step, per metric point.
      const metrics = await db().metric.findMany({ where: { runId } });
      expect(new Set(metrics.map((m) => `${m.name}@${m.step}`)).size).toBe(metrics.length);
      await expectReferenceWeights(runId);
    } finally {
      await workers.stopAll();
      await proxy.close();
    }
  });

  it('SIGTERM during training: the worker checkpoints, exits 0 in bounded time, and another worker finishes the run', async () => {
    isolate('term');
    workers.start(['--stages', 'preprocess', '--concurrency', '2']);
    const model = workers.start(['--stages', 'extract,train,evaluate', '--shutdown-timeout', '20000']);
    const runId = await startRun(env, DATASET, configFile);
    await waitUntil('a training checkpoint', () => db().checkpoint.findFirst({ where: { runId } }), {
      intervalMs: 50,
      context: () => workers.output(),
    });
    model.kill('SIGTERM');
    expect(await waitForExit(model, 30_000)).toBe(0);
    const lines = logLines(model);
    expect(lines.some((l) => l.msg === 'stage stopped' && l.stage === 'train')).toBe(true);
    expect(lines.some((l) => l.msg === 'worker stopped')).toBe(true);
    // The stage goes back to pending (to be taken over), with the checkpoint written on the way out.
    const [train] = await stageRows(runId, 'train');
    expect(train.status).toBe('pending');
    workers.start(['--stages', 'extract,train,evaluate']);
    expect(await waitForRun(runId)).toBe('succeeded');
    await expectFinishedRun(db(), runId, SHARDS);
    await expectReferenceWeights(runId);
  });
});
