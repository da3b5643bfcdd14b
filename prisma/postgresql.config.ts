// Prisma CLI config for the PostgreSQL schema. engine "js" + a driver adapter: no native engine download.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

export default defineConfig({
  experimental: { adapter: true },
  schema: path.join('postgresql', 'schema.prisma'),
  migrations: { path: path.join('postgresql', 'migrations') },
  engine: 'js',
  adapter: async () =>
    new PrismaPg({
      connectionString: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/captioner',
    }),
});
