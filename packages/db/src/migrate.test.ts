import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationChangedError, createScratchDatabase, openDatabase } from './index';
import type { ScratchDatabase } from './index';

describe.each(['sqlite', 'postgresql'] as const)('migrations on %s', (provider) => {
  let scratch: ScratchDatabase;

  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
    await (await openDatabase(scratch.url)).close();
  });
  afterAll(async () => {
    await scratch.drop();
  });

  it('opens a database whose applied migrations are unchanged', async () => {
    const db = await openDatabase(scratch.url);
    await db.close();
  });

  it('refuses a database whose applied migration differs from its file, naming the migration', async () => {
    // What the database recorded no longer matches prisma/<provider>/migrations/0001_init: the same as
    // the file having been edited after it was applied.
    const db = await openDatabase(scratch.url);
    await db.client.$executeRawUnsafe(
      "UPDATE captioner_migrations SET checksum = 'edited' WHERE name = '0001_init'",
    );
    await db.close();

    const opened = openDatabase(scratch.url);
    await expect(opened).rejects.toBeInstanceOf(MigrationChangedError);
    await expect(opened).rejects.toMatchObject({ migration: '0001_init', permanent: true });
    await expect(opened).rejects.toThrow(/migration 0001_init was changed/);
  });
});
