import { z } from 'zod';
import { decodingSettingsSchema } from '@captioner/stage-contract';

/** Job payloads: what crosses from the producer to a worker process. */
export const shardPayloadSchema = z.object({
  runId: z.string().min(1),
  shard: z.number().int().nonnegative(),
});
export type ShardPayload = z.infer<typeof shardPayloadSchema>;

export const trainPayloadSchema = z.object({ runId: z.string().min(1) });
export type TrainPayload = z.infer<typeof trainPayloadSchema>;

export const evaluatePayloadSchema = z.object({
  runId: z.string().min(1),
  /** The Evaluation row this job fills. */
  evaluationId: z.string().min(1),
  /** `best`, `last` or a checkpoint id. @defaultValue `best` */
  checkpoint: z.string().min(1).default('best'),
  split: z.enum(['val', 'test']).default('test'),
  /** beamSize (3), lengthPenalty (0), noRepeatNgramSize (0), maxLength (the decoder's). */
  ...decodingSettingsSchema.shape,
  /** Score at most this many images (0 = all). @defaultValue 0 */
  maxImages: z.number().int().nonnegative().default(0),
  /** True for the evaluation that ends a run's pipeline: it updates the run's stage row and status. */
  trackStage: z.boolean().default(false),
});
export type EvaluatePayload = z.infer<typeof evaluatePayloadSchema>;

export const payloadSchemas = {
  preprocess: shardPayloadSchema,
  extract: shardPayloadSchema,
  train: trainPayloadSchema,
  evaluate: evaluatePayloadSchema,
} as const;

export interface StagePayloads {
  preprocess: ShardPayload;
  extract: ShardPayload;
  train: TrainPayload;
  evaluate: EvaluatePayload;
}
