import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, openDatabase, recordMetric, upsertDataset } from '@captioner/db';
import type { RunComparison } from '@captioner/db';
import { runCli, runCliJson } from '../testing/cli';

describe('captioner run compare (real SQLite, real process)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let ids: string[];

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-run-compare-'));
    env = { CAPTIONER_HOME: home, DATABASE_URL: `file:${path.join(home, 'captioner.db')}` };
    const database = await openDatabase(env.DATABASE_URL!);
    const db = database.client;
    try {
      const dataset = await upsertDataset(db, {
        name: 'd',
        format: 'manifest',
        sourcePath: home,
        manifestPath: path.join(home, 'manifest.json'),
        itemCount: 1,
        captionCount: 1,
        splits: { train: 1 },
        report: { problems: [] },
        problemCount: 0,
      });
      ids = [];
      for (const [i, epochs] of [2, 5].entries()) {
        const config = { training: { epochs, batchSize: 32 }, model: { decoder: { attention: i === 1 } } };
        const { id } = await createRun(db, {
          datasetId: dataset.id,
          name: `r${i}`,
          config,
          executor: 'local',
        });
        for (let step = 1; step <= 4 + i; step++)
          await recordMetric(db, { runId: id, name: 'train/loss', step, epoch: 1, value: 5 - step });
        ids.push(id);
      }
    } finally {
      await database.close();
    }
  });
  afterAll(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it('--json: both runs, their curves and exactly the config keys that differ', async () => {
    const view = await runCliJson<RunComparison>(['run', 'compare', ...ids], env);
    expect(view.runs.map((r) => r.id)).toEqual(ids);
    expect(view.runs.map((r) => r.curves['train/loss'].points)).toEqual([4, 5]);
    expect(view.configDiff).toEqual([
      { key: 'model.decoder.attention', values: [false, true] },
      { key: 'training.epochs', values: [2, 5] },
    ]);
  });

  it('prints a side-by-side table and the differing keys; one run or an unknown run is refused', async () => {
    const text = await runCli(['run', 'compare', ...ids], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/train\/loss \(last\)\s+1 @4 \(4 pts\)\s+0 @5 \(5 pts\)/);
    expect(text.stdout).toContain('config: 2 keys differ');
    expect(text.stdout).toMatch(/training\.epochs\s+2\s+5/);
    const one = await runCli(['run', 'compare', ids[0]], env);
    expect([one.code, one.stderr.trim()]).toEqual([
      2,
      'captioner: error: run compare: name at least two runs',
    ]);
    const unknown = await runCli(['run', 'compare', ids[0], 'run-nope'], env);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, 'captioner: error: run not found: run-nope']);
  });
});
