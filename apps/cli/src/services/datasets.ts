import path from 'node:path';
import { artifactPaths } from '@captioner/core';
import { upsertDataset } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { writeManifest } from '@captioner/dataset';
import type { DatasetManifest, ImportReport } from '@captioner/dataset';

/**
 * Registers an imported (or generated) data set: its manifest is copied under CAPTIONER_HOME (so a
 * cluster sharing that volume sees it) and recorded with its report. The same name again updates it.
 */
export async function registerDataset(
  db: DbClient,
  home: string,
  input: {
    name: string;
    format: string;
    sourcePath: string;
    manifest: DatasetManifest;
    report: ImportReport | null;
  },
) {
  const manifestPath = path.join(artifactPaths(home).datasetDir(input.name), 'manifest.json');
  await writeManifest(manifestPath, { ...input.manifest, name: input.name });
  const splits: Record<string, number> = {};
  for (const item of input.manifest.items) splits[item.split] = (splits[item.split] ?? 0) + 1;
  return upsertDataset(db, {
    name: input.name,
    format: input.format,
    sourcePath: path.resolve(input.sourcePath),
    manifestPath,
    itemCount: input.manifest.items.length,
    captionCount: input.manifest.items.reduce((n, item) => n + item.captions.length, 0),
    splits,
    report: input.report ?? { problems: [] },
    problemCount: input.report?.problems.length ?? 0,
  });
}
