import { WHOLE_RUN } from '@captioner/db';
import type { StageKey } from '@captioner/db';
import type { EvaluatePayload } from './payloads';

/** The jobs of one run: N preprocess and N extract shards, one training, one final evaluation. */
export interface RunPlan {
  runId: string;
  shards: number;
  evaluation: EvaluatePayload;
}

export function planStageKeys(plan: RunPlan): StageKey[] {
  const keys: StageKey[] = [];
  for (let shard = 0; shard < plan.shards; shard++)
    keys.push({ runId: plan.runId, stage: 'preprocess', shard });
  for (let shard = 0; shard < plan.shards; shard++) keys.push({ runId: plan.runId, stage: 'extract', shard });
  keys.push({ runId: plan.runId, stage: 'train', shard: WHOLE_RUN });
  keys.push({ runId: plan.runId, stage: 'evaluate', shard: WHOLE_RUN });
  return keys;
}
