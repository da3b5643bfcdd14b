import { NotFoundError } from '@captioner/core';
import type { DbClient } from '../client';
import { newId } from '../ids';
import { toJsonColumn } from '../json-columns';

export interface DatasetRecordInput {
  name: string;
  format: string;
  sourcePath: string;
  manifestPath: string;
  itemCount: number;
  captionCount: number;
  splits: Record<string, number>;
  report: unknown;
  problemCount: number;
}

/** Registers a data set by name; importing the same name again updates it (idempotent import). */
export async function upsertDataset(db: DbClient, input: DatasetRecordInput) {
  const data = { ...input, splits: toJsonColumn(input.splits), report: toJsonColumn(input.report) };
  return db.dataset.upsert({
    where: { name: input.name },
    create: { id: newId('ds'), ...data },
    update: data,
  });
}

export async function listDatasets(db: DbClient) {
  return db.dataset.findMany({ orderBy: { createdAt: 'asc' } });
}

/** Finds a data set by id or by name. */
export async function getDataset(db: DbClient, idOrName: string) {
  const found = await db.dataset.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!found) throw new NotFoundError(`data set not found: ${idOrName}`);
  return found;
}
