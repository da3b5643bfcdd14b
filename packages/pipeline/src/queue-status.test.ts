import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '@captioner/test-services';
import { QUEUE_NAMES } from './queues';
import { queueStatus } from './queue-status';
import { createProducerConnection, createWorkerConnection } from './redis';

const REDIS_URL = testRedisUrl();

describe('queueStatus on real Redis', () => {
  // A prefix of its own: no other test or cluster on this Redis is counted.
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  let connection: Redis;

  beforeAll(async () => {
    connection = await createProducerConnection(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length > 0) await connection.del(...keys);
    connection.disconnect();
  });

  it('counts jobs per state and the workers connected to each stage queue', async () => {
    const empty = await queueStatus(connection, prefix);
    expect(empty.map((q) => q.stage)).toEqual(['preprocess', 'extract', 'train', 'evaluate']);
    expect(empty.every((q) => q.workers === 0 && Object.values(q.jobs).every((n) => n === 0))).toBe(true);

    const preprocess = new Queue(QUEUE_NAMES.preprocess, { connection, prefix });
    await preprocess.addBulk([1, 2, 3].map((shard) => ({ name: 'preprocess', data: { shard } })));
    await preprocess.add('preprocess', { shard: 4 }, { delay: 60_000 });
    await preprocess.add('preprocess', { shard: 5 }, { priority: 2 });
    await preprocess.close();

    // A worker that takes one job and holds it: one active, one worker connected.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const started = new Promise<void>((resolve) => (taken = resolve));
    const workerConnection = createWorkerConnection(REDIS_URL);
    const worker = new Worker(
      QUEUE_NAMES.train,
      async () => {
        taken();
        await held;
      },
      { connection: workerConnection, prefix },
    );
    const train = new Queue(QUEUE_NAMES.train, { connection, prefix });
    await train.add('train', { runId: 'r' });
    await train.close();
    await started;

    const status = await queueStatus(connection, prefix);
    const of = (stage: string) => status.find((q) => q.stage === stage)!;
    expect(of('train').stale).toEqual([]);
    expect(of('preprocess').jobs).toMatchObject({ waiting: 4, delayed: 1, active: 0 });
    expect(of('preprocess').workers).toBe(0);
    expect(of('train').jobs).toMatchObject({ waiting: 0, active: 1 });
    expect(of('train').workers).toBe(1);

    release();
    await worker.close();
    workerConnection.disconnect();
    const after = await queueStatus(connection, prefix);
    expect(after.find((q) => q.stage === 'train')).toMatchObject({
      workers: 0,
      jobs: { active: 0, completed: 1 },
    });
  });

  it('counts jobs waiting for their children apart from jobs that can start', async () => {
    const flows = new FlowProducer({ connection, prefix });
    await flows.add({
      name: 'evaluate',
      queueName: QUEUE_NAMES.evaluate,
      data: {},
      children: [{ name: 'train', queueName: QUEUE_NAMES.train, data: {}, opts: { delay: 60_000 } }],
    });
    await flows.close();
    const status = await queueStatus(connection, prefix);
    expect(status.find((q) => q.stage === 'evaluate')?.jobs).toMatchObject({
      waiting: 0,
      'waiting-children': 1,
    });
  });

  it('flags an active job whose worker process is gone, then whose lock has expired', async () => {
    const stalePrefix = `${prefix}-stale`;
    // A real worker process, named as `captioner worker` names its workers, killed while it holds a job.
    const script = `
      import { Worker } from 'bullmq';
      import { Redis } from 'ioredis';
      const connection = new Redis(${JSON.stringify(REDIS_URL)}, { maxRetriesPerRequest: null });
      new Worker(${JSON.stringify(QUEUE_NAMES.extract)}, async () => {
        console.log('taken');
        await new Promise(() => {});
      }, { connection, prefix: ${JSON.stringify(stalePrefix)}, name: 'host-4242', lockDuration: 600000 });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const taken = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => d.toString().includes('taken') && resolve()),
    );
    const extract = new Queue(QUEUE_NAMES.extract, { connection, prefix: stalePrefix });
    try {
      const job = await extract.add('extract', { shard: 0 }, { jobId: 'run-extract-0' });
      await taken;
      const alive = (await queueStatus(connection, stalePrefix)).find((q) => q.stage === 'extract')!;
      expect(alive).toMatchObject({ workers: 1, jobs: { active: 1 }, stale: [] });

      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      // The lock stays for its full duration; the worker's connections are gone at once.
      await waitFor(async () => (await extract.getWorkersCount()) === 0);
      const gone = (await queueStatus(connection, stalePrefix)).find((q) => q.stage === 'extract')!;
      expect(gone).toMatchObject({ workers: 0, jobs: { active: 1 } });
      expect(gone.stale).toEqual([{ jobId: job.id, reason: 'worker gone', worker: 'host-4242' }]);

      // What the lock's expiry does (BullMQ sets it with PX lockDuration).
      await connection.del(`${stalePrefix}:${QUEUE_NAMES.extract}:${job.id}:lock`);
      const expired = (await queueStatus(connection, stalePrefix)).find((q) => q.stage === 'extract')!;
      expect(expired.stale).toEqual([{ jobId: job.id, reason: 'lock expired', worker: 'host-4242' }]);
    } finally {
      child.kill('SIGKILL');
      await extract.close();
      const keys = await connection.keys(`${stalePrefix}:*`);
      if (keys.length > 0) await connection.del(...keys);
    }
  });
});

/** Polls `check` until it holds: Redis drops a killed process's connections soon, not at a known time. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached in 10 s');
}
