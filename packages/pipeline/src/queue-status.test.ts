import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from './queues';
import { queueStatus } from './queue-status';
import { createProducerConnection, createWorkerConnection } from './redis';

const REDIS_URL = process.env.CAPTIONER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

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
});
