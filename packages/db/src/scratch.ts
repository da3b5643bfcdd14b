import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The server tests create scratch databases on: the test run's own PostgreSQL, whose admin URL the
 * vitest global setup of @captioner/test-services puts here. No default: a test never falls back to
 * whatever PostgreSQL the machine runs.
 */
export function testPostgresAdminUrl(): string {
  const url = process.env.CAPTIONER_TEST_POSTGRES_URL;
  if (!url)
    throw new Error(
      "CAPTIONER_TEST_POSTGRES_URL is not set: run the tests with a vitest.config.ts that uses servicesTestConfig (it starts the test run's PostgreSQL)",
    );
  return url;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database for one test: a fresh SQLite file, or a fresh PostgreSQL database on the
 * test server. Tests use real databases; this keeps them independent of each other.
 */
export async function createScratchDatabase(provider: 'sqlite' | 'postgresql'): Promise<ScratchDatabase> {
  if (provider === 'sqlite') {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-db-'));
    return {
      url: `file:${path.join(dir, 'test.db')}`,
      drop: () => fs.rm(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = testPostgresAdminUrl();
  // Loaded here, not at the top: the CLI imports this package and should not pay for `pg` on SQLite.
  const { default: pg } = await import('pg');
  const name = `captioner_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
