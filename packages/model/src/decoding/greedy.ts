import * as tf from '@tensorflow/tfjs';
import type { DecoderMath } from '../decoder/decoder';
import { END_ID, START_ID } from '../special-tokens';
import { disposeState, initialDecodeState, retireState, stepLogProbs } from './common';
import type { Beam, DecodeFeatures } from './types';

/** Greedy decoding of a batch: the most likely word at each step, until `<end>` or `maxLength` words. */
export async function decodeGreedy(
  math: DecoderMath,
  features: DecodeFeatures,
  maxLength: number,
): Promise<Beam[]> {
  const n = features.count;
  const results: Beam[] = Array.from({ length: n }, () => ({
    tokens: [],
    logProb: 0,
    score: 0,
    finished: false,
  }));
  let state = initialDecodeState(math, features);
  let tokens = new Int32Array(n).fill(START_ID);
  const done = new Array<boolean>(n).fill(false);
  try {
    for (let t = 0; t < maxLength && done.some((d) => !d); t++) {
      const step = stepLogProbs(math, state, tokens, t === 0);
      retireState(state, step.state);
      state = step.state;
      const [best, bestLogProb] = tf.tidy(() => [tf.argMax(step.logProbs, 1), tf.max(step.logProbs, 1)]);
      step.logProbs.dispose();
      const ids = (await best.data()) as Int32Array;
      const lps = (await bestLogProb.data()) as Float32Array;
      tf.dispose([best, bestLogProb]);
      tokens = new Int32Array(ids);
      for (let i = 0; i < n; i++) {
        if (done[i]) continue;
        results[i].logProb += lps[i];
        if (ids[i] === END_ID) {
          done[i] = true;
          results[i].finished = true;
        } else {
          results[i].tokens.push(ids[i]);
        }
      }
    }
  } finally {
    disposeState(state);
  }
  for (const r of results) r.score = r.logProb;
  return results;
}
