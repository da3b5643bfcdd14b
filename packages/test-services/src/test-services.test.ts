import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLeftovers, TEST_SERVICES_DIR_PREFIX, writeOwnerRecord } from './leftovers';
import { MissingTestToolError } from './missing-tool';
import { canConnect } from './ports';
import { PrivateRedis } from './private-redis';
import { startTestServices } from './test-services';
import type { TestServices } from './test-services';

/** One command to Redis over its wire protocol; returns the raw reply. */
function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.endsWith('\r\n')) socket.end();
    });
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

async function postgresQuery(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0];
  } finally {
    await client.end();
  }
}

/** Whether the port stops accepting connections within 5 s (a signal is delivered asynchronously). */
async function closes(port: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (!(await canConnect(port))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** The pid of a process that has exited (no one else has it yet). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('startTestServices', () => {
  let tmpdir: string;
  beforeAll(async () => {
    tmpdir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-services-test-'));
    // Like os.tmpdir(): PostgreSQL, run as another user under root, must reach its directory in here.
    await fs.chmod(tmpdir, 0o755);
  });
  afterAll(async () => {
    await fs.rm(tmpdir, { recursive: true, force: true });
  });

  it('starts its own Redis and PostgreSQL on free ports, in a temporary directory removed by stop()', async () => {
    const services: TestServices = await startTestServices({}, { tmpdir });
    const redisPort = Number(new URL(services.redisUrl).port);
    const postgresPort = Number(new URL(services.postgresUrl).port);
    try {
      expect(services.root).toBeDefined();
      const root = services.root!;
      expect(path.dirname(root)).toBe(tmpdir);
      expect([redisPort, postgresPort]).not.toContain(6379);
      expect([redisPort, postgresPort]).not.toContain(5432);
      // The servers that answer are ours: their data lives in the run's directory.
      expect(await redisCommand(redisPort, 'CONFIG', 'GET', 'dir')).toContain(path.join(root, 'redis'));
      const { data_directory } = await postgresQuery(services.postgresUrl, 'SHOW data_directory');
      expect(String(data_directory).startsWith(path.join(root, 'postgres'))).toBe(true);
    } finally {
      await services.stop();
    }
    expect(existsSync(services.root!)).toBe(false);
    expect(await canConnect(redisPort)).toBe(false);
    expect(await canConnect(postgresPort)).toBe(false);
  });

  it('uses the servers named by CAPTIONER_TEST_REDIS_URL and CAPTIONER_TEST_POSTGRES_URL and starts none', async () => {
    const env = {
      CAPTIONER_TEST_REDIS_URL: 'redis://127.0.0.1:1',
      CAPTIONER_TEST_POSTGRES_URL: 'postgresql://postgres@127.0.0.1:1/postgres',
    };
    const services = await startTestServices(env, { tmpdir, searchPath: '' });
    expect(services).toMatchObject({
      redisUrl: env.CAPTIONER_TEST_REDIS_URL,
      postgresUrl: env.CAPTIONER_TEST_POSTGRES_URL,
      root: undefined,
    });
    expect(await fs.readdir(tmpdir)).toEqual([]);
  });

  it('without redis-server fails with one line naming the package, leaving nothing behind', async () => {
    const noRedis = await fs.mkdtemp(path.join(tmpdir, 'empty-path-'));
    const error = await startTestServices({}, { tmpdir, searchPath: noRedis }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingTestToolError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^redis-server not found on the PATH: install the package redis-server/);
    expect((await fs.readdir(tmpdir)).filter((n) => n.startsWith(TEST_SERVICES_DIR_PREFIX))).toEqual([]);
  });

  it('removes the directory and kills the servers of an earlier run whose process is gone', async () => {
    const root = await fs.mkdtemp(path.join(tmpdir, TEST_SERVICES_DIR_PREFIX));
    const redis = await PrivateRedis.start(path.join(root, 'redis'), { persistent: false });
    const other = await fs.mkdtemp(path.join(tmpdir, TEST_SERVICES_DIR_PREFIX));
    try {
      await fs.writeFile(
        path.join(root, 'owner.json'),
        JSON.stringify({ ownerPid: await deadPid(), serverPids: [redis.pid] }),
      );
      writeOwnerRecord(other, []); // This process: alive, so kept.
      expect(removeLeftovers(tmpdir)).toEqual([root]);
      expect(existsSync(root)).toBe(false);
      expect(existsSync(other)).toBe(true);
      expect(await closes(redis.port)).toBe(true);
    } finally {
      await redis.stop();
      await fs.rm(other, { recursive: true, force: true });
    }
  });

  it('a run stopped by SIGTERM stops its servers and removes its directory', async () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'hold-services.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, tmpdir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = await new Promise<{ root: string; redisUrl: string; postgresUrl: string }>(
      (resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (out.includes('\n')) resolve(JSON.parse(out));
        });
        child.once('exit', (code) => reject(new Error(`hold-services exited ${code} before starting`)));
      },
    );
    const ports = [started.redisUrl, started.postgresUrl].map((url) => Number(new URL(url).port));
    expect(await Promise.all(ports.map(canConnect))).toEqual([true, true]);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(existsSync(started.root)).toBe(false);
    // SIGKILLed servers close their ports at once; give the kernel a moment to tear the sockets down.
    for (const port of ports) {
      for (let i = 0; i < 50 && (await canConnect(port)); i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await canConnect(port)).toBe(false);
    }
  });
});
