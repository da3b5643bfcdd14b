import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '@captioner/test-services';
import { createScratchDatabase } from '@captioner/db';
import type { ScratchDatabase } from '@captioner/db';
import { TINY_RUN_CONFIG, runCliJson, startWorker, waitForExit, synthShapesDataset } from './testing/cli';

const REDIS_URL = testRedisUrl();

interface RunJson {
  id: string;
  status: string;
  executor: string;
  stages: Array<{ stage: string; shard: number; status: string; workerId: string | null }>;
  checkpoints: Array<{ step: number; isBest: boolean }>;
  evaluations: Array<{ id: string; status: string; imageCount: number }>;
}

describe('a tiny run through BullMQ on real Redis, recorded in PostgreSQL', () => {
  let home: string;
  let scratch: ScratchDatabase;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-bullmq-'));
    scratch = await createScratchDatabase('postgresql');
    env = {
      CAPTIONER_HOME: home,
      DATABASE_URL: scratch.url,
      REDIS_URL,
      // A prefix of its own: no other test or cluster on this Redis sees these jobs.
      CAPTIONER_QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`,
      CAPTIONER_LOG_LEVEL: 'info',
    };
    await fs.writeFile(path.join(home, 'run.json'), JSON.stringify(TINY_RUN_CONFIG));
  });
  afterAll(async () => {
    await scratch.drop();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('runs every stage in a worker process and evaluates on demand', async () => {
    await synthShapesDataset(home, env);
    const worker = startWorker(['--concurrency', '2'], env);
    try {
      const started = await runCliJson<{ id: string; status: string }>(
        ['run', 'start', '--dataset', 'tiny', '--config', path.join(home, 'run.json'), '--wait'],
        env,
      );
      expect(started.status, worker.output().slice(-3000)).toBe('succeeded');

      const run = await runCliJson<RunJson>(['run', 'show', started.id], env);
      expect(run.executor).toBe('bullmq');
      expect(run.stages).toHaveLength(3 + 3 + 1 + 1);
      for (const stage of run.stages) {
        expect(stage.status).toBe('succeeded');
        expect(stage.workerId).toMatch(new RegExp(`-${worker.pid}$`));
      }
      expect(run.checkpoints.some((c) => c.isBest)).toBe(true);
      expect(run.evaluations[0]).toMatchObject({ status: 'succeeded', imageCount: 6 });

      const evaluation = await runCliJson<{ status: string; split: string; checkpoint: { step: number } }>(
        ['eval', started.id, '--checkpoint', 'last', '--split', 'val', '--wait'],
        env,
      );
      expect(evaluation).toMatchObject({ status: 'succeeded', split: 'val' });
      expect(evaluation.checkpoint.step).toBe(Math.max(...run.checkpoints.map((c) => c.step)));

      // The queues are drained, and the one worker process serves every stage queue.
      const queues = await runCliJson<
        Array<{ stage: string; workers: number; jobs: Record<string, number> }>
      >(['queues'], env);
      expect(queues.map((q) => [q.stage, q.workers, q.jobs.waiting, q.jobs.active])).toEqual([
        ['preprocess', 1, 0, 0],
        ['extract', 1, 0, 0],
        ['train', 1, 0, 0],
        ['evaluate', 1, 0, 0],
      ]);
      expect(queues.find((q) => q.stage === 'preprocess')!.jobs.completed).toBe(3);

      // The worker logs what it takes and finishes.
      expect(worker.output()).toMatch(/job taken/);
      expect(worker.output()).toMatch(/job finished/);
    } finally {
      worker.kill('SIGTERM');
      expect(await waitForExit(worker)).toBe(0);
    }
  });
});
