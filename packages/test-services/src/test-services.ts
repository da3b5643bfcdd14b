import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  destroyRoot,
  onAbnormalExit,
  removeLeftovers,
  TEST_SERVICES_DIR_PREFIX,
  writeOwnerRecord,
} from './leftovers';
import { PrivatePostgres } from './private-postgres';
import { PrivateRedis } from './private-redis';

/** Where tests read the servers they may use; set by the user to use existing servers instead. */
export const TEST_REDIS_URL_VAR = 'CAPTIONER_TEST_REDIS_URL';
export const TEST_POSTGRES_URL_VAR = 'CAPTIONER_TEST_POSTGRES_URL';

export interface TestServices {
  redisUrl: string;
  /** Admin URL (database `postgres`) on which tests create their scratch databases. */
  postgresUrl: string;
  /** The temporary root of the servers started here, or undefined when both were given. */
  root: string | undefined;
  /** Stops the servers started here and removes their files. */
  stop(): Promise<void>;
}

/**
 * Redis and PostgreSQL for one test run: the ones named in `env` (CAPTIONER_TEST_REDIS_URL,
 * CAPTIONER_TEST_POSTGRES_URL), else private ones started now on free ports with their data in a new
 * temporary directory. Throws MissingTestToolError when a server is needed and cannot be started.
 */
export async function startTestServices(
  env: NodeJS.ProcessEnv = process.env,
  options: { searchPath?: string; tmpdir?: string } = {},
): Promise<TestServices> {
  const givenRedis = env[TEST_REDIS_URL_VAR] || undefined;
  const givenPostgres = env[TEST_POSTGRES_URL_VAR] || undefined;
  if (givenRedis && givenPostgres) {
    return { redisUrl: givenRedis, postgresUrl: givenPostgres, root: undefined, stop: async () => {} };
  }
  const tmpdir = options.tmpdir ?? os.tmpdir();
  removeLeftovers(tmpdir);
  const root = await fs.mkdtemp(path.join(tmpdir, TEST_SERVICES_DIR_PREFIX));
  // Run as root, PostgreSQL runs as another user, who must be able to reach its data directory.
  await fs.chmod(root, 0o755);
  const servers: Array<PrivateRedis | PrivatePostgres> = [];
  const pids = () => servers.map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
  const guard = onAbnormalExit(() => destroyRoot(root, pids()));
  writeOwnerRecord(root, []);

  const stop = async () => {
    guard.release();
    await Promise.all(servers.map((s) => s.stop()));
    await fs.rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  try {
    let redisUrl = givenRedis;
    if (!redisUrl) {
      const redis = await PrivateRedis.start(path.join(root, 'redis'), {
        persistent: false,
        searchPath: options.searchPath,
      });
      servers.push(redis);
      writeOwnerRecord(root, pids());
      redisUrl = redis.url;
    }
    let postgresUrl = givenPostgres;
    if (!postgresUrl) {
      const postgres = await PrivatePostgres.start(path.join(root, 'postgres'));
      servers.push(postgres);
      writeOwnerRecord(root, pids());
      postgresUrl = postgres.url;
    }
    return { redisUrl, postgresUrl, root, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The Redis URL tests must use (set by the global setup); fails when the tests run without it. Tests
 * reach PostgreSQL through createScratchDatabase (@captioner/db), which reads CAPTIONER_TEST_POSTGRES_URL.
 */
export function testRedisUrl(): string {
  const url = process.env[TEST_REDIS_URL_VAR];
  if (!url)
    throw new Error(
      `${TEST_REDIS_URL_VAR} is not set: this package's vitest.config.ts must use servicesTestConfig (its global setup starts the servers)`,
    );
  return url;
}
