export { writeImageShard, readImageShard, normalizeImages, IMAGENET_MEAN, IMAGENET_STD } from './image-shard';
export type { ImageShard } from './image-shard';
export {
  datasetManifestSchema,
  manifestItemSchema,
  writeManifest,
  readManifest,
  splitItems,
  imagePath,
  SPLITS,
  SOURCE_FORMATS,
} from './manifest';
export type { DatasetManifest, ManifestItem, Split, SourceFormat } from './manifest';
export { synthesizeShapes } from './shapes/synthesize';
export type { SynthesizeShapesOptions } from './shapes/synthesize';
