import { InvalidInputError } from '@captioner/core';
import { bleu } from './bleu';
import { ciderD } from './cider';
import { encodeCorpus } from './corpus';
import { ptbTokenizeChecked } from './ptb-tokenizer';
import { rougeL } from './rouge';

/** References and one candidate per image id, as `captioner score` and the evaluation stage pass them. */
export interface CaptionSet {
  refs: Record<string, string[]>;
  cands: Record<string, string>;
}

export interface ScoreOptions {
  /**
   * Run coco-caption's PTB tokenization (and punctuation removal) on every caption first, as
   * `COCOEvalCap` does. Turn off only for captions that are already tokenized that way.
   * @defaultValue true
   */
  tokenize?: boolean;
}

export interface CorpusScores {
  Bleu_1: number;
  Bleu_2: number;
  Bleu_3: number;
  Bleu_4: number;
  ROUGE_L: number;
  CIDEr: number;
}

export interface ImageScores {
  Bleu_4: number;
  CIDEr: number;
  ROUGE_L: number;
}

export interface CaptionScores {
  corpus: CorpusScores;
  perImage: Record<string, ImageScores>;
}

/**
 * BLEU-1..4, ROUGE-L and CIDEr-D exactly as pycocoevalcap computes them (corpus and per image).
 * Throws InvalidInputError for an id with no references, a candidate for an unknown id, or a
 * reference id with no candidate.
 */
export function scoreCaptions(input: CaptionSet, options: ScoreOptions = {}): CaptionScores {
  const tokenize = options.tokenize ?? true;
  const imageIds = Object.keys(input.refs);
  for (const id of Object.keys(input.cands)) {
    if (!Object.hasOwn(input.refs, id)) throw new InvalidInputError(`candidate for unknown image id "${id}"`);
  }
  const refs: string[][] = [];
  const cands: string[] = [];
  for (const id of imageIds) {
    const imageRefs = input.refs[id];
    if (!Array.isArray(imageRefs) || imageRefs.length === 0) {
      throw new InvalidInputError(`image id "${id}" has no references`);
    }
    if (!Object.hasOwn(input.cands, id))
      throw new InvalidInputError(`image id "${id}" has no candidate caption`);
    refs.push(imageRefs);
    cands.push(input.cands[id]);
  }
  if (imageIds.length === 0) throw new InvalidInputError('no images to score');

  // The tokenizer runs inside the encoder, caption by caption; its token lists are encoded as they
  // are (the same as their space-joined strings).
  const corpus = encodeCorpus({ imageIds, refs, cands }, tokenize ? ptbTokenizeChecked : undefined);
  const b = bleu(corpus);
  const rouge = rougeL(corpus);
  const cider = ciderD(corpus);
  const perImage: Record<string, ImageScores> = {};
  imageIds.forEach((id, i) => {
    perImage[id] = { Bleu_4: b.perImage[3][i], CIDEr: cider[i], ROUGE_L: rouge[i] };
  });
  return {
    corpus: {
      Bleu_1: b.corpus[0],
      Bleu_2: b.corpus[1],
      Bleu_3: b.corpus[2],
      Bleu_4: b.corpus[3],
      ROUGE_L: mean(rouge),
      CIDEr: mean(cider),
    },
    perImage,
  };
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
