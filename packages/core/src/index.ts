export { loadConfig, envSchema, BACKEND_NAMES } from './config';
export type { CaptionerConfig, BackendName } from './config';
export {
  CaptionerError,
  UsageError,
  ConfigError,
  NotFoundError,
  InvalidInputError,
  ConnectionError,
  CorruptArtifactError,
  CancelledError,
  IllegalTransitionError,
  WaitTimeoutError,
  TrainingDivergedError,
  BackendUnavailableError,
  isPermanentError,
  describeError,
} from './errors';
export { createLogger, warnOnFailure } from './logger';
export type { Logger } from './logger';
export {
  writeFileAtomic,
  writeJsonAtomic,
  fileExists,
  sweepStaleTemporaries,
  STALE_TEMPORARY_MS,
} from './files';
export { artifactPaths } from './paths';
export type { ArtifactPaths } from './paths';
export { ignoreProgress } from './progress';
export type { ProgressUpdate, ProgressListener } from './progress';
export {
  writeShardFile,
  readShardFile,
  isValidShardFile,
  shardHeaderSchema,
  TENSOR_DTYPES,
  readShardHeader,
} from './shard-file';
export type { ShardHeader, ShardContent, ShardTensor, TensorDtype, TensorData } from './shard-file';
export { SeededRandom, deriveSeed } from './random';
export { SPECIAL_TOKENS, PAD_ID, START_ID, END_ID, UNK_ID, isSpecialToken } from './special-tokens';
export { IMAGENET_MEAN, IMAGENET_STD } from './imagenet';
export { toFloat16, toFloat16Bits, fromFloat16, float16Table } from './float16';
