import type { DecoderMath } from '../decoder/decoder';
import { END_ID, START_ID } from '@captioner/core/special-tokens';
import { disposeState, initialDecodeState, retireState, stepLogProbs } from './common';
import type { DecodeFeatures } from './types';

/** One sampled caption: its words (no specials) and whether the model ended it with `<end>`. */
export interface SampledCaption {
  tokens: number[];
  finished: boolean;
}

/**
 * Draws `samples` captions per image from the model's distribution (multinomial sampling, temperature 1,
 * no dropout), as self-critical training does: row `i * samples + s` is image i's s-th sample. The
 * draws come from `uniform` (a seeded generator) on the CPU, so a seed gives the same captions on every
 * run of a backend. `<unk>`, `<pad>`, `<start>` and, at the first step, `<end>` are never drawn.
 */
export async function sampleCaptions(
  math: DecoderMath,
  features: DecodeFeatures,
  samples: number,
  maxLength: number,
  uniform: () => number,
): Promise<SampledCaption[]> {
  const rows = features.count * samples;
  const { pooledSize: P, gridPositions: G, gridChannels: C } = math.spec.featureShape;
  // Each image's features repeated `samples` times, so that all samples step together.
  const pooled = new Float32Array(rows * P);
  const grid = features.grid ? new Float32Array(rows * G * C) : undefined;
  for (let r = 0; r < rows; r++) {
    const image = Math.floor(r / samples);
    pooled.set(features.pooled.subarray(image * P, (image + 1) * P), r * P);
    grid?.set(features.grid!.subarray(image * G * C, (image + 1) * G * C), r * G * C);
  }
  const out: SampledCaption[] = Array.from({ length: rows }, () => ({ tokens: [], finished: false }));
  const V = math.spec.vocabSize;
  let state = initialDecodeState(math, { pooled, grid, count: rows });
  let tokens = new Int32Array(rows).fill(START_ID);
  const probs = new Float64Array(V);
  try {
    for (let t = 0; t < maxLength && out.some((c) => !c.finished); t++) {
      const step = stepLogProbs(math, state, tokens, t === 0);
      retireState(state, step.state);
      state = step.state;
      const logProbs = (await step.logProbs.data()) as Float32Array;
      step.logProbs.dispose();
      tokens = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        // A finished row keeps feeding <end>; its state is ignored from here on.
        if (out[r].finished) {
          tokens[r] = END_ID;
          continue;
        }
        let total = 0;
        for (let j = 0; j < V; j++) {
          probs[j] = Math.exp(logProbs[r * V + j]);
          total += probs[j];
        }
        // Inverse CDF on the (renormalised) probabilities; float32 rounding never picks a banned word.
        let u = uniform() * total;
        let token = -1;
        for (let j = 0; j < V; j++) {
          if (probs[j] === 0) continue;
          token = j;
          u -= probs[j];
          if (u < 0) break;
        }
        tokens[r] = token;
        if (token === END_ID) out[r].finished = true;
        else out[r].tokens.push(token);
      }
    }
  } finally {
    disposeState(state);
  }
  return out;
}
