import { testRedisUrl } from '@captioner/test-services';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@captioner/core';
import { createProducerConnection, queueStatus } from '@captioner/pipeline';
import { createStageHandlers } from './handlers';
import { runWorker } from './worker';

const REDIS_URL = testRedisUrl();
const WORKER_PROCESS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'testing',
  'worker-process.ts',
);

describe('the worker process', () => {
  let home: string;
  let connection: Redis;
  // A prefix of its own: no other worker on this Redis is counted.
  const prefix = `test-worker-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-worker-'));
    connection = await createProducerConnection(REDIS_URL);
  });
  afterAll(async () => {
    connection?.disconnect();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('hosts one handler per stage kind', () => {
    const handlers = createStageHandlers();
    expect(Object.keys(handlers).sort()).toEqual(['evaluate', 'extract', 'preprocess', 'train']);
    for (const handler of Object.values(handlers)) expect(handler).toBeTypeOf('function');
  });

  it('refuses to start without REDIS_URL, naming it', async () => {
    const config = loadConfig({ CAPTIONER_HOME: home });
    await expect(runWorker(config, { stages: ['preprocess'], concurrency: 1 })).rejects.toThrow(/REDIS_URL/);
  });

  it('takes jobs of the chosen stages only, and on SIGTERM leaves its queues and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_PROCESS, 'preprocess,extract'], {
      env: {
        ...process.env,
        CAPTIONER_HOME: home,
        REDIS_URL,
        CAPTIONER_QUEUE_PREFIX: prefix,
        CAPTIONER_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const workersPerStage = async () =>
        Object.fromEntries((await queueStatus(connection, prefix)).map((q) => [q.stage, q.workers]));
      // Connected once both chosen queues count it (the test's timeout bounds the wait).
      let counts = await workersPerStage();
      while (counts.preprocess === 0 || counts.extract === 0) {
        if (child.exitCode !== null) throw new Error(`worker exited early:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        counts = await workersPerStage();
      }
      expect(counts).toEqual({ preprocess: 1, extract: 1, train: 0, evaluate: 0 });

      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      expect(output).toMatch(/"msg":"worker stopped"/);
      expect(await workersPerStage()).toEqual({ preprocess: 0, extract: 0, train: 0, evaluate: 0 });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
