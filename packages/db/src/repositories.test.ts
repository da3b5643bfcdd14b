import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, NotFoundError } from '@captioner/core';
import {
  completeEvaluation,
  createEvaluation,
  createRun,
  createSweep,
  createScratchDatabase,
  createStageRuns,
  findCheckpoint,
  finishStage,
  getDataset,
  getEvaluationExtremes,
  getRunDetails,
  getSweep,
  listRuns,
  markRunResumable,
  setSweepStatus,
  openDatabase,
  recordCheckpoint,
  recordMetric,
  setEvaluationStatus,
  setRunStatus,
  startStage,
  testDatasetRecord,
  upsertDataset,
  WHOLE_RUN,
} from './index';
import type { Database, ScratchDatabase } from './index';
import { migrationsDir } from './migrate';

describe.each(['sqlite', 'postgresql'] as const)('repositories on %s', (provider) => {
  let scratch: ScratchDatabase;
  let db: Database;

  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
    db = await openDatabase(scratch.url);
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  it('applies migrations once, even when opened again', async () => {
    const again = await openDatabase(scratch.url);
    const rows = await again.client.$queryRawUnsafe<{ name: string }[]>(
      'SELECT name FROM captioner_migrations ORDER BY name',
    );
    // Every migration of the provider's directory, each recorded once.
    const onDisk = fs
      .readdirSync(migrationsDir(provider), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(onDisk.slice(0, 2)).toEqual(['0001_init', '0002_evaluation_is_final']);
    expect(rows.map((r) => r.name)).toEqual(onDisk);
    await again.close();
  });

  it('finishes a sweep when its last run finishes, runs it again when a run is resumed, never un-cancels it', async () => {
    const dataset = await upsertDataset(db.client, testDatasetRecord('sweep-data'));
    const sweep = await createSweep(db.client, {
      datasetId: dataset.id,
      spec: {},
      metric: 'CIDEr',
      prune: 'none',
    });
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        createRun(db.client, { datasetId: dataset.id, config: {}, executor: 'local', sweepId: sweep.id }),
      ),
    );
    const status = async () => (await getSweep(db.client, sweep.id)).status;
    await setRunStatus(db.client, a.id, 'running');
    await setRunStatus(db.client, a.id, 'succeeded');
    expect(await status()).toBe('running');
    await setRunStatus(db.client, b.id, 'running');
    await setRunStatus(db.client, b.id, 'failed', 'boom');
    expect(await status()).toBe('finished');
    await markRunResumable(db.client, b.id);
    expect(await status()).toBe('running');
    await setSweepStatus(db.client, sweep.id, 'cancelled');
    await setRunStatus(db.client, b.id, 'cancelled');
    expect(await status()).toBe('cancelled');
  });

  it('records a run with stages, checkpoints, metrics and an evaluation', async () => {
    const report = { problems: [] };
    const first = await upsertDataset(db.client, {
      name: 'shapes',
      format: 'manifest',
      sourcePath: '/x',
      manifestPath: '/x/manifest.json',
      itemCount: 10,
      captionCount: 50,
      splits: { train: 8, val: 1, test: 1 },
      report,
      problemCount: 0,
    });
    const second = await upsertDataset(db.client, {
      name: 'shapes',
      format: 'manifest',
      sourcePath: '/x',
      manifestPath: '/x/manifest.json',
      itemCount: 11,
      captionCount: 55,
      splits: { train: 9, val: 1, test: 1 },
      report,
      problemCount: 0,
    });
    expect(second.id).toBe(first.id);
    expect((await getDataset(db.client, 'shapes')).itemCount).toBe(11);

    const run = await createRun(db.client, { datasetId: first.id, config: { a: 1 }, executor: 'local' });
    expect(run.id).toMatch(/^run-[0-9a-f]{8}$/);
    await createStageRuns(db.client, [
      { runId: run.id, stage: 'preprocess', shard: 0 },
      { runId: run.id, stage: 'train', shard: WHOLE_RUN },
    ]);
    await startStage(db.client, { runId: run.id, stage: 'train', shard: WHOLE_RUN }, 'w1');
    await startStage(db.client, { runId: run.id, stage: 'train', shard: WHOLE_RUN }, 'w2');
    await finishStage(db.client, { runId: run.id, stage: 'train', shard: WHOLE_RUN }, 'succeeded');
    await setRunStatus(db.client, run.id, 'running');
    await setRunStatus(db.client, run.id, 'succeeded');

    await recordCheckpoint(db.client, {
      runId: run.id,
      step: 10,
      epoch: 1,
      kind: 'epoch',
      path: '/c10',
      valScore: 0.5,
      isBest: true,
    });
    await recordCheckpoint(db.client, {
      runId: run.id,
      step: 20,
      epoch: 2,
      kind: 'epoch',
      path: '/c20',
      valScore: 0.7,
      isBest: true,
    });
    const step30 = {
      runId: run.id,
      step: 30,
      epoch: 3,
      kind: 'epoch',
      path: '/c30',
      valScore: 0.6,
      isBest: false,
    } as const;
    await recordCheckpoint(db.client, step30);
    // A resumed stage rewrites step 30: updated in place, not duplicated.
    await recordCheckpoint(db.client, step30);
    expect((await findCheckpoint(db.client, run.id, 'best'))?.step).toBe(20);
    expect((await findCheckpoint(db.client, run.id, 'last'))?.step).toBe(30);

    await recordMetric(db.client, { runId: run.id, name: 'loss', step: 1, epoch: 0, value: 3 });
    await recordMetric(db.client, { runId: run.id, name: 'loss', step: 1, epoch: 0, value: 2.5 });

    const best = await findCheckpoint(db.client, run.id, 'best');
    const evaluation = await createEvaluation(db.client, {
      runId: run.id,
      checkpointId: best!.id,
      split: 'test',
      settings: { beam: 3 },
    });
    await setEvaluationStatus(db.client, evaluation.id, 'running');
    await completeEvaluation(db.client, evaluation.id, {
      checkpointId: best!.id,
      scores: { CIDEr: 1.2 },
      samples: [
        {
          imageId: 'a',
          candidate: 'a red circle',
          references: ['a red circle'],
          bleu4: 1,
          cider: 3,
          rougeL: 1,
        },
        { imageId: 'b', candidate: 'a cat', references: ['a dog'], bleu4: 0, cider: 0.1, rougeL: 0.5 },
      ],
    });
    const extremes = await getEvaluationExtremes(db.client, evaluation.id, 1);
    expect(extremes.best[0].imageId).toBe('a');
    expect(extremes.worst[0].imageId).toBe('b');

    const details = await getRunDetails(db.client, run.id);
    expect(details.status).toBe('succeeded');
    expect(details.stages.find((s) => s.stage === 'train')).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      progress: 1,
    });
    expect(details.checkpoints.map((c) => c.step)).toEqual([10, 20, 30]);
    expect(details.checkpoints.filter((c) => c.isBest).map((c) => c.step)).toEqual([20]);
    expect(details.metrics).toHaveLength(1);
    expect(details.metrics[0].value).toBe(2.5);
    expect(details.evaluations[0].status).toBe('succeeded');
    expect((await listRuns(db.client)).map((r) => r.id)).toContain(run.id);
  });

  it('names what is missing', async () => {
    await expect(getDataset(db.client, 'nope')).rejects.toThrow(NotFoundError);
    await expect(getRunDetails(db.client, 'run-00000000')).rejects.toThrow(/run not found: run-00000000/);
  });
});

describe('unreachable databases', () => {
  it('gives a ConnectionError naming the server', async () => {
    await expect(
      openDatabase('postgresql://postgres@127.0.0.1:1/none', { connectTimeoutMs: 2000 }),
    ).rejects.toThrow(ConnectionError);
    await expect(openDatabase('postgresql://postgres:secret@127.0.0.1:1/none')).rejects.toThrow(
      /postgres:\*\*\*@127\.0\.0\.1:1/,
    );
  });
});
