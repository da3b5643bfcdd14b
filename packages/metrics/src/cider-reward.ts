import { InvalidInputError } from '@captioner/core';
import { CIDER_SCALE, CIDER_SIGMA } from './cider';
import { MAX_N } from './ngrams';

/** One sentence's tf-idf vectors per n-gram order, their norms and its bigram count (pycocoevalcap's "length"). */
interface Vectors {
  weights: Array<Map<string, number>>;
  norms: Float64Array;
  length: number;
}

/**
 * CIDEr-D of candidates against a fixed corpus of references, with document frequencies counted once over
 * that corpus (the training split) instead of over the scored set: the reward of self-critical training
 * (Rennie et al. 2017; ruotianluo/ImageCaptioning.pytorch `CiderD` with `df='corpus'`). For candidates
 * of the corpus' own images it equals `scoreCaptions`' per-image CIDEr-D (same n-grams, idf, clipping,
 * Gaussian length penalty, ×10). Sentences are already tokenized (word arrays).
 */
export class CiderDReward {
  private readonly df = new Map<string, number>();
  private readonly logImages: number;
  private readonly refVectors: Vectors[][];

  constructor(references: ReadonlyArray<ReadonlyArray<readonly string[]>>) {
    if (references.length === 0) throw new InvalidInputError('CIDEr-D reward: no reference images');
    references.forEach((refs, i) => {
      if (refs.length === 0) throw new InvalidInputError(`CIDEr-D reward: image ${i} has no references`);
      const seen = new Set<string>();
      for (const ref of refs) for (const gram of ngramCounts(ref).keys()) seen.add(gram);
      for (const gram of seen) this.df.set(gram, (this.df.get(gram) ?? 0) + 1);
    });
    this.logImages = Math.log(references.length);
    this.refVectors = references.map((refs) => refs.map((ref) => this.vectors(ref)));
  }

  /** Number of reference images (the row index range of `score`). */
  get images(): number {
    return this.refVectors.length;
  }

  /** CIDEr-D of `candidate` for reference image `image`. */
  score(image: number, candidate: readonly string[]): number {
    const refs = this.refVectors[image];
    if (!refs) throw new InvalidInputError(`CIDEr-D reward: no image ${image}`);
    const hyp = this.vectors(candidate);
    const twoSigma2 = 2 * CIDER_SIGMA * CIDER_SIGMA;
    let sum = 0;
    for (const ref of refs) {
      const delta = hyp.length - ref.length;
      const penalty = Math.exp(-(delta * delta) / twoSigma2);
      for (let n = 0; n < MAX_N; n++) {
        let val = 0;
        for (const [gram, h] of hyp.weights[n]) {
          const r = ref.weights[n].get(gram);
          if (r !== undefined) val += Math.min(h, r) * r;
        }
        if (hyp.norms[n] !== 0 && ref.norms[n] !== 0) val /= hyp.norms[n] * ref.norms[n];
        sum += val * penalty;
      }
    }
    return (sum / MAX_N / refs.length) * CIDER_SCALE;
  }

  private vectors(words: readonly string[]): Vectors {
    const weights = Array.from({ length: MAX_N }, () => new Map<string, number>());
    const norms = new Float64Array(MAX_N);
    let length = 0;
    for (const [gram, count] of ngramCounts(words)) {
      const n = countSpaces(gram);
      const weight = count * (this.logImages - Math.log(Math.max(1, this.df.get(gram) ?? 0)));
      weights[n].set(gram, weight);
      norms[n] += weight * weight;
      if (n === 1) length += count;
    }
    for (let n = 0; n < MAX_N; n++) norms[n] = Math.sqrt(norms[n]);
    return { weights, norms, length };
  }
}

/** Counts of the 1- to 4-grams of a sentence, keyed by the space-joined words. */
function ngramCounts(words: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= MAX_N; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      const gram = words.slice(i, i + n).join(' ');
      counts.set(gram, (counts.get(gram) ?? 0) + 1);
    }
  }
  return counts;
}

function countSpaces(gram: string): number {
  let spaces = 0;
  for (let i = 0; i < gram.length; i++) if (gram.charCodeAt(i) === 32) spaces++;
  return spaces;
}
