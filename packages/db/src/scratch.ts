import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests create scratch databases on. @defaultValue local trust-auth PostgreSQL */
export const TEST_POSTGRES_ADMIN_URL =
  process.env.CAPTIONER_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

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
  const name = `captioner_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
