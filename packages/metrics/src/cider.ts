import { MAX_N } from './ngrams';
import type { EncodedCorpus } from './corpus';

/** `cider.py` (CIDEr-D): standard deviation of the Gaussian length penalty. */
export const CIDER_SIGMA = 6;
/** `cider_scorer.py`: the mean over n and references is multiplied by 10. */
export const CIDER_SCALE = 10;

/**
 * A sentence's tf-idf vector per n-gram order, in reusable buffers: for order k, the distinct ids
 * are `ids[k][0..counts[k])` with weights alongside, then the norms and the sentence's "length".
 */
interface TfIdfVector {
  ids: Int32Array[];
  weights: Float64Array[];
  counts: Int32Array;
  norms: Float64Array;
  /** Number of bigrams (`counts2vec` adds term frequencies where `n == 1`, the 0-based order index). */
  length: number;
}

function vectorBuffer(capacity: number): TfIdfVector {
  return {
    ids: Array.from({ length: MAX_N }, () => new Int32Array(capacity)),
    weights: Array.from({ length: MAX_N }, () => new Float64Array(capacity)),
    counts: new Int32Array(MAX_N),
    norms: new Float64Array(MAX_N),
    length: 0,
  };
}

/**
 * CIDEr-D per image as pycocoevalcap's `Cider` computes it: document frequency over the
 * references of the scored set, idf = log(N) - log(max(1, df)), candidate weights clipped at the
 * reference's, Gaussian length penalty (sigma 6) on the difference in bigram counts, mean over
 * n = 1..4, divided by the number of references, times 10.
 */
export function ciderD(corpus: EncodedCorpus): Float64Array {
  const images = corpus.imageIds.length;
  const { firstSentence, wordCount, gramStart, grams } = corpus;
  const idf = inverseDocumentFrequencies(corpus);
  const count = new Int32Array(corpus.ngramCount);
  const refWeight = new Float64Array(corpus.ngramCount);
  let longest = 0;
  for (let s = 0; s < wordCount.length; s++) longest = Math.max(longest, wordCount[s]);
  const cand = vectorBuffer(longest);
  const ref = vectorBuffer(longest);
  const fill = (sentence: number, v: TfIdfVector): void => {
    const length = wordCount[sentence];
    let at = gramStart[sentence];
    for (let k = 0; k < MAX_N; k++) {
      const end = at + Math.max(0, length - k);
      for (let j = at; j < end; j++) count[grams[j]]++;
      const ids = v.ids[k];
      const w = v.weights[k];
      let n = 0;
      let norm = 0;
      for (let j = at; j < end; j++) {
        const id = grams[j];
        if (count[id] === 0) continue;
        const weight = count[id] * idf[id];
        ids[n] = id;
        w[n++] = weight;
        norm += weight * weight;
        count[id] = 0;
      }
      v.counts[k] = n;
      v.norms[k] = Math.sqrt(norm);
      at = end;
    }
    v.length = Math.max(0, length - 1);
  };

  const out = new Float64Array(images);
  const twoSigma2 = 2 * CIDER_SIGMA * CIDER_SIGMA;
  const sums = new Float64Array(MAX_N);
  for (let i = 0; i < images; i++) {
    const c = firstSentence[i];
    fill(c, cand);
    sums.fill(0);
    for (let r = c + 1; r < firstSentence[i + 1]; r++) {
      fill(r, ref);
      const delta = cand.length - ref.length;
      const penalty = Math.exp(-(delta * delta) / twoSigma2);
      for (let k = 0; k < MAX_N; k++) {
        const refIds = ref.ids[k];
        const refW = ref.weights[k];
        const refN = ref.counts[k];
        for (let j = 0; j < refN; j++) refWeight[refIds[j]] = refW[j];
        let val = 0;
        const candIds = cand.ids[k];
        const candW = cand.weights[k];
        const candN = cand.counts[k];
        for (let j = 0; j < candN; j++) {
          const r = refWeight[candIds[j]];
          val += Math.min(candW[j], r) * r;
        }
        for (let j = 0; j < refN; j++) refWeight[refIds[j]] = 0;
        if (cand.norms[k] !== 0 && ref.norms[k] !== 0) val /= cand.norms[k] * ref.norms[k];
        sums[k] += val * penalty;
      }
    }
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
