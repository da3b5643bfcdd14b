import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRun,
  createStageRuns,
  finishStage,
  openDatabase,
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
