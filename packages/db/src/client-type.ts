import type { PrismaClient as SqliteClient } from './generated/sqlite/client';

/**
 * The Prisma client type the repositories use. Both providers are generated from one model file
 * (prisma/models.prisma), so their model APIs are identical; the SQLite client's type names them.
 * (A module of its own so that `migrate.ts` can name it without importing `client.ts`, which imports it.)
 */
export type DbClient = InstanceType<typeof SqliteClient>;

export type DatabaseProvider = 'sqlite' | 'postgresql';
