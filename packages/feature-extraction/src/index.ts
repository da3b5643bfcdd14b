export { extractStage } from './stage';
export { extractFeatureShard, EXTRACT_BATCH_SIZE } from './extract-shard';
export { loadOrCreateRunEncoder } from './encoder-store';
