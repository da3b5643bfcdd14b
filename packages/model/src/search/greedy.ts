import * as tf from '@tensorflow/tfjs';
import type { DecoderMath } from '../decoder/decoder';
import { END_ID, START_ID } from '@captioner/core/special-tokens';
import {
  attentionRows,
  disposeState,
  initialDecodeState,
  repeatedNgramBans,
  retireState,
  stepLogProbs,
} from './common';
import type { Beam, DecodeFeatures } from './types';

/**
 * Greedy decoding of a batch: the most likely word at each step, until `<end>` or `maxLength` words.
 * With `noRepeatNgramSize` > 0, the most likely word that repeats no n-gram of that size.
 */
export async function decodeGreedy(
  math: DecoderMath,
  features: DecodeFeatures,
  maxLength: number,
  noRepeatNgramSize = 0,
  withAttention = false,
): Promise<Beam[]> {
  const n = features.count;
  const keepAttention = withAttention && math.spec.decoder.attention;
  const results: Beam[] = Array.from({ length: n }, () => ({
    tokens: [],
    logProb: 0,
    score: 0,
    finished: false,
    ...(keepAttention ? { attention: [] } : {}),
  }));
  let state = initialDecodeState(math, features);
  let tokens = new Int32Array(n).fill(START_ID);
  const done = new Array<boolean>(n).fill(false);
  try {
    for (let t = 0; t < maxLength && done.some((d) => !d); t++) {
      const step = stepLogProbs(math, state, tokens, t === 0, keepAttention);
      retireState(state, step.state);
      state = step.state;
      const alphas = await attentionRows(step.alpha);
      let ids: Int32Array;
      let lps: Float32Array;
      if (noRepeatNgramSize > 0) {
        ({ ids, lps } = bestAllowed(
          (await step.logProbs.data()) as Float32Array,
          math.spec.vocabSize,
          results.map((r) => repeatedNgramBans(r.tokens, noRepeatNgramSize)),
        ));
        step.logProbs.dispose();
      } else {
        // Without bans the argmax stays on the backend: only n numbers cross to the CPU.
        const [best, bestLogProb] = tf.tidy(() => [tf.argMax(step.logProbs, 1), tf.max(step.logProbs, 1)]);
        step.logProbs.dispose();
        ids = (await best.data()) as Int32Array;
        lps = (await bestLogProb.data()) as Float32Array;
        tf.dispose([best, bestLogProb]);
      }
      tokens = new Int32Array(ids);
      for (let i = 0; i < n; i++) {
        if (done[i]) continue;
        results[i].logProb += lps[i];
        if (ids[i] === END_ID) {
          done[i] = true;
          results[i].finished = true;
        } else {
          results[i].tokens.push(ids[i]);
          if (alphas) results[i].attention!.push(alphas[i]);
        }
      }
    }
  } finally {
    disposeState(state);
  }
  for (const r of results) r.score = r.logProb;
  return results;
}

/** Per row, the most likely word not in that row's bans (ties: the lower id, as `tf.argMax`). */
function bestAllowed(
  logProbs: Float32Array,
  V: number,
  bans: ReadonlyArray<ReadonlySet<number>>,
): { ids: Int32Array; lps: Float32Array } {
  const ids = new Int32Array(bans.length);
  const lps = new Float32Array(bans.length);
  for (let i = 0; i < bans.length; i++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let j = 0; j < V; j++) {
      const v = logProbs[i * V + j];
      if (v > bestValue && !bans[i].has(j)) [best, bestValue] = [j, v];
    }
    // Everything banned cannot happen with a real vocabulary; end the caption rather than repeat.
    ids[i] = best < 0 ? END_ID : best;
    lps[i] = best < 0 ? 0 : bestValue;
  }
  return { ids, lps };
}
