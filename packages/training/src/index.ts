export {
  trainingConfigSchema,
  lrDecaySchema,
  scheduledSamplingSchema,
  validationSchema,
  learningRateAt,
  samplingProbabilityAt,
} from './loop/config';
export type { TrainingConfig, TrainingConfigInput } from './loop/config';
export { trainCaptioner } from './loop/train-captioner';
export { trainSelfCritical, SELF_CRITICAL_DIR } from './loop/self-critical';
export type { SelfCriticalOptions } from './loop/self-critical';
export { groundingScore, groundingValidationScorer, selfCriticalReward } from './loop/scst-reward';
export type { CaptionReward } from './loop/scst-reward';
export type {
  TrainCaptionerOptions,
  TrainCaptionerResult,
  TrainingData,
  TrainSplit,
  ValSplit,
  CheckpointInfo,
  TrainingMetric,
  CaptionScorer,
  FineTuneInput,
} from './loop/types';
export { trainStage, loadOrBuildRunVocabulary } from './stage';
export { benchTrain, benchTrainOptionsSchema } from './loop/bench-train';
export { benchE2e, benchE2eOptionsSchema } from './loop/bench-e2e';
export type { BenchE2eOptions, BenchE2eResult } from './loop/bench-e2e';
export type { BenchTrainOptions } from './loop/bench-train';
export { benchScale, benchScaleOptionsSchema } from './input/bench-scale';
export type { BenchScaleOptions, BenchScaleRow } from './input/bench-scale';
export { inputSettingsSchema } from '@captioner/stage-contract';
export type { InputSettings } from '@captioner/stage-contract';
export { pretrainEncoder, scoreCellLabels } from './encoder-pretrain/pretrain-encoder';
export type {
  CellHead,
  PretrainEncoderOptions,
  PretrainEncoderResult,
} from './encoder-pretrain/pretrain-encoder';
export {
  sceneCellLabels,
  gridPositionCells,
  SCENE_CELL_CLASSES,
  SCENE_CELLS,
} from './encoder-pretrain/scene-labels';
