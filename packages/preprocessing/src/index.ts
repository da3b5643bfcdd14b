/**
 * @captioner/preprocessing — the preprocess stage: image files in, image shards out (sharp).
 * See README.md for the decode rules, the shard meta and the benchmark.
 */
export {
  preprocessSettingsSchema,
  augmentSettingsSchema,
  parsePreprocessSettings,
  DEFAULT_PREPROCESS_SETTINGS,
} from './settings';
export type { PreprocessSettings, PreprocessSettingsInput, AugmentSettings } from './settings';
export { prepareImage, prepareImageBytes } from './prepare-image';
export { cropGeometry } from './crop-geometry';
export type { CropGeometry } from './crop-geometry';
export {
  preprocessShard,
  PREPROCESS_RULES_VERSION,
  countFailures,
  describeShardOutcome,
} from './preprocess-shard';
export type {
  ShardItem,
  PreprocessShardOptions,
  PreprocessShardResult,
  FailureCounts,
} from './preprocess-shard';
export { shardMetaSchema } from './shard-meta';
export type { ShardMeta, FailedImage } from './shard-meta';
export { augmentPixels } from './augment';
export { preprocessStage } from './stage';
export { benchPreprocess } from './bench/bench-preprocess';
export type { BenchPreprocessOptions, BenchPreprocessResult } from './bench/bench-preprocess';
