import { z } from 'zod';
import { ConfigError } from '@captioner/core';
import { modelConfigSchema } from '@captioner/model';
import { DEFAULT_SHARD_SIZE, preprocessSettingsSchema } from '@captioner/preprocessing';
import { trainingConfigSchema } from '@captioner/training';

/**
 * Everything a run needs, validated once when the run is created and stored resolved (defaults
 * filled in) in the Run row; each stage reads its own part. The defaults are the demo's.
 */
export const runConfigSchema = z.object({
  /** Seeds the encoder's initial weights and the training (data order, dropout, init). @defaultValue 1 */
  seed: z.number().int().default(1),
  /** Images per preprocess/extract shard (one job each). @defaultValue 256 */
  shardSize: z.number().int().positive().default(DEFAULT_SHARD_SIZE),
  /** Image decoding and normalization; `imageSize` defaults to the encoder's. */
  preprocess: z.record(z.string(), z.unknown()).default({}),
  vocabulary: z
    .object({
      /** Words seen fewer times in the train split become `<unk>`. @defaultValue 5 */
      minCount: z.number().int().positive().default(5),
      /** Captions are clipped to this many words. @defaultValue 16 */
      maxLength: z.number().int().positive().default(16),
    })
    .default({ minCount: 5, maxLength: 16 }),
  model: z.unknown().default({}),
  training: z.unknown().default({}),
  /** The evaluation that ends the pipeline. */
  evaluation: z
    .object({
      split: z.enum(['val', 'test']).default('test'),
      /** @defaultValue 3 */
      beamSize: z.number().int().min(1).max(20).default(3),
    })
    .default({ split: 'test', beamSize: 3 }),
});

export type RunConfigInput = z.input<typeof runConfigSchema>;

function firstIssue(label: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  return new ConfigError(
    `run config: ${label}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
  );
}

/** Validates a run config and fills every default, so the stored config says exactly what ran. */
export function resolveRunConfig(input: unknown = {}) {
  const parsed = runConfigSchema.safeParse(input ?? {});
  if (!parsed.success) throw firstIssue('', parsed.error);
  const base = parsed.data;
  const model = modelConfigSchema.safeParse(base.model);
  if (!model.success) throw firstIssue('model', model.error);
  const training = trainingConfigSchema.safeParse(base.training);
  if (!training.success) throw firstIssue('training', training.error);
  const preprocess = preprocessSettingsSchema.safeParse({
    imageSize: model.data.encoder.imageSize,
    ...base.preprocess,
  });
  if (!preprocess.success) throw firstIssue('preprocess', preprocess.error);
  if (preprocess.data.imageSize !== model.data.encoder.imageSize) {
    throw new ConfigError(
      `run config: preprocess.imageSize (${preprocess.data.imageSize}) differs from model.encoder.imageSize (${model.data.encoder.imageSize})`,
    );
  }
  return { ...base, preprocess: preprocess.data, model: model.data, training: training.data };
}

export type RunConfig = ReturnType<typeof resolveRunConfig>;
