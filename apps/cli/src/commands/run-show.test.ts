import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRun,
  createStageRuns,
  finishStage,
  getRun,
  openDatabase,
  recordRunAutoBatch,
  startStage,
  updateStageProgress,
  upsertDataset,
  WHOLE_RUN,
} from '@captioner/db';
import type { RunDetails } from '@captioner/db';
import { CLI_BIN, runCli, runCliJson } from '../testing/cli';

const SHARDS = 150;

describe('captioner run show on a run with many shards (real SQLite, real process)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let runId: string;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-run-show-'));
    env = { CAPTIONER_HOME: home, DATABASE_URL: `file:${path.join(home, 'captioner.db')}` };
    const database = await openDatabase(env.DATABASE_URL!);
    const db = database.client;
    try {
      const dataset = await upsertDataset(db, {
        name: 'many',
        format: 'manifest',
        sourcePath: home,
        manifestPath: path.join(home, 'manifest.json'),
        itemCount: SHARDS * 10,
        captionCount: SHARDS * 50,
        splits: { train: SHARDS * 10 },
        report: { problems: [] },
        problemCount: 0,
      });
      runId = (await createRun(db, { datasetId: dataset.id, config: {}, executor: 'local' })).id;
      const shards = Array.from({ length: SHARDS }, (_, shard) => shard);
      await createStageRuns(db, [
        ...shards.map((shard) => ({ runId, stage: 'preprocess' as const, shard })),
        ...shards.map((shard) => ({ runId, stage: 'extract' as const, shard })),
        { runId, stage: 'train', shard: WHOLE_RUN },
        { runId, stage: 'evaluate', shard: WHOLE_RUN },
      ]);
      // Preprocessing done; extraction: 100 shards done, shard 100 failed twice, shard 101 half-way.
      for (const shard of shards) {
        await startStage(db, { runId, stage: 'preprocess', shard }, 'w');
        await finishStage(db, { runId, stage: 'preprocess', shard }, 'succeeded');
      }
      for (const shard of shards.slice(0, 100)) {
        await startStage(db, { runId, stage: 'extract', shard }, 'w');
        await finishStage(db, { runId, stage: 'extract', shard }, 'succeeded');
      }
      await startStage(db, { runId, stage: 'extract', shard: 100 }, 'w');
      await startStage(db, { runId, stage: 'extract', shard: 100 }, 'w');
      await finishStage(
        db,
        { runId, stage: 'extract', shard: 100 },
        'failed',
        'extract shard 100: disk full',
      );
      await startStage(db, { runId, stage: 'extract', shard: 101 }, 'w');
      await updateStageProgress(
        db,
        { runId, stage: 'extract', shard: 101 },
        { fraction: 0.5, message: '16/32 images' },
      );
    } finally {
      await database.close();
    }
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  /** The rows of the first table (stages), header excluded. */
  const stageTable = (stdout: string) => {
    const lines = stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('STAGE'));
    const end = lines.indexOf('', header);
    return lines.slice(header + 1, end === -1 ? undefined : end);
  };

  it('prints one line per stage by default, with shards done of all and the failed shard', async () => {
    const result = await runCli(['run', 'show', runId], env);
    expect(result.code, result.stderr).toBe(0);
    const rows = stageTable(result.stdout).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r[0])).toEqual(['preprocess', 'extract', 'train', 'evaluate']);
    expect(rows[0].slice(0, 4)).toEqual(['preprocess', 'succeeded', `${SHARDS}/${SHARDS}`, '100%']);
    expect(rows[1].slice(0, 5)).toEqual(['extract', 'failed', `100/${SHARDS}`, '67%', '2']);
    expect(rows[1][5]).toBe('shard 100: extract shard 100: disk full');
    expect(rows[2].slice(0, 3)).toEqual(['train', 'pending', '-']);
  });

  it('prints every shard with --shards, and everything with --json', async () => {
    const result = await runCli(['run', 'show', runId, '--shards'], env);
    expect(result.code, result.stderr).toBe(0);
    const rows = stageTable(result.stdout);
    expect(rows).toHaveLength(2 * SHARDS + 2);
    expect(rows.filter((l) => l.startsWith('extract')).find((l) => /\s101\s/.test(l))).toMatch(
      /running\s+50%\s+1\s+16\/32 images/,
    );

    const json = await runCliJson<RunDetails>(['run', 'show', runId], env);
    expect(json.stages).toHaveLength(2 * SHARDS + 2);
    expect(json.stageSummary.extract).toEqual({ status: 'failed', done: 100, total: SHARDS });
  });

  it('exits quietly when its reader closes the pipe early (`| head`)', async () => {
    const child = spawn(process.execPath, [CLI_BIN, 'run', 'show', runId, '--shards'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader is gone before the command writes its first line: every write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('captioner run show: the batch size a run trains with (real SQLite, real process)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const ids: Record<'fixed' | 'auto' | 'augmented', string> = { fixed: '', auto: '', augmented: '' };

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-run-show-batch-'));
    env = { CAPTIONER_HOME: home, DATABASE_URL: `file:${path.join(home, 'captioner.db')}` };
    const database = await openDatabase(env.DATABASE_URL!);
    try {
      const db = database.client;
      const dataset = await upsertDataset(db, {
        name: 'batch',
        format: 'manifest',
        sourcePath: home,
        manifestPath: path.join(home, 'manifest.json'),
        itemCount: 1,
        captionCount: 1,
        splits: { train: 1 },
        report: { problems: [] },
        problemCount: 0,
      });
      const create = (training: Record<string, unknown>, more: Record<string, unknown> = {}) =>
        createRun(db, { datasetId: dataset.id, config: { seed: 1, training, ...more }, executor: 'local' });
      ids.augmented = (
        await create(
          { batchSize: 32, epochs: 1 },
          { preprocess: { augment: { horizontalFlip: true, colorJitter: 0.2, views: 3 } } },
        )
      ).id;
      ids.fixed = (await create({ batchSize: 32, epochs: 1 })).id;
      ids.auto = (await create({ batchSize: 'auto', memoryBudgetMB: 512, epochs: 1 })).id;
      await recordRunAutoBatch(db, ids.auto, {
        batchSize: 96,
        peakMB: 501.5,
        budgetMB: 512,
        backend: 'wasm',
      });
    } finally {
      await database.close();
    }
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it("shows the configured batch, or what 'auto' chose, and keeps the rest of the config", async () => {
    const fixed = await runCli(['run', 'show', ids.fixed], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^ {2}training {2}batch size 32$/m);
    expect(fixed.stdout).toMatch(/^ {2}augment {3}off$/m);
    const augmented = await runCli(['run', 'show', ids.augmented], env);
    expect(augmented.stdout).toMatch(
      /^ {2}augment {3}3 feature views per training image \(view 0 plain\), one per epoch: horizontal flip \(captions mirrored\), colour jitter 0.2$/m,
    );
    const auto = await runCli(['run', 'show', ids.auto], env);
    expect(auto.stdout).toMatch(
      /^ {2}training {2}batch size 96 \(auto: peak 501.5 MB of a 512 MB budget on wasm\)$/m,
    );
    // The choice was added to the stored config; nothing else in it changed.
    const database = await openDatabase(env.DATABASE_URL!);
    try {
      expect((await getRun(database.client, ids.auto)).config).toEqual({
        seed: 1,
        training: {
          batchSize: 'auto',
          memoryBudgetMB: 512,
          epochs: 1,
          autoBatch: { batchSize: 96, peakMB: 501.5, budgetMB: 512, backend: 'wasm' },
        },
      });
    } finally {
      await database.close();
    }
  }, 300_000);
});
