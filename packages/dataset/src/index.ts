export {
  writeImageShard,
  readImageShard,
  readImageSet,
  readImageShardLayout,
  normalizeImages,
  IMAGENET_MEAN,
  IMAGENET_STD,
} from './image-shard';
export type { ImageShard, ImageSet, ImageShardLayout } from './image-shard';
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
export { COMBINED_ID_SEPARATOR, combineManifests } from './combine';
export type { CombineSource } from './combine';
export { synthesizeShapes } from './shapes/synthesize';
export type { SynthesizeShapesOptions } from './shapes/synthesize';
export { importDataset, importDatasetOptionsSchema, IMPORT_FORMATS } from './import/import-dataset';
export type { ImportDatasetOptions, ImportFormat } from './import/import-dataset';
export { PROBLEM_KINDS, problemSchema, importReportSchema } from './import/problems';
export type { Problem, ProblemKind, ImportReport } from './import/problems';
export { MAX_CAPTION_CHARS, MAX_CAPTION_WORDS } from './import/collector';
export {
  writeFeatureShard,
  readFeatureShard,
  readFeatureSet,
  readFeatureShardLayout,
  copyGridRow,
} from './feature-shard';
export type { FeatureShard, FeatureSet, FeatureShardLayout, GridStorage } from './feature-shard';
export {
  Vocabulary,
  buildVocabulary,
  saveVocabulary,
  loadVocabulary,
  vocabularyOptionsSchema,
  vocabularyJsonSchema,
  SPECIAL_TOKENS,
  PAD_ID,
  START_ID,
  END_ID,
  UNK_ID,
} from './vocabulary';
export type { VocabularyOptions, VocabularyJson } from './vocabulary';
export { sceneSchema, sceneObjectSchema, relationHolds, RELATIONS } from './shapes/scene-record';
export { COLOR_NAMES, GRID as SCENE_GRID, SHAPE_KINDS, SHAPE_SIZES, randomScene } from './shapes/scene';
export { rasterize as rasterizeShapes } from './shapes/raster';
export { sceneOf } from './shapes/scene-record';
export type { Scene, SceneObject, Relation } from './shapes/scene-record';
export {
  distinctObjectsNamedRight,
  groundCaption,
  groundCaptions,
  parseShapesCaption,
} from './shapes/grounding';
export { captionWordCells, encodeAttentionCells } from './shapes/attention-cells';
export type {
  CaptionGrounding,
  GroundingFigures,
  Mention,
  ParsedCaption,
  StatedRelation,
} from './shapes/grounding';
