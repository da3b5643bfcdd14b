import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import {
  completeEvaluation,
  createEvaluation,
  createRun,
  createScratchDatabase,
  openDatabase,
  recordMetric,
  setEvaluationStatus,
  setRunStatus,
  upsertDataset,
} from '@captioner/db';
import type { Database, ScratchDatabase } from '@captioner/db';
import { synthesizeShapes } from '@captioner/dataset';
import type { DatasetManifest } from '@captioner/dataset';

/**
 * What the dashboard tests look at, written the way the stages write it: a synthesized shapes data set on
 * disk, registered; two runs whose training logged Metric rows (loss, learning rate, validation CIDEr-D) and
 * whose configs differ; one succeeded evaluation with a sample for every image.
 */
export interface DashboardFixture {
  home: string;
  config: CaptionerConfig;
  database: Database;
  manifest: DatasetManifest;
  manifestFile: string;
  datasetId: string;
  runs: [string, string];
  evaluationId: string;
  /** Metric rows per run and name, as recorded. */
  logged: Record<string, Record<string, number>>;
  close(): Promise<void>;
}

export async function createDashboardFixture(env: Record<string, string> = {}): Promise<DashboardFixture> {
  const scratch: ScratchDatabase = await createScratchDatabase('sqlite');
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-dash-'));
  const config = loadConfig({
    CAPTIONER_HOME: home,
    DATABASE_URL: scratch.url,
    CAPTIONER_LOG_LEVEL: 'silent',
    ...env,
  });
  const database = await openDatabase(config.databaseUrl);
  const db = database.client;
  const { manifestFile, manifest } = await synthesizeShapes({
    outDir: path.join(home, 'shapes'),
    images: 12,
    seed: 3,
    imageSize: 32,
  });
  const dataset = await upsertDataset(db, {
    name: 'shapes',
    format: 'shapes',
    sourcePath: path.join(home, 'shapes'),
    manifestPath: manifestFile,
    itemCount: manifest.items.length,
    captionCount: manifest.items.reduce((n, item) => n + item.captions.length, 0),
    splits: { train: 10, val: 1, test: 1 },
    report: { problems: [] },
    problemCount: 0,
  });
  const logged: DashboardFixture['logged'] = {};
  const runs: string[] = [];
  for (const [i, lr] of [0.001, 0.003].entries()) {
    const run = await createRun(db, {
      datasetId: dataset.id,
      name: `lr ${lr}`,
      config: {
        seed: 1,
        training: { epochs: 3, learningRate: lr, batchSize: 32 },
        model: { decoder: { cell: i ? 'gru' : 'lstm' } },
      },
      executor: 'bullmq',
    });
    runs.push(run.id);
    await setRunStatus(db, run.id, 'running');
    const counts = (logged[run.id] = {} as Record<string, number>);
    const steps = 20 + i * 6;
    for (let step = 1; step <= steps; step++) {
      const epoch = Math.ceil(step / 10);
      await recordMetric(db, {
        runId: run.id,
        name: 'train/loss',
        step,
        epoch,
        value: 4 * Math.exp(-step / (8 + i * 4)) + 0.3,
      });
      await recordMetric(db, {
        runId: run.id,
        name: 'train/learning_rate',
        step,
        epoch,
        value: lr * 0.95 ** epoch,
      });
      if (step % 5 === 0)
        await recordMetric(db, {
          runId: run.id,
          name: 'val/CIDEr',
          step,
          epoch,
          value: 0.1 * step * (1 + i),
        });
    }
    counts['train/loss'] = steps;
    counts['train/learning_rate'] = steps;
    counts['val/CIDEr'] = Math.floor(steps / 5);
  }
  await setRunStatus(db, runs[0], 'succeeded');
  const evaluation = await createEvaluation(db, {
    runId: runs[0],
    checkpointId: null,
    split: 'test',
    settings: { beamSize: 3 },
    isFinal: true,
  });
  await setEvaluationStatus(db, evaluation.id, 'running');
  await completeEvaluation(db, evaluation.id, {
    checkpointId: null,
    scores: { Bleu_4: 0.41, CIDEr: 1.23, ROUGE_L: 0.6 },
    samples: manifest.items.map((item, k) => ({
      imageId: item.id,
      candidate: k % 2 ? item.captions[0] : 'a red circle',
      references: item.captions,
      bleu4: k / 12,
      cider: (12 - k) / 6,
      rougeL: 0.5,
    })),
  });
  return {
    home,
    config,
    database,
    manifest,
    manifestFile,
    datasetId: dataset.id,
    runs: runs as [string, string],
    evaluationId: evaluation.id,
    logged,
    close: async () => {
      await database.close();
      await scratch.drop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}
