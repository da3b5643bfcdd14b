export { ptbTokenize, ptbTokenizeToString } from './ptb-tokenizer';
export { scoreCaptions } from './score-captions';
export type { CaptionSet, CaptionScores, CorpusScores, ImageScores, ScoreOptions } from './score-captions';
