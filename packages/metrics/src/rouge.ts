import type { EncodedCorpus } from './corpus';

/** `rouge.py`: recall weighs beta² times as much as precision (updated after discussion with Hovy). */
export const ROUGE_BETA = 1.2;

/**
 * Length of the longest common subsequence of `tokens[a .. a + aLength)` and
 * `tokens[b .. b + bLength)` (one-row dynamic programme).
 */
function lcsLength(
  tokens: Int32Array,
  a: number,
  aLength: number,
  b: number,
  bLength: number,
  row: Int32Array,
): number {
  row.fill(0, 0, bLength + 1);
  for (let i = 0; i < aLength; i++) {
    let diagonal = 0;
    let left = 0;
    const ai = tokens[a + i];
    for (let j = 1; j <= bLength; j++) {
      const above = row[j];
      const value = ai === tokens[b + j - 1] ? diagonal + 1 : above > left ? above : left;
      row[j] = value;
      left = value;
      diagonal = above;
    }
  }
  return row[bLength];
}

/**
 * ROUGE-L per image as `rouge.py` computes it: tokens split on single spaces (an empty caption is
 * one empty token), the maximum precision and the maximum recall over the references taken
 * separately, F-measure with beta = 1.2. The corpus score is their mean.
 */
export function rougeL(corpus: EncodedCorpus): Float64Array {
  const { firstSentence, tokenStart, tokenCount, tokens } = corpus;
  const out = new Float64Array(corpus.imageIds.length);
  let longest = 0;
  for (let s = 0; s < tokenCount.length; s++) longest = Math.max(longest, tokenCount[s]);
  const row = new Int32Array(longest + 1);
  const beta2 = ROUGE_BETA * ROUGE_BETA;
  for (let i = 0; i < out.length; i++) {
    const cand = firstSentence[i];
    const candStart = tokenStart[cand];
    const candLength = tokenCount[cand];
    let precMax = 0;
    let recMax = 0;
    for (let r = cand + 1; r < firstSentence[i + 1]; r++) {
      const lcs = lcsLength(tokens, candStart, candLength, tokenStart[r], tokenCount[r], row);
      precMax = Math.max(precMax, lcs / candLength);
      recMax = Math.max(recMax, lcs / tokenCount[r]);
    }
    out[i] =
      precMax !== 0 && recMax !== 0 ? ((1 + beta2) * precMax * recMax) / (recMax + beta2 * precMax) : 0;
  }
  return out;
}
