import fs from 'node:fs/promises';
import { z } from 'zod';
import { artifactPaths, warnOnFailure } from '@captioner/core';
import { getRun, recordShard } from '@captioner/db';
import type { StageContext } from '@captioner/db';
import { initBackend, modelConfigSchema } from '@captioner/model';
import { loadOrCreateRunEncoder } from './encoder-store';
import { extractFeatureShard } from './extract-shard';

const stageConfigSchema = z.object({
  model: z.unknown().optional(),
  seed: z.number().int().default(1),
});

/** The extract stage handler: image shard i of a run -> feature shard i, with the run's encoder. */
export async function extractStage(
  payload: { runId: string; shard: number },
  ctx: StageContext,
): Promise<void> {
  const run = await getRun(ctx.db, payload.runId);
  const runConfig = stageConfigSchema.parse(JSON.parse(run.config));
  const model = modelConfigSchema.parse(runConfig.model ?? {});
  await initBackend(ctx.config.backend);
  const paths = artifactPaths(ctx.config.home);
  const encoder = await loadOrCreateRunEncoder(paths.encoderDir(run.id), model.encoder, runConfig.seed);
  try {
    const featureFile = paths.featureShard(run.id, payload.shard);
    const result = await extractFeatureShard({
      imageFile: paths.imageShard(run.id, payload.shard),
      featureFile,
      encoder,
      encoderName: model.encoder.kind,
      signal: ctx.signal,
      onProgress: (update) => {
        void ctx.reportProgress(update).catch(warnOnFailure(ctx.logger, 'recording progress'));
      },
    });
    const { size } = await fs.stat(featureFile);
    await recordShard(ctx.db, {
      runId: run.id,
      kind: 'features',
      index: payload.shard,
      path: featureFile,
      itemCount: result.count,
      failed: [],
      sha256: result.header.sha256,
      bytes: size,
    });
  } finally {
    encoder.dispose();
  }
}
