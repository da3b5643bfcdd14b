import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelledError,
  ConnectionError,
  IllegalTransitionError,
  InvalidInputError,
  createLogger,
  loadConfig,
} from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import {
  RUN_STATUSES,
  createRun as createRunRow,
  createScratchDatabase,
  openDatabase,
  recordCheckpoint,
  runDetailsView,
  runListView,
  upsertDataset,
} from '@captioner/db';
import type { Database, DbClient, RunStatus, ScratchDatabase } from '@captioner/db';
import { readManifest, synthesizeShapes, writeManifest } from '@captioner/dataset';
import { runEvaluationLocally, runPipelineLocally } from './executors/local';
import type { LocalDeps } from './executors/local';
import type { StageHandlers } from './handlers';
import { cancelRun, requestEvaluation, resumeRun, startRun } from './operations';
import type { OperationContext } from './operations';
import type { RunPlan } from './run-plan';
import { recordAbandonedJob, runStage } from './stage-runner';

// Real parts: a scratch SQLite database and a synthesized data set; the stage handlers are stand-ins
// (what is under test is the bookkeeping around them, not the stages).
let scratch: ScratchDatabase;
let database: Database;
let db: DbClient;
let home: string;
let config: CaptionerConfig;
let manifestFile: string;

const ok = async () => {};
const OK_HANDLERS: StageHandlers = { preprocess: ok, extract: ok, train: ok, evaluate: ok };

function localDeps(handlers: Partial<StageHandlers> = {}, signal = new AbortController().signal): LocalDeps {
  return {
    config,
    db,
    logger: createLogger('test', 'silent'),
    handlers: { ...OK_HANDLERS, ...handlers },
    workerId: 'test',
    signal,
    maxAttempts: 1,
  };
}

function operations(local: Partial<NonNullable<OperationContext['local']>> = {}): OperationContext {
  return {
    config,
    db,
    local: {
      runPlan: (plan) => runPipelineLocally(plan, localDeps()),
      evaluate: (payload) => runEvaluationLocally(payload, localDeps()),
      ...local,
    },
  };
}

const failing = async () => {
  throw new InvalidInputError('the handler failed');
};

beforeAll(async () => {
  scratch = await createScratchDatabase('sqlite');
  database = await openDatabase(scratch.url);
  db = database.client;
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-operations-'));
  config = loadConfig({ CAPTIONER_HOME: home, DATABASE_URL: scratch.url, CAPTIONER_LOG_LEVEL: 'silent' });
  const synthesized = await synthesizeShapes({
    outDir: path.join(home, 'shapes'),
    images: 12,
    seed: 3,
    imageSize: 32,
  });
  manifestFile = synthesized.manifestFile;
  await upsertDataset(db, {
    name: 'shapes',
    format: 'shapes',
    sourcePath: path.join(home, 'shapes'),
    manifestPath: manifestFile,
    itemCount: synthesized.manifest.items.length,
    captionCount: 0,
    splits: { train: 10, val: 1, test: 1 },
    report: { problems: [] },
    problemCount: 0,
  });
});

