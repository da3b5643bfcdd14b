export { writeImageShard, readImageShard, normalizeImages, IMAGENET_MEAN, IMAGENET_STD } from './image-shard';
export type { ImageShard } from './image-shard';
