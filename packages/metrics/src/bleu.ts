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

  for (let i = 0; i < images; i++) {
    const cand = corpus.cands[i];
    const refs = corpus.refs[i];
    const testLen = cand.length;
    // Closest reference length; `min((abs(l - testlen), l))` prefers the shorter on a tie.
    let refLen = -1;
    for (const ref of refs) {
      const d = Math.abs(ref.length - testLen);
      const best = Math.abs(refLen - testLen);
      if (refLen < 0 || d < best || (d === best && ref.length < refLen)) refLen = ref.length;
    }
    // Highest count of each n-gram in any one reference.
    for (const ref of refs) {
      for (const ids of ref.byOrder) {
        for (let j = 0; j < ids.length; j++) candCount[ids[j]] = 0;
        for (let j = 0; j < ids.length; j++) candCount[ids[j]]++;
        for (let j = 0; j < ids.length; j++) {
          const id = ids[j];
          if (candCount[id] > maxRefCount[id]) maxRefCount[id] = candCount[id];
        }
      }
    }
    for (let k = 0; k < MAX_N; k++) {
      const ids = cand.byOrder[k];
      for (let j = 0; j < ids.length; j++) candCount[ids[j]] = 0;
      for (let j = 0; j < ids.length; j++) candCount[ids[j]]++;
      let matched = 0;
      for (let j = 0; j < ids.length; j++) {
        const id = ids[j];
        // Count each distinct n-gram once: clear it after use.
        if (candCount[id] > 0) {
          matched += Math.min(candCount[id], maxRefCount[id]);
          candCount[id] = 0;
        }
      }
      correct[k] = matched;
      totalCorrect[k] += matched;
      totalGuess[k] += Math.max(0, testLen - k);
    }
    for (const ref of refs) {
      for (const ids of ref.byOrder) for (let j = 0; j < ids.length; j++) maxRefCount[ids[j]] = 0;
    }

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
