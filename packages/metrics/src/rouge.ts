import type { EncodedCorpus } from './corpus';

/** `rouge.py`: recall weighs beta² times as much as precision (updated after discussion with Hovy). */
export const ROUGE_BETA = 1.2;

/** Length of the longest common subsequence of two token-id sequences (one-row dynamic programme). */
function lcsLength(a: Int32Array, b: Int32Array, row: Int32Array): number {
  row.fill(0, 0, b.length + 1);
  for (let i = 0; i < a.length; i++) {
    let diagonal = 0;
    const ai = a[i];
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = ai === b[j - 1] ? diagonal + 1 : above > row[j - 1] ? above : row[j - 1];
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * ROUGE-L per image as `rouge.py` computes it: tokens split on single spaces (an empty caption is
 * one empty token), the maximum precision and the maximum recall over the references taken
 * separately, F-measure with beta = 1.2. The corpus score is their mean.
 */
export function rougeL(corpus: EncodedCorpus): Float64Array {
  const out = new Float64Array(corpus.imageIds.length);
  let longest = 0;
  for (const refs of corpus.refTokens) for (const r of refs) longest = Math.max(longest, r.length);
  const row = new Int32Array(longest + 1);
  const beta2 = ROUGE_BETA * ROUGE_BETA;
  for (let i = 0; i < out.length; i++) {
    const cand = corpus.candTokens[i];
    let precMax = 0;
    let recMax = 0;
    for (const ref of corpus.refTokens[i]) {
      const lcs = lcsLength(cand, ref, row);
      precMax = Math.max(precMax, lcs / cand.length);
      recMax = Math.max(recMax, lcs / ref.length);
    }
    out[i] = precMax !== 0 && recMax !== 0 ? ((1 + beta2) * precMax * recMax) / (recMax + beta2 * precMax) : 0;
  }
  return out;
}
