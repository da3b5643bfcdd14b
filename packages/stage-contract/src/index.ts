/**
 * @captioner/stage-contract — what the pipeline and the stages agree on, below both: the run config
 * (its sections and their defaults), the shard rule and the context a stage handler gets.
 */
export { runConfigSchema, runConfigSections, resolveRunConfig, runConfigSection } from './run-config';
export type { RunConfig, RunConfigInput, RunConfigSection } from './run-config';
export { configErrorFrom } from './config-error';
export { seedSchema } from './sections/seed';
export {
  finalEvaluationSchema,
  decodingSettingsSchema,
  decodingSettingsOf,
} from './sections/final-evaluation';
export type { FinalEvaluationSettings, DecodingSettings } from './sections/final-evaluation';
export {
  preprocessSettingsSchema,
  augmentSettingsSchema,
  AUGMENT_OFF,
  RESIZE_KERNELS,
} from './sections/preprocess';
export { describeAugmentation } from './sections/augment-summary';
export type { PreprocessSettings, PreprocessSettingsInput, AugmentSettings } from './sections/preprocess';
export {
  trainingConfigSchema,
  lrDecaySchema,
  scheduledSamplingSchema,
  validationSchema,
  selfCriticalSchema,
} from './sections/training';
export type { TrainingConfig, TrainingConfigInput, SelfCriticalConfig } from './sections/training';
export { inputSettingsSchema } from './sections/input';
export type { InputSettings } from './sections/input';
export { shardItems, shardSizeSchema, DEFAULT_SHARD_SIZE } from './shard-items';
export type { StageContext } from './stage-context';
export { RUN_PRESETS, RUN_PRESET_NAMES, withRunPreset, mergeRunConfigInputs } from './presets';
export type { RunPresetName } from './presets';
export { parseGridAxis, expandGrid, sampleGrid, applyAssignment, validateSweep } from './sweep/sweep-grid';
export type { GridAxis, SweepAssignment } from './sweep/sweep-grid';
export { shouldPruneAtEpoch } from './sweep/median-pruning';
