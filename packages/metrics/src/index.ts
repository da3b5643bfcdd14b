export { ptbTokenize, ptbTokenizeToString, COCO_PUNCTUATION } from './ptb-tokenizer';
export { scoreCaptions } from './score-captions';
export type { CaptionSet, CaptionScores, CorpusScores, ImageScores, ScoreOptions } from './score-captions';
export { parseScoreFile, scoreFileSchema } from './score-file';
export { benchScore, benchScoreOptionsSchema } from './bench';
export type { BenchScoreOptions, BenchScoreResult } from './bench';
export { captionDiversity } from './diversity';
export type { DiversityFigures } from './diversity';
export { CiderDReward } from './cider-reward';
