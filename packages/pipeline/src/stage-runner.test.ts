import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, InvalidInputError, createLogger, loadConfig } from '@captioner/core';
import type { CaptionerConfig, ProgressUpdate } from '@captioner/core';
import {
  createRun,
  listRunLogs,
  createStageRuns,
  finishStage,
  markRunCancelled,
  startStage,
  getRun,
  getStage,
  openDatabase,
  setRunStatus,
  upsertDataset,
  WHOLE_RUN,
} from '@captioner/db';
import type { Database, StageKey } from '@captioner/db';
import type { StageContext } from '@captioner/stage-contract';
import type { StageHandlers } from './handlers';
import { StageFailedError, runStage } from './stage-runner';
import type { StageRunDeps } from './stage-runner';

/** Handlers that fail the test if called; each test replaces the one it runs. */
const unexpected = async () => {
  throw new Error('handler should not run');
};

describe('runStage (real SQLite)', () => {
  let home: string;
  let database: Database;
  let config: CaptionerConfig;
  let datasetId: string;
  let runId: string;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-stage-runner-'));
    config = loadConfig({ CAPTIONER_HOME: home, CAPTIONER_DB_RETRY_MS: '0' });
    database = await openDatabase(config.databaseUrl);
    const dataset = await upsertDataset(database.client, {
      name: 'd',
      format: 'manifest',
      sourcePath: home,
      manifestPath: path.join(home, 'manifest.json'),
      itemCount: 4,
      captionCount: 20,
      splits: { train: 4 },
      report: { problems: [] },
      problemCount: 0,
    });
    datasetId = dataset.id;
  });
  afterAll(async () => {
    await database.close();
    await fs.rm(home, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // A fresh run per test: two preprocess shards, training, the final evaluation.
    runId = (await createRun(database.client, { datasetId, config: {}, executor: 'local' })).id;
    await createStageRuns(database.client, [
      { runId, stage: 'preprocess', shard: 0 },
      { runId, stage: 'preprocess', shard: 1 },
      { runId, stage: 'train', shard: WHOLE_RUN },
      { runId, stage: 'evaluate', shard: WHOLE_RUN },
    ]);
  });

  const deps = (handlers: Partial<StageHandlers>, more: Partial<StageRunDeps> = {}): StageRunDeps => ({
    config,
    db: database.client,
    logger: createLogger('test', 'silent'),
    handlers: {
      preprocess: unexpected,
      extract: unexpected,
      train: unexpected,
      evaluate: unexpected,
      ...handlers,
    },
    workerId: 'worker-1',
    attempt: 1,
    maxAttempts: 3,
    signal: new AbortController().signal,
    ...more,
  });
  const shard0: StageKey = { runId: '', stage: 'preprocess', shard: 0 };
  const stageRow = (key: Partial<StageKey>) => getStage(database.client, { ...shard0, runId, ...key });
  const runRow = () => getRun(database.client, runId);

  it('runs the handler once, marks the stage succeeded and the run running', async () => {
    const seen: number[] = [];
    const outcome = await runStage(
      'preprocess',
      { runId, shard: 0 },
      deps({
        preprocess: async (payload) => {
          seen.push(payload.shard);
        },
      }),
    );
    expect(outcome).toBe('done');
    expect(seen).toEqual([0]);
    expect(await stageRow({})).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      progress: 1,
      workerId: 'worker-1',
    });
    expect((await stageRow({ shard: 1 }))?.status).toBe('pending');
    expect((await runRow()).status).toBe('running');
  });

  it('skips a stage that already succeeded without calling its handler or counting an attempt', async () => {
    await startStage(database.client, { runId, stage: 'preprocess', shard: 0 }, 'earlier-worker');
    await finishStage(database.client, { runId, stage: 'preprocess', shard: 0 }, 'succeeded');
    expect(await runStage('preprocess', { runId, shard: 0 }, deps({}))).toBe('skipped');
    // One attempt, the earlier worker's: skipping counts none.
    expect(await stageRow({})).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('stores progress and hands every update to the display', async () => {
    const shown: ProgressUpdate[] = [];
    const storedDuring: Array<{ progress: number; message: string | null } | null> = [];
    await runStage(
      'train',
      { runId },
      deps(
        {
          train: async (_payload, ctx: StageContext) => {
            // The first update is written at once; later ones at most once a second, the last always.
            await ctx.reportProgress({ fraction: 0.25, message: 'epoch 1' });
            storedDuring.push(await stageRow({ stage: 'train', shard: WHOLE_RUN }));
            await ctx.reportProgress({ fraction: 1, message: 'epoch 4' });
            storedDuring.push(await stageRow({ stage: 'train', shard: WHOLE_RUN }));
          },
        },
        { onProgress: (_stage, _key, update) => shown.push(update) },
      ),
    );
    expect(storedDuring.map((row) => [row?.progress, row?.message])).toEqual([
      [0.25, 'epoch 1'],
      [1, 'epoch 4'],
    ]);
    expect(shown.map((u) => u.fraction)).toEqual([0.25, 1]);
  });

  it('leaves a transient failure to be retried while attempts remain, then fails stage and run', async () => {
    const failing = deps({
      train: async () => {
        throw new Error('socket hang up');
      },
    });
    const first = runStage('train', { runId }, failing);
    await expect(first).rejects.toBeInstanceOf(StageFailedError);
    await expect(first).rejects.toMatchObject({ permanent: false });
    // Not final: the stage stays running (the queue retries it) and the run is not failed.
    expect(await stageRow({ stage: 'train', shard: WHOLE_RUN })).toMatchObject({
      status: 'running',
      attempts: 1,
    });
    expect((await runRow()).status).toBe('running');

    await expect(runStage('train', { runId }, { ...failing, attempt: 3 })).rejects.toThrow('socket hang up');
    expect(await stageRow({ stage: 'train', shard: WHOLE_RUN })).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'train: socket hang up',
    });
    expect(await runRow()).toMatchObject({ status: 'failed', error: 'train: socket hang up' });
  });

  it("stores the run's log lines: stage events, the retry, the final failure and the handler's warnings", async () => {
    await runStage(
      'preprocess',
      { runId, shard: 0 },
      deps({
        preprocess: async (_payload, ctx) => {
          ctx.logger.child({ file: 'x.jpg' }).warn({ error: 'bad EXIF' }, 'image skipped');
        },
      }),
    );
    const failing = deps({
      train: async () => {
        throw new Error('socket hang up');
      },
    });
    await expect(runStage('train', { runId }, failing)).rejects.toThrow('socket hang up');
    await expect(runStage('train', { runId }, { ...failing, attempt: 3 })).rejects.toThrow('socket hang up');
    const lines = (await listRunLogs(database.client, runId)).map((l) => [
      l.level,
      l.stage,
      l.shard,
      l.message,
    ]);
    expect(lines).toEqual([
      ['info', 'preprocess', 0, 'preprocess shard 0 started (attempt 1 of 3)'],
      ['warn', 'preprocess', 0, 'image skipped: bad EXIF'],
      ['info', 'preprocess', 0, 'preprocess shard 0 succeeded'],
      ['info', 'train', -1, 'train started (attempt 1 of 3)'],
      ['error', 'train', -1, 'stage failed, will retry (attempt 1 of 3): train: socket hang up'],
      ['info', 'train', -1, 'train started (attempt 3 of 3)'],
      ['error', 'train', -1, 'stage failed: train: socket hang up'],
    ]);
  });

  it('fails stage and run at the first attempt on a permanent error', async () => {
    const outcome = runStage(
      'preprocess',
      { runId, shard: 1 },
      deps({
        preprocess: async () => {
          throw new InvalidInputError('manifest.json line 3: no captions');
        },
      }),
    );
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
    expect(await stageRow({ shard: 1 })).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'preprocess shard 1: manifest.json line 3: no captions',
    });
    expect((await runRow()).status).toBe('failed');
  });

  it('does not start a stage of a cancelled run', async () => {
    await setRunStatus(database.client, runId, 'cancelled');
    await expect(runStage('preprocess', { runId, shard: 0 }, deps({}))).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(await stageRow({})).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('stops a running stage when its run is cancelled elsewhere and marks it cancelled', async () => {
    const outcome = runStage(
      'train',
      { runId },
      deps({
        train: async (_payload, ctx) => {
          // Cancelled by another process (`run cancel`, which marks the run's unfinished stages too):
          // the runner's poll of the run row aborts the signal.
          await markRunCancelled(database.client, runId);
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          throw new CancelledError('training stopped at step 12');
        },
      }),
    );
    await expect(outcome).rejects.toBeInstanceOf(CancelledError);
    expect(await stageRow({ stage: 'train', shard: WHOLE_RUN })).toMatchObject({ status: 'cancelled' });
    expect((await runRow()).status).toBe('cancelled');
  });

  it('on shutdown hands the stage back (pending) for another worker to take over', async () => {
    const shutdown = new AbortController();
    const outcome = runStage(
      'train',
      { runId },
      deps(
        {
          train: async (_payload, ctx) => {
            shutdown.abort();
            expect(ctx.signal.aborted).toBe(true);
            throw new CancelledError('training stopped at step 3');
          },
        },
        { signal: shutdown.signal },
      ),
    );
    await expect(outcome).rejects.toBeInstanceOf(CancelledError);
    expect((await stageRow({ stage: 'train', shard: WHOLE_RUN }))?.status).toBe('pending');
    expect((await runRow()).status).toBe('running');
  });

  it('closes the run when the final evaluation succeeds', async () => {
    await runStage(
      'evaluate',
      { runId, evaluationId: 'eval-1', trackStage: true },
      deps({ evaluate: async () => {} }),
    );
    expect((await stageRow({ stage: 'evaluate', shard: WHOLE_RUN }))?.status).toBe('succeeded');
    expect((await runRow()).status).toBe('succeeded');
  });
});
