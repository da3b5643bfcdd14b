import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createScratchDatabase, openDatabase } from './index';
import type { DatabaseProvider } from './client';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The DDL Prisma would write for prisma/<provider>/schema.prisma on an empty database. Why not
 * `prisma migrate diff --from-migrations`: with driver adapters it fails here (PostgreSQL:
 * prisma/orm#27403; SQLite: the shadow database refuses 0001), so the test compares databases instead.
 * The CLI opens the adapter's database (`DATABASE_URL`) even for `--from-empty`: give it an empty one.
 */
async function prismaDdl(provider: DatabaseProvider, emptyDatabaseUrl: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'),
      'migrate',
      'diff',
      '--config',
      `${provider}.config.ts`,
      '--from-empty',
      '--to-schema-datamodel',
      path.join(provider, 'schema.prisma'),
      '--script',
    ],
    {
      cwd: path.join(ROOT, 'prisma'),
      env: { ...process.env, CHECKPOINT_DISABLE: '1', DATABASE_URL: emptyDatabaseUrl },
    },
  );
  return stdout;
}

/** Tables, columns, types, defaults, keys and indexes, in an order that does not depend on history. */
const POSTGRES_SHAPE = `
  select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
         || ' ' || coalesce(column_default, '') as item
  from information_schema.columns where table_schema = 'public' and table_name <> 'captioner_migrations'
  union all
  select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  from pg_constraint where connamespace = 'public'::regnamespace
    -- PostgreSQL 18 names NOT NULL constraints after the column's first name; nullability is compared with the columns.
    and contype <> 'n'
    and conrelid::regclass::text <> 'captioner_migrations'
  union all
  select 'index ' || indexdef from pg_indexes where schemaname = 'public' and tablename <> 'captioner_migrations'
  order by 1`;

async function postgresShape(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ item: string }>(POSTGRES_SHAPE)).rows.map((r) => r.item);
  } finally {
    await client.end();
  }
}

async function sqliteShape(url: string): Promise<string[]> {
  const adapter = await new PrismaBetterSQLite3({ url: url.slice('file:'.length) }).connect();
  try {
    const result = await adapter.queryRaw({
      sql: `select type || ' ' || name || ' ' || coalesce(sql, '') from sqlite_master
            where name not like 'sqlite_%' and name <> 'captioner_migrations' order by type, name`,
      args: [],
      argTypes: [],
    });
    // Quotes and line breaks differ between a hand-written migration and Prisma's DDL, not meaning.
    return result.rows.map((row) => String(row[0]).replaceAll('"', '').replace(/\s+/g, ' ').trim());
  } finally {
    await adapter.dispose();
  }
}

describe.each(['sqlite', 'postgresql'] as const)('the committed %s migrations', (provider) => {
  it('produce exactly the schema of prisma/models.prisma', async () => {
    const migrated = await createScratchDatabase(provider);
    const expected = await createScratchDatabase(provider);
    try {
      await (await openDatabase(migrated.url)).close();
      const ddl = await prismaDdl(provider, expected.url);
      if (provider === 'sqlite') {
        const adapter = await new PrismaBetterSQLite3({ url: expected.url.slice('file:'.length) }).connect();
        await adapter.executeScript(ddl).finally(() => adapter.dispose());
        expect(await sqliteShape(migrated.url)).toEqual(await sqliteShape(expected.url));
      } else {
        const client = new pg.Client({ connectionString: expected.url });
        await client.connect();
        await client.query(ddl).finally(() => client.end());
        expect(await postgresShape(migrated.url)).toEqual(await postgresShape(expected.url));
      }
    } finally {
      await migrated.drop();
      await expected.drop();
    }
  });
});
