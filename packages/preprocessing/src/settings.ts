import { configErrorFrom, preprocessSettingsSchema } from '@captioner/stage-contract';
import type { PreprocessSettings } from '@captioner/stage-contract';

// The schema is the run config's `preprocess` section, so it lives in @captioner/stage-contract.
export { preprocessSettingsSchema, augmentSettingsSchema } from '@captioner/stage-contract';
export type { PreprocessSettings, PreprocessSettingsInput, AugmentSettings } from '@captioner/stage-contract';

/** The defaults: 224 px, shorter side 256, ImageNet normalization, no augmentation. */
export const DEFAULT_PREPROCESS_SETTINGS: PreprocessSettings = preprocessSettingsSchema.parse({});

/** Parses settings from a run config; throws ConfigError naming the first bad field. */
export function parsePreprocessSettings(input: unknown = {}): PreprocessSettings {
  const parsed = preprocessSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) throw configErrorFrom('preprocess settings', parsed.error);
  return parsed.data;
}
