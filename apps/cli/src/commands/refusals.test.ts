import { testRedisUrl } from '@captioner/test-services';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, openDatabase, recordCheckpoint } from '@captioner/db';
import type { Database } from '@captioner/db';
import { runCli, synthShapesDataset } from '../testing/cli';

const REDIS_URL = testRedisUrl();
const DEAD_REDIS_URL = 'redis://127.0.0.1:1';

/**
 * The real `captioner` command refusing what it must refuse, with exit code 1, one line on stderr,
 * and nothing written: ordinary commands must not change finished runs or leave rows behind.
 */
describe('captioner refuses without changing anything', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let database: Database;
  let succeededRunId: string;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-refusals-'));
    env = {
      CAPTIONER_HOME: home,
      DATABASE_URL: `file:${path.join(home, 'captioner.db')}`,
      REDIS_URL,
      CAPTIONER_QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`,
      CAPTIONER_LOG_LEVEL: 'warn',
    };
    await synthShapesDataset(home, { ...env, REDIS_URL: '' }, 'tiny', 12);
    database = await openDatabase(env.DATABASE_URL!);
    const dataset = await database.client.dataset.findFirstOrThrow({ where: { name: 'tiny' } });
    // A run that finished long ago, as the database records it.
    const run = await createRun(database.client, { datasetId: dataset.id, config: {}, executor: 'bullmq' });
    await database.client.run.update({
      where: { id: run.id },
      data: { status: 'succeeded', startedAt: new Date(0), finishedAt: new Date(1000) },
    });
    await recordCheckpoint(database.client, {
      runId: run.id,
      step: 2,
      epoch: 1,
      kind: 'epoch',
      path: path.join(home, 'ckpt'),
      isBest: true,
    });
    succeededRunId = run.id;
  });
  afterAll(async () => {
    await database?.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  const runRow = () => database.client.run.findUniqueOrThrow({ where: { id: succeededRunId } });
  // The last line that is not a JSON log (logs are flushed asynchronously, so they may come after it).
  const lastLine = (stderr: string) =>
    stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('{'))
      .at(-1);

  it('eval of a checkpoint that does not exist: exit 1, one line, nothing recorded or enqueued', async () => {
    const result = await runCli(['eval', succeededRunId, '--checkpoint', 'ckpt-typo', '--wait'], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/has no checkpoint "ckpt-typo"/);
    expect(await database.client.evaluation.count({ where: { runId: succeededRunId } })).toBe(0);
    expect(await runRow()).toMatchObject({ status: 'succeeded', error: null });
  });

  it('run cancel on a finished run: exit 1, the run unchanged', async () => {
    const before = await runRow();
    const result = await runCli(['run', 'cancel', succeededRunId], env);
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(/is succeeded: it cannot become cancelled/);
    expect(await runRow()).toEqual(before);
  });

  it('run start with Redis unreachable: exit 1, no run row left behind', async () => {
    const runsBefore = await database.client.run.count();
    const result = await runCli(['run', 'start', '--dataset', 'tiny'], { ...env, REDIS_URL: DEAD_REDIS_URL });
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(/cannot reach Redis/);
    expect(await database.client.run.count()).toBe(runsBefore);
  });

  it('run start --wait with no worker says so, and --timeout ends the wait with exit 1', async () => {
    const result = await runCli(['run', 'start', '--dataset', 'tiny', '--wait', '--timeout', '8'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no worker serves the preprocess queue/);
    expect(lastLine(result.stderr)).toMatch(/still queued after \d+ s \(--timeout\)/);
    // Leave nothing on the shared Redis.
    const runId = /run (run-[0-9a-f]+)/.exec(result.stderr)![1];
    expect((await runCli(['run', 'cancel', runId], env)).code).toBe(0);
  });

  it('a worker pointed at a dead Redis says so once, and exits after --redis-timeout', async () => {
    const result = await runCli(['worker', '--redis-timeout', '2'], {
      ...env,
      REDIS_URL: DEAD_REDIS_URL,
      CAPTIONER_LOG_LEVEL: 'info',
    });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output.match(/Redis unreachable/g)).toHaveLength(1);
    expect(output).not.toMatch(/worker started/);
    // The one-line error; the worker's JSON logs are flushed asynchronously, before or after it.
    const plainLines = result.stderr.split('\n').filter((line) => line && !line.startsWith('{'));
    expect(plainLines).toHaveLength(1);
    expect(plainLines[0]).toMatch(/unreachable for 2 s: worker gives up/);
  });
});
