// Prisma CLI config for the SQLite schema. engine "js" + a driver adapter: no native engine download.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

export default defineConfig({
  experimental: { adapter: true },
  schema: path.join('sqlite', 'schema.prisma'),
  migrations: { path: path.join('sqlite', 'migrations') },
  engine: 'js',
  adapter: async () =>
    new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:.captioner/captioner.db' }),
});
