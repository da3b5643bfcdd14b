export { extractStage } from './stage';
export { extractFeatureShard, EXTRACT_BATCH_SIZE } from './extract-shard';
export { loadOrCreateRunEncoder } from './encoder-store';
// The extract stage keeps one ONNX session per process; the worker releases them on shutdown.
export { releaseInferenceSessions } from '@captioner/model';
// Training-time augmentation (tfjs ops) and caption-aware flips: used here for frozen-encoder views and
// by the trainer per fine-tuning batch.
export { augmentImages, augmentsImages, batchAugmentRandom, drawAugment } from './augment/image-augment';
export type { AugmentDraw, PixelNorm } from './augment/image-augment';
export { SIDE_WORD_PAIRS, swapSideWords, tokenSideSwap } from './augment/side-swap';
export { extractFeatureViews, featureViewCount, viewShardFile, viewOfShard } from './augment/feature-views';
