import type { RunConfigInput } from './run-config';
import { UsageError } from '@captioner/core';

/*
 * Named starting points for a run config (`run start --preset NAME`): the preset lies under the --config
 * file, which lies under --set, so anything in it can be changed. Presets are plain inputs, validated by
 * the same schemas as any run config.
 */

export const RUN_PRESETS = {
  /**
   * The configuration of the notebook Captioner grew from: ImageNet-pretrained ResNet-34 (torchvision's
   * weights, `captioner encoder fetch resnet34`) at 224 px, frozen, with torchvision's evaluation
   * preprocessing (shorter side 256, centre crop 224, ImageNet mean/std); an LSTM decoder (embedding 256,
   * hidden 512) on the pooled features, trained with teacher forcing and cross-entropy by Adam at a
   * constant 1e-3; a checkpoint every 500 steps. Augmentation is off and one `--set` away
   * (`preprocess.augment.horizontalFlip=true`).
   */
  notebook: {
    preprocess: { imageSize: 224, resizeShorterTo: 256, resizeKernel: 'linear' },
    model: {
      encoder: { kind: 'resnet34', imageSize: 224, weights: 'resnet34', trainable: false },
      decoder: { cell: 'lstm', embeddingSize: 256, hiddenSize: 512, attention: false, dropout: 0.2 },
    },
    vocabulary: { minCount: 5 },
    training: {
      epochs: 10,
      batchSize: 32,
      learningRate: 0.001,
      lrDecay: { schedule: 'none' },
      scheduledSampling: { enabled: false },
      checkpointEverySteps: 500,
    },
  },
} satisfies Record<string, RunConfigInput>;

export type RunPresetName = keyof typeof RUN_PRESETS;
export const RUN_PRESET_NAMES = Object.keys(RUN_PRESETS) as RunPresetName[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `over` merged onto `base`, objects key by key, everything else replaced (arrays included). */
export function mergeRunConfigInputs(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeRunConfigInputs(base[key], value);
  return out;
}

/** The preset's config with `config` over it; an unknown preset is refused by name. */
export function withRunPreset(preset: string, config: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(RUN_PRESETS, preset))
    throw new UsageError(`--preset ${preset}: unknown preset (known: ${RUN_PRESET_NAMES.join(', ')})`);
  return mergeRunConfigInputs(structuredClone(RUN_PRESETS[preset as RunPresetName]), config) as Record<
    string,
    unknown
  >;
}
