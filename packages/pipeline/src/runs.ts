import { ConfigError, NotFoundError } from '@captioner/core';
import {
  createEvaluation,
  createRun,
  createStageRuns,
  findFinalEvaluation,
  getRun,
  listStages,
  newId,
  readRunConfig,
  resolveEncoderWeights,
} from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { readManifest, splitItems } from '@captioner/dataset';
import {
  decodingSettingsOf,
  resolveRunConfig,
  runConfigSection,
  shardItems,
} from '@captioner/stage-contract';
import type { RunConfig } from '@captioner/stage-contract';
import type { RunPlan } from './run-plan';
import { planStageKeys } from './run-plan';

/**
 * Creates a run: validates its config, counts its shards from the data set, and records the run, its
 * stage rows and its final Evaluation row, so every executor and every machine sees the same plan.
 */
export async function createRunWithPlan(
  db: DbClient,
  input: {
    datasetId: string;
    manifestPath: string;
    config: unknown;
    name?: string;
    executor: 'local' | 'bullmq';
    sweepId?: string;
  },
): Promise<{ plan: RunPlan; config: RunConfig }> {
  const config = resolveRunConfig(input.config);
  const manifest = await readManifest(input.manifestPath);
  if (manifest.items.length === 0) throw new ConfigError(`data set ${manifest.name} has no images`);
  // Found now rather than after training: a COCO import, for one, has no test split.
  if (splitItems(manifest, config.evaluation.split).length === 0)
    throw new ConfigError(missingSplitMessage(manifest.name, config.evaluation.split));
  // An unknown weights name (or one of another architecture) is refused now, not by the extract stage.
  await resolveEncoderWeights(db, config.model.encoder);
  const shards = shardItems(manifest.items, config.shardSize).length;
  const run = await createRun(db, {
    datasetId: input.datasetId,
    name: input.name,
    config,
    executor: input.executor,
    sweepId: input.sweepId,
  });
  const evaluationId = newId('eval');
  const plan: RunPlan = {
    runId: run.id,
    shards,
    evaluation: {
      runId: run.id,
      evaluationId,
      checkpoint: 'best',
      split: config.evaluation.split,
      ...decodingSettingsOf(config.evaluation),
      maxImages: 0,
      trackStage: true,
    },
  };
  await createStageRuns(db, planStageKeys(plan));
  await createEvaluation(db, {
    id: evaluationId,
    runId: run.id,
    checkpointId: null,
    split: plan.evaluation.split,
    isFinal: true,
    settings: { checkpoint: 'best', ...decodingSettingsOf(plan.evaluation), maxImages: 0 },
  });
  return { plan, config };
}

/** The plan of an existing run, rebuilt from its rows (for `run resume`). */
export async function loadRunPlan(db: DbClient, runId: string): Promise<RunPlan> {
  const run = await getRun(db, runId);
  const stages = await listStages(db, runId);
  const shards = stages.filter((s) => s.stage === 'preprocess').length;
  const finalEvaluation = runConfigSection(readRunConfig(run), 'evaluation');
  const evaluation = await findFinalEvaluation(db, runId);
  if (!evaluation) throw new NotFoundError(`run ${runId} has no final evaluation recorded`);
  return {
    runId,
    shards,
    evaluation: {
      runId,
      evaluationId: evaluation.id,
      checkpoint: 'best',
      split: finalEvaluation.split,
      ...decodingSettingsOf(finalEvaluation),
      maxImages: 0,
      trackStage: true,
    },
  };
}

/** The one-line refusal of an evaluation split the data set does not have. */
export function missingSplitMessage(dataset: string, split: string): string {
  const other = split === 'test' ? 'val' : 'test';
  return `data set ${dataset} has no ${split} split: evaluation.split is ${split} (choose another, e.g. --set evaluation.split=${other})`;
}
