import { NgramIndex, Vocabulary, splitPythonWhitespace } from './ngrams';
import type { SentenceNgrams } from './ngrams';

/**
 * One scored set, already tokenized (space-joined strings, as pycocoevalcap hands them to its
 * scorers), turned into numeric form once and shared by BLEU, ROUGE-L and CIDEr-D.
 */
export interface EncodedCorpus {
  /** Image ids, in the order of `refs`' keys (pycocoevalcap's `gts.keys()` order). */
  readonly imageIds: string[];
  /** Per image: the candidate's n-grams (words split on any whitespace, as `str.split()`). */
  readonly cands: SentenceNgrams[];
  /** Per image, per reference: n-grams. */
  readonly refs: SentenceNgrams[][];
  /** Per image: the candidate's tokens split on single spaces (ROUGE-L's `split(" ")`). */
  readonly candTokens: Int32Array[];
  /** Per image, per reference: tokens split on single spaces. */
  readonly refTokens: Int32Array[][];
  /** Number of distinct n-grams: the size of the scorers' scratch arrays. */
  readonly ngramCount: number;
}

/** Pairs of (references, candidate) per image, in scoring order. */
export interface TokenizedSet {
  readonly imageIds: string[];
  readonly refs: string[][];
  readonly cands: string[];
}

export function encodeCorpus(set: TokenizedSet): EncodedCorpus {
  const words = new Vocabulary();
  const ngrams = new NgramIndex();
  const spaceTokens = new Vocabulary();
  const cands: SentenceNgrams[] = [];
  const refs: SentenceNgrams[][] = [];
  const candTokens: Int32Array[] = [];
  const refTokens: Int32Array[][] = [];
  for (let i = 0; i < set.imageIds.length; i++) {
    const cand = set.cands[i];
    cands.push(ngrams.sentence(words.encode(splitPythonWhitespace(cand))));
    candTokens.push(spaceTokens.encode(cand.split(' ')));
    const imageRefs = set.refs[i];
    refs.push(imageRefs.map((r) => ngrams.sentence(words.encode(splitPythonWhitespace(r)))));
    refTokens.push(imageRefs.map((r) => spaceTokens.encode(r.split(' '))));
  }
  return { imageIds: set.imageIds, cands, refs, candTokens, refTokens, ngramCount: ngrams.size };
}
