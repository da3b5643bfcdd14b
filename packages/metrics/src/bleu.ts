import { MAX_N } from './ngrams';
import type { EncodedCorpus } from './corpus';

/** `bleu_scorer.py`: added to matches so that a zero count still gives a (tiny) non-zero score. */
const TINY = 1e-15;
/** `bleu_scorer.py`: added to denominators so that nothing divides by zero. */
const SMALL = 1e-9;

export interface BleuResult {
  /** Corpus BLEU-1..4 (index 0 is BLEU-1). */
  corpus: number[];
  /** Per image BLEU-1..4: `perImage[k][i]` is BLEU-(k+1) of image i, as `bleu_scorer` lists them. */
  perImage: Float64Array[];
}

/**
 * BLEU as pycocoevalcap's `Bleu(4)` computes it: `compute_score(option='closest')` — the effective
 * reference length is the closest one (ties: the shorter), the corpus brevity penalty uses summed
 * lengths, and the per-image scores use the same tiny/small smoothing.
 */
export function bleu(corpus: EncodedCorpus): BleuResult {
  const images = corpus.imageIds.length;
  const maxRefCount = new Int32Array(corpus.ngramCount);
  const candCount = new Int32Array(corpus.ngramCount);
  const perImage = Array.from({ length: MAX_N }, () => new Float64Array(images));
  const totalGuess = new Float64Array(MAX_N);
  const totalCorrect = new Float64Array(MAX_N);
  const correct = new Float64Array(MAX_N);
  let totalTestLen = 0;
  let totalRefLen = 0;

  const { firstSentence, wordCount, gramStart, grams } = corpus;
  for (let i = 0; i < images; i++) {
    const cand = firstSentence[i];
    const refsEnd = firstSentence[i + 1];
    const testLen = wordCount[cand];
    // Closest reference length; `min((abs(l - testlen), l))` prefers the shorter on a tie.
    let refLen = -1;
    for (let r = cand + 1; r < refsEnd; r++) {
      const length = wordCount[r];
      const d = Math.abs(length - testLen);
      const best = Math.abs(refLen - testLen);
      if (refLen < 0 || d < best || (d === best && length < refLen)) refLen = length;
    }
    // Highest count of each n-gram in any one reference (ids are distinct across orders, so a
    // reference's whole block is counted at once).
    const refsFrom = gramStart[cand + 1];
    const refsTo = gramStart[refsEnd];
    for (let r = cand + 1; r < refsEnd; r++) {
      const from = gramStart[r];
      const to = gramStart[r + 1];
      for (let j = from; j < to; j++) candCount[grams[j]]++;
      for (let j = from; j < to; j++) {
        const id = grams[j];
        if (candCount[id] > maxRefCount[id]) maxRefCount[id] = candCount[id];
        candCount[id] = 0;
      }
    }
    let at = gramStart[cand];
    for (let k = 0; k < MAX_N; k++) {
      const n = Math.max(0, testLen - k);
      const end = at + n;
      for (let j = at; j < end; j++) candCount[grams[j]]++;
      let matched = 0;
      for (let j = at; j < end; j++) {
        const id = grams[j];
        // Count each distinct n-gram once: clear it after use.
        if (candCount[id] > 0) {
          matched += Math.min(candCount[id], maxRefCount[id]);
          candCount[id] = 0;
        }
      }
      at = end;
      correct[k] = matched;
      totalCorrect[k] += matched;
      totalGuess[k] += n;
    }
    for (let j = refsFrom; j < refsTo; j++) maxRefCount[grams[j]] = 0;

    let product = 1;
    for (let k = 0; k < MAX_N; k++) {
      product *= (correct[k] + TINY) / (Math.max(0, testLen - k) + SMALL);
      perImage[k][i] = product ** (1 / (k + 1));
    }
    const ratio = (testLen + TINY) / (refLen + SMALL);
    if (ratio < 1) {
      const penalty = Math.exp(1 - 1 / ratio);
      for (let k = 0; k < MAX_N; k++) perImage[k][i] *= penalty;
    }
    totalTestLen += testLen;
    totalRefLen += refLen;
  }

  const scores: number[] = [];
  let product = 1;
  for (let k = 0; k < MAX_N; k++) {
    product *= (totalCorrect[k] + TINY) / (totalGuess[k] + SMALL);
    scores.push(product ** (1 / (k + 1)));
  }
  const ratio = (totalTestLen + TINY) / (totalRefLen + SMALL);
  if (ratio < 1) {
    const penalty = Math.exp(1 - 1 / ratio);
    for (let k = 0; k < MAX_N; k++) scores[k] *= penalty;
  }
  return { corpus: scores, perImage };
}
