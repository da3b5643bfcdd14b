import { MAX_N } from './ngrams';
import type { EncodedCorpus } from './corpus';

/** `cider.py` (CIDEr-D): standard deviation of the Gaussian length penalty. */
export const CIDER_SIGMA = 6;
/** `cider_scorer.py`: the mean over n and references is multiplied by 10. */
export const CIDER_SCALE = 10;

/**
 * CIDEr-D per image as pycocoevalcap's `Cider` computes it: document frequency over the
 * references of the scored set, idf = log(N) - log(max(1, df)), candidate weights clipped at the
 * reference's, Gaussian length penalty (sigma 6) on the difference in bigram counts, mean over
 * n = 1..4, divided by the number of references, times 10.
 *
 * The candidate's tf-idf weights are scattered once per image into an array indexed by n-gram id
 * (ids differ between orders); each reference's weights are then computed and used in one pass
 * over its n-grams, so no reference vector is stored.
 */
export function ciderD(corpus: EncodedCorpus): Float64Array {
  const images = corpus.imageIds.length;
  const { firstSentence, wordCount, gramStart, grams } = corpus;
  const idf = inverseDocumentFrequencies(corpus);
  const count = new Int32Array(corpus.ngramCount);
  const candWeight = new Float64Array(corpus.ngramCount);
  const candNorm = new Float64Array(MAX_N);
  const out = new Float64Array(images);
  const twoSigma2 = 2 * CIDER_SIGMA * CIDER_SIGMA;
  const sums = new Float64Array(MAX_N);
  for (let i = 0; i < images; i++) {
    const c = firstSentence[i];
    const candLength = wordCount[c];
    let at = gramStart[c];
    for (let k = 0; k < MAX_N; k++) {
      const end = at + Math.max(0, candLength - k);
      for (let j = at; j < end; j++) count[grams[j]]++;
      let norm = 0;
      for (let j = at; j < end; j++) {
        const id = grams[j];
        if (count[id] === 0) continue;
        const weight = count[id] * idf[id];
        candWeight[id] = weight;
        norm += weight * weight;
        count[id] = 0;
      }
      candNorm[k] = Math.sqrt(norm);
      at = end;
    }
    // pycocoevalcap's "length" is the number of bigrams (`n == 1` on the 0-based order).
    const candBigrams = Math.max(0, candLength - 1);
    sums.fill(0);
    for (let r = c + 1; r < firstSentence[i + 1]; r++) {
      const refLength = wordCount[r];
      const delta = candBigrams - Math.max(0, refLength - 1);
      const penalty = Math.exp(-(delta * delta) / twoSigma2);
      at = gramStart[r];
      for (let k = 0; k < MAX_N; k++) {
        const end = at + Math.max(0, refLength - k);
        for (let j = at; j < end; j++) count[grams[j]]++;
        let norm = 0;
        let val = 0;
        for (let j = at; j < end; j++) {
          const id = grams[j];
          if (count[id] === 0) continue;
          const weight = count[id] * idf[id];
          norm += weight * weight;
          // min(hyp, ref) * ref over the shared n-grams (a missing one weighs 0).
          const hyp = candWeight[id];
          val += (hyp < weight ? hyp : weight) * weight;
          count[id] = 0;
        }
        at = end;
        const refNorm = Math.sqrt(norm);
        if (candNorm[k] !== 0 && refNorm !== 0) val /= candNorm[k] * refNorm;
        sums[k] += val * penalty;
      }
    }
    for (let j = gramStart[c]; j < gramStart[c + 1]; j++) candWeight[grams[j]] = 0;
    let mean = 0;
    for (let k = 0; k < MAX_N; k++) mean += sums[k];
    mean /= MAX_N;
    out[i] = (mean / (firstSentence[i + 1] - c - 1)) * CIDER_SCALE;
  }
  return out;
}

/**
 * log(N) - log(max(1, df)) per n-gram id, df counting the images whose references contain the
 * n-gram; the logarithms come from a table by df (at most N distinct values).
 */
function inverseDocumentFrequencies(corpus: EncodedCorpus): Float64Array {
  const { firstSentence, gramStart, grams } = corpus;
  const images = corpus.imageIds.length;
  const df = new Int32Array(corpus.ngramCount);
  const lastImage = new Int32Array(corpus.ngramCount).fill(-1);
  for (let i = 0; i < images; i++) {
    const to = gramStart[firstSentence[i + 1]];
    for (let j = gramStart[firstSentence[i] + 1]; j < to; j++) {
      const id = grams[j];
      if (lastImage[id] !== i) {
        lastImage[id] = i;
        df[id]++;
      }
    }
  }
  const logImages = Math.log(images);
  const idfByDf = new Float64Array(images + 1);
  for (let d = 0; d <= images; d++) idfByDf[d] = logImages - Math.log(Math.max(1, d));
  const idf = new Float64Array(corpus.ngramCount);
  for (let id = 0; id < idf.length; id++) idf[id] = idfByDf[df[id]];
  return idf;
}
