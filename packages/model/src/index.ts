export { initBackend, currentBackend } from '@captioner/tfjs-backend';
export { PAD_ID, START_ID, END_ID, UNK_ID, isSpecialToken } from '@captioner/core/special-tokens';
export {
  modelConfigSchema,
  encoderConfigSchema,
  decoderConfigSchema,
  featureShapeSchema,
  decodingSettingsSchema,
} from './config';
export type {
  ModelConfig,
  ModelConfigInput,
  EncoderConfig,
  DecoderConfig,
  FeatureShape,
  DecodingSettings,
  DecodingSettingsInput,
} from './config';
export { deriveSeed, SeededRandom } from '@captioner/core/random';
export { DecoderMath } from './decoder/decoder';
export type { DecoderState } from './decoder/decoder';
export {
  createDecoderParams,
  paramsFromValues,
  computeFeatureNorm,
  identityFeatureNorm,
  parameterShapes,
} from './decoder/params';
export type { DecoderParams, DecoderSpec, FeatureNorm } from './decoder/params';
export { attentionTargetMask, teacherForcedLoss, timeMajorTokens } from './decoder/teacher-forcing';
export type { AttentionCells, AttentionTarget, CaptionBatch, LossOptions } from './decoder/teacher-forcing';
export { randomCaptionBatch } from './decoder/random-batch';
export type { RandomCaptionBatchOptions } from './decoder/random-batch';
export { trainingPathFor } from './decoder/training-path';
export type { TrainingPath } from './decoder/training-path';
export { matMul, embeddingLookup } from './decoder/ops';
export type { Beam, DecodeFeatures, DecodeOptions } from './search/types';
export { CaptionModel, decoderFromArrays, decoderToArrays } from './caption-model';
export { loadCaptionModel } from './load-caption-model';
export {
  writeCheckpointDir,
  readCheckpointDir,
  isCheckpointDir,
  checkpointMetaSchema,
  CHECKPOINT_META_FILE,
} from './checkpoint/checkpoint-dir';
export type { CheckpointMeta, NamedArrays } from './checkpoint/checkpoint-dir';
export { ImageEncoder } from './encoder/image-encoder';
export { createEncoder, loadEncoder, saveEncoder } from './encoder/encoder-files';
export type { EncodedImages } from './encoder/image-encoder';
export { encodeImages } from './encoder/encode-images';
export { buildResNet, blockNames } from './encoder/resnet';
export {
  appendCellHead,
  cellPoolMatrix,
  gridPositionCells,
  setCellHeadClassifier,
  CELL_HEAD_LAYERS,
} from './encoder/cell-head';
export type { CellHeadShape } from './encoder/cell-head';
export { loadPretrainedWeights } from './encoder/pretrained-weights';
export {
  loadTorchvisionStateDict,
  torchvisionStateDictOf,
  torchvisionWeightName,
} from './encoder/torchvision-weights';
export { parseStateDict } from './io/torch/parse-state-dict';
export { encodeSafetensors } from './io/torch/write-safetensors';
export {
  TORCHVISION_ARCHITECTURES,
  TORCHVISION_BASE_URL,
  isTorchvisionArchitecture,
  torchvisionWeightsFile,
  hashPrefixOf,
} from './encoder/torchvision-hub';
export type { TorchvisionArchitecture } from './encoder/torchvision-hub';
export { readStateDictFile, isStateDictLocation } from './io/torch/read-state-dict-file';
export type { StateDict, StoredTensor, TensorDtype } from './io/torch/state-dict';
export type { WeightLoadReport } from './encoder/pretrained-weights';
export { exportModelBundle } from './bundle/export-bundle';
export type { ExportModelBundleOptions } from './bundle/export-bundle';
export { loadModelBundle } from './bundle/load-bundle';
export type { ModelBundle } from './bundle/read-bundle';
export { bundleManifestSchema, BUNDLE_FILE, BUNDLE_FORMAT } from './bundle/bundle-format';
export type { BundleManifest } from './bundle/bundle-format';
export {
  encoderTrainableVariables,
  applyEncoderWeights,
  loadFineTunedEncoder,
  encoderWeightName,
} from './checkpoint/encoder-weights';
export {
  layersModelToOnnx,
  ONNX_ENCODER_INPUT,
  ONNX_POOLED_OUTPUT,
  ONNX_GRID_OUTPUT,
} from './onnx/layers-to-onnx';
export { OnnxImageEncoder, createOnnxSession } from './onnx/onnx-encoder';
export type { OnnxSessionOptions } from './onnx/onnx-encoder';
export { benchFeatures, benchFeaturesOptionsSchema } from './bench/bench-features';
export type { BenchFeaturesOptions, BenchFeaturesResult } from './bench/bench-features';
export { benchDecode, benchDecodeOptionsSchema } from './bench/bench-decode';
export type { BenchDecodeOptions, BenchDecodeResult } from './bench/bench-decode';
export {
  inferenceEncoder,
  inferenceSetting,
  onnxCudaInstalled,
  releaseInferenceSessions,
} from './onnx/inference-engine';
export type { FeatureEncoder, InferenceSetting } from './onnx/inference-engine';
export { sampleCaptions } from './search/sample';
export type { SampledCaption } from './search/sample';
