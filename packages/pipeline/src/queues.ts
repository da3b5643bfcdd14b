import type { StageKind } from '@captioner/db';

/** One BullMQ queue per stage. */
export const QUEUE_NAMES: Record<StageKind, string> = {
  preprocess: 'captioner-preprocess',
  extract: 'captioner-extract',
  train: 'captioner-train',
  evaluate: 'captioner-evaluate',
};

/** Stages that run the model: one at a time per worker process, so one GPU is never shared. */
export const MODEL_STAGES: readonly StageKind[] = ['extract', 'train', 'evaluate'];

/**
 * Deterministic job id from run, stage and shard, so that enqueueing twice never duplicates work.
 * BullMQ forbids `:` in custom ids, hence `-`.
 */
export function stageJobId(runId: string, stage: StageKind, shard: number | string): string {
  return `${runId}-${stage}-${shard}`;
}
