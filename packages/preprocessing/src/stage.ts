import { InvalidInputError, artifactPaths, readShardFile } from '@captioner/core';
import { getRun, recordShard, readRunConfig } from '@captioner/db';
import type { StageContext } from '@captioner/db';
import { imagePath, readManifest } from '@captioner/dataset';
import fs from 'node:fs/promises';
import { z } from 'zod';
import { preprocessShard } from './preprocess-shard';
import { parsePreprocessSettings } from './settings';
import { shardItems, DEFAULT_SHARD_SIZE } from './shard-items';

/** The part of a run config this stage reads. */
const stageConfigSchema = z.object({
  preprocess: z.unknown().optional(),
  shardSize: z.number().int().positive().default(DEFAULT_SHARD_SIZE),
});

/**
 * The preprocess stage handler: shard `shard` of the run's data set (all splits, manifest order)
 * becomes an image shard under the run, recorded in the database. A complete shard is skipped.
 */
export async function preprocessStage(
  payload: { runId: string; shard: number },
  ctx: StageContext,
): Promise<void> {
  const run = await getRun(ctx.db, payload.runId);
  const runConfig = stageConfigSchema.parse(readRunConfig(run));
  const settings = parsePreprocessSettings(runConfig.preprocess);
  const manifest = await readManifest(run.dataset.manifestPath);
  const items = shardItems(manifest.items, runConfig.shardSize)[payload.shard];
  if (!items)
    throw new InvalidInputError(
      `run ${run.id}: shard ${payload.shard} does not exist in data set ${run.dataset.name}`,
    );
  const outFile = artifactPaths(ctx.config.home).imageShard(run.id, payload.shard);
  const result = await preprocessShard({
    items: items.map((item) => ({ id: item.id, path: imagePath(manifest, item) })),
    outFile,
    settings,
    signal: ctx.signal,
    onProgress: (update) => {
      void ctx
        .reportProgress(update)
        .catch((error) => ctx.logger.warn({ error: String(error) }, 'progress not stored'));
    },
  });
  for (const failure of result.failed)
    ctx.logger.warn({ image: failure.id, error: failure.error }, 'image skipped');
  const { header } = await readShardFile(outFile);
  const { size } = await fs.stat(outFile);
  await recordShard(ctx.db, {
    runId: run.id,
    kind: 'images',
    index: payload.shard,
    path: outFile,
    itemCount: result.written,
    failed: result.failed,
    sha256: header.sha256,
    bytes: size,
  });
}
