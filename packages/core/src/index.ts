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
  isPermanentError,
  describeError,
} from './errors';
export { createLogger } from './logger';
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
} from './shard-file';
export type { ShardHeader, ShardContent, ShardTensor, TensorDtype, TensorData } from './shard-file';
export { mulberry32 } from './random';
