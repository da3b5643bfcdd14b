export { evaluateStage } from './stage';
export type { EvaluateStageInput } from './stage';
export { decodeFeatureSet } from './caption-split';
export { scoreUntrainedDecoder } from './baseline';
export { captionAndScore, loadSplitData } from './split-data';
export type { SplitData } from './split-data';
