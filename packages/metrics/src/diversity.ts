import { ptbTokenize } from './ptb-tokenizer';

/**
 * How varied a set of generated captions is (the failure SCST and beam search are known for: the same
 * few common phrases for every image). Captions are compared after coco-caption's PTB tokenization, so
 * "A red circle." and "a red circle" are the same caption. (A type, not an interface: it is stored in a
 * JSON column typed as a record of numbers.)
 */
export type DiversityFigures = {
  /** Number of captions measured. */
  captions: number;
  /** Distinct captions / captions. */
  uniqueRate: number;
  /** Distinct words used over all captions. */
  vocabularyUsed: number;
  /** Distinct unigrams / unigrams (distinct-1, Li et al. 2016). */
  distinct1: number;
  /** Distinct bigrams / bigrams (distinct-2). */
  distinct2: number;
  /** Share of captions that are not, word for word, a caption of the training set; null without one. */
  novelRate: number | null;
  /** Mean caption length in words. */
  meanLength: number;
};

/**
 * Diversity of `captions` (one per image). `trainingCaptions`, when given, are the references of the
 * training split: a caption that equals one of them (after tokenization) was possibly memorised.
 */
export function captionDiversity(
  captions: readonly string[],
  trainingCaptions?: Iterable<string>,
): DiversityFigures {
  const tokenized = captions.map((c) => ptbTokenize(c));
  const distinctCaptions = new Set<string>();
  const words = new Set<string>();
  const bigrams = new Set<string>();
  let unigramCount = 0;
  let bigramCount = 0;
  for (const tokens of tokenized) {
    distinctCaptions.add(tokens.join(' '));
    for (const w of tokens) words.add(w);
    unigramCount += tokens.length;
    for (let i = 0; i + 1 < tokens.length; i++) bigrams.add(`${tokens[i]} ${tokens[i + 1]}`);
    bigramCount += Math.max(0, tokens.length - 1);
  }
  let novelRate: number | null = null;
  if (trainingCaptions) {
    const seen = new Set<string>();
    for (const c of trainingCaptions) seen.add(ptbTokenize(c).join(' '));
    const novel = tokenized.filter((t) => !seen.has(t.join(' '))).length;
    novelRate = tokenized.length ? novel / tokenized.length : 0;
  }
  const n = tokenized.length;
  return {
    captions: n,
    uniqueRate: n ? distinctCaptions.size / n : 0,
    vocabularyUsed: words.size,
    distinct1: unigramCount ? words.size / unigramCount : 0,
    distinct2: bigramCount ? bigrams.size / bigramCount : 0,
    novelRate,
    meanLength: n ? unigramCount / n : 0,
  };
}