afterAll(async () => {
  await database?.close();
  await scratch?.drop();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

/** A local run of two shards (created by the real operation, nothing run yet). */
async function createRun(): Promise<RunPlan> {
  let created: RunPlan | undefined;
  await startRun(operations({ runPlan: async (plan) => void (created = plan) }), {
    dataset: 'shapes',
    runConfig: { shardSize: 6 },
  });
  return created!;
}

/**
 * A run put into `status` as its history would have left it (written directly: this is the
 * starting point, not what is tested), with one checkpoint and one ad-hoc evaluation that succeeded.
 */
async function runIn(status: RunStatus): Promise<RunPlan> {
  const plan = await createRun();
  const { runId } = plan;
  const finishedAt = new Date(Date.now() - 60_000);
  const stage = async (stageName: string, shard: number, stageStatus: string) =>
    db.stageRun.update({
      where: { runId_stage_shard: { runId, stage: stageName, shard } },
      data: { status: stageStatus, finishedAt: stageStatus === 'succeeded' ? finishedAt : null },
    });
  const rest = {
    queued: 'pending',
    running: 'pending',
    stopped: 'pending',
    failed: 'pending',
    cancelled: 'cancelled',
    succeeded: 'succeeded',
  }[status];
  for (const s of await db.stageRun.findMany({ where: { runId } })) await stage(s.stage, s.shard, rest);
  if (status !== 'queued') await stage('preprocess', 0, 'succeeded');
  if (status === 'running') await stage('preprocess', 1, 'running');
  if (status === 'failed') await stage('preprocess', 1, 'failed');
  await db.run.update({
    where: { id: runId },
    data: {
      status,
      error: status === 'failed' ? 'preprocess shard 1: boom' : null,
      startedAt: status === 'queued' ? null : finishedAt,
      finishedAt: ['succeeded', 'failed', 'cancelled'].includes(status) ? finishedAt : null,
    },
  });
  if (status === 'succeeded')
    await db.evaluation.update({
      where: { id: plan.evaluation.evaluationId },
      data: { status: 'succeeded', scores: { CIDEr: 1 }, finishedAt },
    });
  await recordCheckpoint(db, {
    runId,
    step: 2,
    epoch: 1,
    kind: 'epoch',
    path: path.join(home, runId),
    isBest: true,
  });
  await db.evaluation.create({
    data: {
      id: `${runId}-adhoc`,
      runId,
      split: 'val',
      settings: {},
      status: 'succeeded',
      scores: { CIDEr: 0.5 },
      finishedAt,
    },
  });
  return plan;
}

async function snapshot(runId: string) {
  const run = await db.run.findUniqueOrThrow({
    where: { id: runId },
    select: { status: true, error: true, startedAt: true, finishedAt: true },
  });
  const stages = await db.stageRun.findMany({
    where: { runId },
    select: {
      stage: true,
      shard: true,
      status: true,
      error: true,
      attempts: true,
      progress: true,
      finishedAt: true,
    },
  });
  const evaluations = await db.evaluation.findMany({
    where: { runId },
    select: { id: true, status: true, error: true, scores: true, finishedAt: true },
  });
  return { run, stages, evaluations };
}

/** Every operation a user or a worker can apply to a run; each may refuse (throw). */
const OPERATIONS: Record<string, (plan: RunPlan) => Promise<unknown>> = {
  'run cancel': (plan) => cancelRun(operations(), plan.runId),
  'run resume': (plan) => resumeRun(operations({ runPlan: ok }), plan.runId),
  'an evaluation that fails': (plan) =>
    requestEvaluation(
      operations({ evaluate: (payload) => runEvaluationLocally(payload, localDeps({ evaluate: failing })) }),
      { runId: plan.runId, checkpoint: 'last', split: 'val' },
    ),
  'a preprocess job': (plan) =>
    runStage('preprocess', { runId: plan.runId, shard: 1 }, { ...localDeps(), attempt: 1, maxAttempts: 1 }),
  'a train job that fails': (plan) =>
    runStage(
      'train',
      { runId: plan.runId },
      { ...localDeps({ train: failing }), attempt: 1, maxAttempts: 1 },
    ),
  'the final evaluation job': (plan) =>
    runStage('evaluate', plan.evaluation, { ...localDeps(), attempt: 1, maxAttempts: 1 }),
  'the queue giving up on the train job': (plan) =>
    recordAbandonedJob(db, 'train', { runId: plan.runId }, 'job stalled more than allowable limit'),
  'a local run stopped by a signal': (plan) => {
    const stopped = new AbortController();
    stopped.abort();
    return runPipelineLocally(plan, localDeps({}, stopped.signal));
  },
};

const FINISHED = ['succeeded', 'failed', 'cancelled'];

describe('the state machines, walked with every operation from every run state', () => {
  for (const status of RUN_STATUSES) {
    for (const [name, operation] of Object.entries(OPERATIONS)) {
      it(`${name} on a ${status} run rewrites no finished history`, async () => {
        const plan = await runIn(status);
        const before = await snapshot(plan.runId);
        const error = await operation(plan).then(
          () => undefined,
          (e: unknown) => e,
        );
        const after = await snapshot(plan.runId);

        // Finished stages and finished evaluations are never changed by anything.
        for (const stage of before.stages.filter((s) => s.status === 'succeeded'))
          expect(after.stages).toContainEqual(stage);
        for (const evaluation of before.evaluations.filter((e) => e.status === 'succeeded'))
          expect(after.evaluations).toContainEqual(evaluation);
        // A finished run keeps its status, error and finish time; only `run resume` leads back from
        // failed and cancelled, and nothing leaves succeeded.
        if (FINISHED.includes(status)) {
          if (name === 'run resume' && status !== 'succeeded') expect(after.run.status).toBe('queued');
          else expect(after.run).toEqual(before.run);
        }
        if (name === 'run cancel' && FINISHED.includes(status))
          expect(error).toBeInstanceOf(IllegalTransitionError);
        if (name === 'run resume' && status === 'succeeded')
          expect(error).toBeInstanceOf(IllegalTransitionError);
      });
    }
  }
});

describe('operations', () => {
  it('an ad-hoc evaluation that fails marks the evaluation failed, never the succeeded run', async () => {
    const plan = await runIn('succeeded');
    const error = await requestEvaluation(
      operations({ evaluate: (payload) => runEvaluationLocally(payload, localDeps({ evaluate: failing })) }),
      { runId: plan.runId, checkpoint: 'best', split: 'test' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    const { run, evaluations } = await snapshot(plan.runId);
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    const failed = evaluations.filter((e) => e.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toMatch(/the handler failed/);
  });

  it('refuses an evaluation of a checkpoint that does not exist before recording anything', async () => {
    const plan = await runIn('succeeded');
    const before = await db.evaluation.count();
    await expect(
      requestEvaluation(operations(), { runId: plan.runId, checkpoint: 'ckpt-typo' }),
    ).rejects.toThrow(/has no checkpoint "ckpt-typo"/);
    expect(await db.evaluation.count()).toBe(before);
  });

  it('a local run stopped by SIGTERM/Ctrl-C reads stopped until resumed, then finishes', async () => {
    const plan = await createRun();
    const signal = new AbortController();
    // What the CLI's signal handler does mid-training: abort; the handler stops at its safe point.
    const train = async (_payload: unknown, ctx: { signal: AbortSignal }) => {
      signal.abort();
      if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw new CancelledError('stopped at a safe point');
    };
    await expect(runPipelineLocally(plan, localDeps({ train }, signal.signal))).rejects.toBeInstanceOf(
      CancelledError,
    );

    expect((await runListView(db, 100)).find((r) => r.id === plan.runId)?.status).toBe('stopped');
    const details = await runDetailsView(db, plan.runId);
    expect(details.status).toBe('stopped');
    expect(details.stages.find((s) => s.stage === 'train')?.status).toBe('pending');

    await resumeRun(operations(), plan.runId);
    expect((await snapshot(plan.runId)).run.status).toBe('succeeded');
  });

  it('lists stages in pipeline order: preprocess, extract, train, evaluate', async () => {
    const plan = await runIn('succeeded');
    const details = await runDetailsView(db, plan.runId);
    expect(details.stages.map((s) => `${s.stage}${s.shard}`)).toEqual([
      'preprocess0',
      'preprocess1',
      'extract0',
      'extract1',
      'train-1',
      'evaluate-1',
    ]);
    expect(Object.keys(details.stageSummary)).toEqual(['preprocess', 'extract', 'train', 'evaluate']);
    const listed = (await runListView(db, 100)).find((r) => r.id === plan.runId);
    expect(Object.keys(listed!.stages)).toEqual(['preprocess', 'extract', 'train', 'evaluate']);
    expect(listed!.finalScores).toEqual({ CIDEr: 1 });
  });

  it('refuses a run whose evaluation split the data set lacks, naming the split', async () => {
    await upsertDataset(db, {
      name: 'no-test',
      format: 'manifest',
      sourcePath: home,
      manifestPath: await writeManifestWithoutTest(),
      itemCount: 2,
      captionCount: 2,
      splits: { train: 1, val: 1 },
      report: { problems: [] },
      problemCount: 0,
    });
    const runsBefore = await db.run.count();
    await expect(startRun(operations(), { dataset: 'no-test', runConfig: {} })).rejects.toThrow(
      /data set no-test has no test split/,
    );
    expect(await db.run.count()).toBe(runsBefore);

    // `eval --split test` on a run of that data set is refused the same way, before any row.
    const dataset = await db.dataset.findUniqueOrThrow({ where: { name: 'no-test' } });
    const run = await createRunRow(db, { datasetId: dataset.id, config: {}, executor: 'local' });
    await recordCheckpoint(db, { runId: run.id, step: 1, epoch: 1, kind: 'epoch', path: home, isBest: true });
    await expect(requestEvaluation(operations(), { runId: run.id, split: 'test' })).rejects.toThrow(
      /data set no-test has no test split/,
    );
    expect(await db.evaluation.count({ where: { runId: run.id } })).toBe(0);
  });

  it('with Redis unreachable, run start fails before a run row is written', async () => {
    const runsBefore = await db.run.count();
    const unreachable: OperationContext = { config: { ...config, redisUrl: 'redis://127.0.0.1:1' }, db };
    await expect(startRun(unreachable, { dataset: 'shapes', runConfig: {} })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(await db.run.count()).toBe(runsBefore);
  });
});

/** A manifest (COCO-like) with train and val items but no test split. */
async function writeManifestWithoutTest(): Promise<string> {
  const source = await readManifest(manifestFile);
  const items = source.items
    .slice(0, 2)
    .map((item, i) => ({ ...item, split: i === 0 ? ('train' as const) : ('val' as const) }));
  const file = path.join(home, 'shapes', 'no-test-manifest.json');
  await writeManifest(file, { ...source, name: 'no-test', items });
  return file;
}
