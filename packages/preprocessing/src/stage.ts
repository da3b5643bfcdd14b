import { InvalidInputError, artifactPaths, readShardFile } from '@captioner/core';
import type { ProgressUpdate } from '@captioner/core';
import { getRun, readRunConfig, recordShard } from '@captioner/db';
import type { StageContext } from '@captioner/stage-contract';
import { imagePath, readManifest } from '@captioner/dataset';
import fs from 'node:fs/promises';
import { countFailures, describeShardOutcome, preprocessShard } from './preprocess-shard';
import { runConfigSection, shardItems } from '@captioner/stage-contract';

/**
 * The preprocess stage handler: shard `shard` of the run's data set (all splits, manifest order)
 * becomes an image shard under the run, recorded in the database. A complete shard is skipped.
 */
export async function preprocessStage(
  payload: { runId: string; shard: number },
  ctx: StageContext,
): Promise<void> {
  const run = await getRun(ctx.db, payload.runId);
  const runConfig = readRunConfig(run);
  const settings = runConfigSection(runConfig, 'preprocess');
  const manifest = await readManifest(run.dataset.manifestPath);
  const items = shardItems(manifest.items, runConfigSection(runConfig, 'shardSize'))[payload.shard];
  if (!items)
    throw new InvalidInputError(
      `run ${run.id}: shard ${payload.shard} does not exist in data set ${run.dataset.name}`,
    );
  const outFile = artifactPaths(ctx.config.home).imageShard(run.id, payload.shard);
  // Progress writes in order, so the outcome written last is the message the stage row keeps.
  let progressWrites = Promise.resolve();
  const report = (update: ProgressUpdate) => {
    progressWrites = progressWrites
      .then(() => ctx.reportProgress(update))
      .catch((error) => ctx.logger.warn({ error: String(error) }, 'progress not stored'));
    return progressWrites;
  };
  const result = await preprocessShard({
    items: items.map((item) => ({ id: item.id, path: imagePath(manifest, item) })),
    outFile,
    settings,
    signal: ctx.signal,
    onProgress: (update) => void report(update),
  });
  for (const failure of result.failed)
    ctx.logger.warn({ image: failure.id, error: failure.error }, 'image skipped');
  // The counts stay on the stage row (`run show`, the API's run view), not only in worker logs.
  await report({
    fraction: 1,
    message: describeShardOutcome(result),
    figures: { written: result.written, ...countFailures(result.failed) },
  });
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
