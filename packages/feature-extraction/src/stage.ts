import fs from 'node:fs/promises';
import { artifactPaths, warnOnFailure } from '@captioner/core';
import { getRun, readRunConfig, recordShard, resolveEncoderWeights } from '@captioner/db';
import type { StageContext } from '@captioner/stage-contract';
import { inferenceEncoder, initBackend } from '@captioner/model';
import { runConfigSection } from '@captioner/stage-contract';
import { loadOrCreateRunEncoder } from './encoder-store';
import { extractFeatureShard } from './extract-shard';
import { extractFeatureViews, featureViewCount } from './augment/feature-views';
import { viewSplits } from './augment/view-splits';

/** The extract stage handler: image shard i of a run -> feature shard i, with the run's encoder. */
export async function extractStage(
  payload: { runId: string; shard: number },
  ctx: StageContext,
): Promise<void> {
  const run = await getRun(ctx.db, payload.runId);
  const runConfig = readRunConfig(run);
  const model = runConfigSection(runConfig, 'model');
  const seed = runConfigSection(runConfig, 'seed');
  const input = runConfigSection(runConfig, 'training').input;
  const preprocess = runConfigSection(runConfig, 'preprocess');
  // Store only what training will read: the grid feeds attention and fine-tuning, nothing else.
  const grid = model.decoder.attention || model.encoder.trainable ? input.gridDtype : 'none';
  await initBackend(ctx.config.backend);
  const paths = artifactPaths(ctx.config.home);
  const encoderDir = paths.encoderDir(run.id);
  // A registered name (`captioner encoder import|fetch`) stands for its copy under CAPTIONER_HOME.
  const encoder = await loadOrCreateRunEncoder(
    encoderDir,
    await resolveEncoderWeights(ctx.db, model.encoder),
    seed,
  );
  try {
    // ONNX Runtime when it loads (one session per worker process, see releaseInferenceSessions), else tfjs.
    const inference = await inferenceEncoder(encoder, encoderDir, {
      onWarning: (message) => ctx.logger.warn({ runId: run.id }, message),
    });
    const featureFile = paths.featureShard(run.id, payload.shard);
    const result = await extractFeatureShard({
      imageFile: paths.imageShard(run.id, payload.shard),
      featureFile,
      encoder: inference.encoder,
      encoderName: model.encoder.kind,
      engine: inference.engine,
      grid,
      signal: ctx.signal,
      onProgress: (update) => {
        void ctx.reportProgress(update).catch(warnOnFailure(ctx.logger, 'recording progress'));
      },
    });
    const views = featureViewCount(preprocess.augment, model.encoder.trainable);
    if (views > 1) {
      const { augmented, mayFlip } = await viewSplits(
        run.dataset.manifestPath,
        runConfigSection(runConfig, 'vocabulary'),
      );
      await extractFeatureViews({
        imageFile: paths.imageShard(run.id, payload.shard),
        featureFile,
        encoder: inference.encoder,
        settings: preprocess.augment,
        seed,
        augmented,
        mayFlip,
        grid,
        signal: ctx.signal,
      });
    }
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
