export { evaluateStage } from './stage';
export type { EvaluateStageInput } from './stage';
export { decodeFeatureSet } from './caption-split';
export { scoreUntrainedDecoder } from './baseline';
export { bestConstantCaption, scoreConstantCaption } from './constant-caption';
export { captionAndScore, loadSplitData, scoreSplitCaptions } from './split-data';
export type { CaptionedSplit, SplitData } from './split-data';
