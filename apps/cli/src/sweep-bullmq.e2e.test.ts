import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '@captioner/test-services';
import { createScratchDatabase } from '@captioner/db';
import type { ScratchDatabase } from '@captioner/db';
import {
  TINY_RUN_CONFIG,
  runCli,
  runCliJson,
  startWorker,
  waitForExit,
  synthShapesDataset,
} from './testing/cli';

interface SweepJson {
  id: string;
  status: string;
  runs: Array<{
    rank: number | null;
    runId: string;
    status: string;
    score: number | null;
    settings: Record<string, unknown>;
  }>;
}

describe('a 4-configuration sweep on two worker processes (real Redis, PostgreSQL)', () => {
  let home: string;
  let scratch: ScratchDatabase;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-sweep-'));
    scratch = await createScratchDatabase('postgresql');
    env = {
      CAPTIONER_HOME: home,
      DATABASE_URL: scratch.url,
      REDIS_URL: testRedisUrl(),
      CAPTIONER_QUEUE_PREFIX: `test-sweep-${randomBytes(4).toString('hex')}`,
      CAPTIONER_LOG_LEVEL: 'info',
    };
    await fs.writeFile(
      path.join(home, 'run.json'),
      JSON.stringify({ ...TINY_RUN_CONFIG, training: { ...TINY_RUN_CONFIG.training, epochs: 1 } }),
    );
  });
  afterAll(async () => {
    await scratch.drop();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('refuses an unknown grid key in one line naming it', async () => {
    await synthShapesDataset(home, env);
    const refused = await runCli(
      ['sweep', 'start', '--dataset', 'tiny', '--grid', 'training.epocs=1,2'],
      env,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/training\.epocs: unknown key/);
  });

  it('runs every configuration and ranks them by the final metric', async () => {
    const workers = [startWorker(['--concurrency', '1'], env), startWorker(['--concurrency', '1'], env)];
    try {
      const started = await runCliJson<{ sweepId: string; runIds: string[] }>(
        [
          'sweep',
          'start',
          '--dataset',
          'tiny',
          '--config',
          path.join(home, 'run.json'),
          '--grid',
          'training.learningRate=0.003,0.0003',
          '--grid',
          'seed=3,4',
          '--json',
        ],
        env,
      );
      expect(started.runIds).toHaveLength(4);
      let sweep: SweepJson;
      for (;;) {
        sweep = await runCliJson<SweepJson>(['sweep', 'show', started.sweepId, '--json'], env);
        if (sweep.runs.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status))) break;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      expect(
        sweep.runs.map((r) => r.status),
        workers[0].output().slice(-2000),
      ).toEqual(Array(4).fill('succeeded'));
      // The last run's end finished the sweep (written just after that run's status: read again briefly).
      for (let i = 0; i < 10 && sweep.status !== 'finished'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        sweep = await runCliJson<SweepJson>(['sweep', 'show', started.sweepId, '--json'], env);
      }
      expect(sweep.status).toBe('finished');
      expect(sweep.runs.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
      const scores = sweep.runs.map((r) => r.score!);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      // Each row's score is that run's own final CIDEr, and its settings are what the run was given.
      for (const row of sweep.runs) {
        const run = await runCliJson<{
          config: { seed: number; training: { learningRate: number } };
          evaluations: Array<{ isFinal: boolean; scores: { CIDEr: number } }>;
        }>(['run', 'show', row.runId], env);
        expect(run.evaluations.find((e) => e.isFinal)!.scores.CIDEr).toBe(row.score);
        expect(row.settings).toEqual({
          'training.learningRate': run.config.training.learningRate,
          seed: run.config.seed,
        });
      }
      const combos = new Set(sweep.runs.map((r) => JSON.stringify(r.settings)));
      expect(combos.size).toBe(4);
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(workers.map((w) => waitForExit(w)));
    }
  });
});
