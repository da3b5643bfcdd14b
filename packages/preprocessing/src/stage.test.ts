import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, createLogger, loadConfig } from '@captioner/core';
import {
  createRun,
  createScratchDatabase,
  createStageRuns,
  startStage,
  openDatabase,
  runDetailsView,
  updateStageProgress,
  upsertDataset,
} from '@captioner/db';
import type { Database, ScratchDatabase } from '@captioner/db';
import type { StageContext } from '@captioner/stage-contract';
import { imagePath, synthesizeShapes } from '@captioner/dataset';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessStage } from './stage';
import { makeTempDir } from './testing/images';

describe('preprocessStage with images gone', () => {
  let dir: string;
  let scratch: ScratchDatabase;
  let db: Database;
  let runId: string;
  let firstOfShard1: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    scratch = await createScratchDatabase('sqlite');
    db = await openDatabase(scratch.url);
    const { manifestFile, manifest } = await synthesizeShapes({
      outDir: path.join(dir, 'shapes'),
      images: 6,
      seed: 3,
    });
    // Shard 0 (items 0-2) loses one image; shard 1 (items 3-5) loses all of them.
    for (const index of [1, 3, 4, 5]) await fs.rm(imagePath(manifest, manifest.items[index]));
    firstOfShard1 = imagePath(manifest, manifest.items[3]);
    const dataset = await upsertDataset(db.client, {
      name: 'shapes',
      format: 'manifest',
      sourcePath: dir,
      manifestPath: manifestFile,
      itemCount: 6,
      captionCount: 30,
      splits: {},
      report: { problems: [] },
      problemCount: 0,
    });
    const run = await createRun(db.client, {
      datasetId: dataset.id,
      config: { shardSize: 3, preprocess: { imageSize: 32 } },
      executor: 'local',
    });
    runId = run.id;
    await createStageRuns(
      db.client,
      [0, 1].map((shard) => ({ runId, stage: 'preprocess' as const, shard })),
    );
    // As the stage runner does before calling the handler: progress is stored only for a running stage.
    for (const shard of [0, 1]) await startStage(db.client, { runId, stage: 'preprocess', shard }, 'test');
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** What an executor gives the handler, with progress stored in the stage row as the stage runner does. */
  const context = (shard: number): StageContext => ({
    config: loadConfig({ CAPTIONER_HOME: path.join(dir, 'home') }),
    db: db.client,
    logger: createLogger('test', 'silent'),
    reportProgress: (update) =>
      updateStageProgress(db.client, { runId, stage: 'preprocess', shard }, update).then(() => {}),
    signal: new AbortController().signal,
    workerId: 'test',
    attempt: 1,
  });

  it('counts missing images on the stage row, where run show and the API read it', async () => {
    await preprocessStage({ runId, shard: 0 }, context(0));
    const view = await runDetailsView(db.client, runId);
    const stage = view.stages.find((s) => s.shard === 0);
    expect(stage?.message).toBe('2/3 images written, 1 missing, 0 unreadable');
    expect(stage?.figures).toEqual({ written: 2, missing: 1, unreadable: 0 });
  });

  it('fails a shard whose images are all missing, naming the first', async () => {
    const run = preprocessStage({ runId, shard: 1 }, context(1));
    await expect(run).rejects.toBeInstanceOf(NotFoundError);
    await expect(run).rejects.toThrow(`are missing, first ${firstOfShard1}`);
  });
});
