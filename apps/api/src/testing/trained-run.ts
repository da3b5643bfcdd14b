import { createLogger } from '@captioner/core';
import { initBackend } from '@captioner/model';
import { createRunWithPlan, runPipelineLocally } from '@captioner/pipeline';
import { createStageHandlers } from '@captioner/worker';
import type { DashboardFixture } from './fixture';

/**
 * The smallest real model the captioning tests need: a run trained by the real stages (preprocess, extract,
 * train, evaluate; in process, as `captioner run start` does locally) on the fixture's shapes data set, with
 * attention (the decoder's default). About a minute on a loaded 2-core machine.
 */
export const TINY_TRAINED_CONFIG = {
  seed: 3,
  shardSize: 24,
  preprocess: { resizeShorterTo: 32 },
  model: {
    encoder: { imageSize: 32 },
    decoder: { embeddingSize: 16, hiddenSize: 32, attentionSize: 16, maxLength: 8 },
  },
  training: { epochs: 2, batchSize: 8 },
  vocabulary: { minCount: 1 },
  evaluation: { beamSize: 2 },
};

/** Trains a run on the fixture's data set; returns it and its final evaluation's id. */
export async function trainTinyRun(
  fixture: DashboardFixture,
  config: object = TINY_TRAINED_CONFIG,
): Promise<{ runId: string; evaluationId: string }> {
  const db = fixture.database.client;
  await initBackend(fixture.config.backend);
  const { plan } = await createRunWithPlan(db, {
    datasetId: fixture.datasetId,
    manifestPath: fixture.manifestFile,
    config,
    name: 'tiny trained',
    executor: 'local',
  });
  await runPipelineLocally(plan, {
    config: fixture.config,
    db,
    logger: createLogger('test', 'silent'),
    handlers: createStageHandlers(),
    workerId: 'api-test',
    signal: new AbortController().signal,
    maxAttempts: 1,
  });
  const evaluation = await db.evaluation.findFirstOrThrow({ where: { runId: plan.runId, isFinal: true } });
  return { runId: plan.runId, evaluationId: evaluation.id };
}
