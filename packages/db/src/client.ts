import fs from 'node:fs';
import path from 'node:path';
import { ConnectionError, describeError } from '@captioner/core';
import type { DatabaseProvider, DbClient } from './client-type';
import { applyMigrations, MigrationChangedError } from './migrate';

export type { DatabaseProvider, DbClient } from './client-type';

export interface Database {
  client: DbClient;
  provider: DatabaseProvider;
  /** The URL without a password, for messages. */
  displayUrl: string;
  close(): Promise<void>;
}

export function providerOf(url: string): DatabaseProvider {
  return url.startsWith('file:') ? 'sqlite' : 'postgresql';
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * Opens the database at `url` (`file:…` for SQLite, `postgresql://…`), applies pending migrations,
 * and checks that it answers. An unreachable server gives a ConnectionError naming the URL.
 */
export async function openDatabase(
  url: string,
  options: { connectTimeoutMs?: number } = {},
): Promise<Database> {
  const provider = providerOf(url);
  const displayUrl = redactUrl(url);
  // Only the provider's client and driver are loaded (each costs 100-200 ms of start-up: `run list`).
  let client: DbClient;
  if (provider === 'sqlite') {
    const file = url.slice('file:'.length);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const [{ PrismaBetterSQLite3 }, { PrismaClient: SqliteClient }] = await Promise.all([
      import('@prisma/adapter-better-sqlite3'),
      import('./generated/sqlite/client'),
    ]);
    // A busy timeout lets several processes (workers, CLI) share one SQLite file.
    client = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: file, timeout: 30_000 }) });
  } else {
    const [{ PrismaPg }, { PrismaClient: PostgresClient }] = await Promise.all([
      import('@prisma/adapter-pg'),
      import('./generated/postgresql/client'),
    ]);
    const adapter = new PrismaPg({
      connectionString: url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      max: 5,
    });
    client = new PostgresClient({ adapter }) as unknown as DbClient;
  }
  try {
    await applyMigrations(client, provider);
  } catch (error) {
    // The migration error below is what matters; a client that failed to migrate may also fail to disconnect.
    await client.$disconnect().catch(() => {});
    // Not a connection problem, and retrying cannot help: say which migration.
    if (error instanceof MigrationChangedError) throw error;
    throw new ConnectionError(`cannot open database ${displayUrl}: ${describeError(error)}`, {
      cause: error,
    });
  }
  return { client, provider, displayUrl, close: () => client.$disconnect() };
}
