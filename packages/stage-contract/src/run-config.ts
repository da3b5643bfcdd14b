import { z } from 'zod';
import { ConfigError } from '@captioner/core';
import { vocabularyOptionsSchema } from '@captioner/dataset';
import { modelConfigSchema } from '@captioner/model/config';
import { configErrorFrom } from './config-error';
import { finalEvaluationSchema } from './sections/final-evaluation';
import { preprocessSettingsSchema } from './sections/preprocess';
import type { PreprocessSettings, PreprocessSettingsInput } from './sections/preprocess';
import { seedSchema } from './sections/seed';
import { trainingConfigSchema } from './sections/training';
import { shardSizeSchema } from './shard-items';

/**
 * The run config's sections, each with the schema that owns it and holds its defaults: `model` is
 * `@captioner/model`'s, `vocabulary` `@captioner/dataset`'s, the others live in this package.
 */
export const runConfigSections = {
  seed: seedSchema,
  shardSize: shardSizeSchema,
  preprocess: preprocessSettingsSchema,
  vocabulary: vocabularyOptionsSchema,
  model: modelConfigSchema,
  training: trainingConfigSchema,
  evaluation: finalEvaluationSchema,
};
export type RunConfigSection = keyof typeof runConfigSections;

/**
 * The whole run config: strict at every level, so an unknown key is refused by name. `preprocess`
 * is parsed after `model`, because its `imageSize` defaults to the encoder's.
 */
export const runConfigSchema = z.strictObject({
  seed: seedSchema,
  shardSize: shardSizeSchema,
  preprocess: z.unknown().optional(),
  vocabulary: vocabularyOptionsSchema.default(() => vocabularyOptionsSchema.parse({})),
  model: modelConfigSchema.default(() => modelConfigSchema.parse({})),
  training: trainingConfigSchema.default(() => trainingConfigSchema.parse({})),
  evaluation: finalEvaluationSchema.default(() => finalEvaluationSchema.parse({})),
});

export type RunConfig = Omit<z.output<typeof runConfigSchema>, 'preprocess'> & {
  preprocess: PreprocessSettings;
};
export type RunConfigInput = Omit<z.input<typeof runConfigSchema>, 'preprocess'> & {
  preprocess?: PreprocessSettingsInput;
};

const LABEL = 'run config';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a run config and fills every default, so the stored config says exactly what ran. Called
 * once, when a run is created; everything after reads the stored result (`runConfigSection`).
 */
export function resolveRunConfig(input: unknown = {}): RunConfig {
  const parsed = runConfigSchema.safeParse(input ?? {});
  if (!parsed.success) throw configErrorFrom(LABEL, parsed.error);
  const { preprocess: preprocessInput, ...base } = parsed.data;
  const encoderSize = base.model.encoder.imageSize;
  const preprocess = preprocessSettingsSchema.safeParse(
    isPlainObject(preprocessInput)
      ? { imageSize: encoderSize, ...preprocessInput }
      : (preprocessInput ?? { imageSize: encoderSize }),
  );
  if (!preprocess.success) throw configErrorFrom(LABEL, preprocess.error, ['preprocess']);
  if (preprocess.data.imageSize !== encoderSize) {
    throw new ConfigError(
      `${LABEL}: preprocess.imageSize (${preprocess.data.imageSize}) differs from model.encoder.imageSize (${encoderSize})`,
    );
  }
  return { ...base, preprocess: preprocess.data };
}

/**
 * One section of a stored, resolved run config (what `readRunConfig(run)` of `@captioner/db` gives),
 * parsed by the section's schema. The stored config is complete, so the schema adds nothing to it.
 */
export function runConfigSection<K extends RunConfigSection>(
  stored: unknown,
  key: K,
): z.output<(typeof runConfigSections)[K]> {
  const value = isPlainObject(stored) ? stored[key] : undefined;
  const parsed = runConfigSections[key].safeParse(value);
  if (!parsed.success) throw configErrorFrom(`stored ${LABEL}`, parsed.error, [key]);
  return parsed.data as z.output<(typeof runConfigSections)[K]>;
}
