export { extractStage } from './stage';
export { extractFeatureShard, EXTRACT_BATCH_SIZE } from './extract-shard';
export { loadOrCreateRunEncoder } from './encoder-store';
// The extract stage keeps one ONNX session per process; the worker releases them on shutdown.
export { releaseInferenceSessions } from '@captioner/model';
