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

interface LiveBeam {
  tokens: number[];
  logProb: number;
  /** Row of this beam in the batched decoder state. */
  row: number;
  /** Attention weights per word (only when asked for, on a model with attention). */
  attention?: number[][];
}

interface Candidate {
  parent: LiveBeam;
  token: number;
  logProb: number;
}

/** Ranking score: log-probability divided by length^alpha (length counts `<end>` when produced). */
export function beamScore(logProb: number, words: number, finished: boolean, lengthPenalty: number): number {
  if (lengthPenalty === 0) return logProb;
  return logProb / Math.pow(Math.max(words + (finished ? 1 : 0), 1), lengthPenalty);
}

/** Indices of the `k` largest values (ties: lower index first), skipping -Infinity. */
function topK(values: Float32Array, offset: number, length: number, k: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < length; j++) {
    const v = values[offset + j];
    if (v === -Infinity) continue;
    if (best.length === k && v <= values[offset + best[k - 1]]) continue;
    let pos = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(j);
    while (pos > 0 && values[offset + best[pos - 1]] < v) {
      best[pos] = best[pos - 1];
      pos--;
    }
    best[pos] = j;
  }
  return best;
}

/**
 * Beam search over a batch of images, all beams of all images stepped together. An image stops when it
 * has `beamSize` finished captions; at `maxLength` the live beams are returned as unfinished, so every
 * image gets `beamSize` captions (ranked best first) even if the model never produces `<end>`. With
 * `noRepeatNgramSize` > 0, no beam is extended by a word that would repeat an n-gram of that size.
 */
export async function decodeBeamSearch(
  math: DecoderMath,
  features: DecodeFeatures,
  beamSize: number,
  maxLength: number,
  lengthPenalty: number,
  noRepeatNgramSize = 0,
  withAttention = false,
): Promise<Beam[][]> {
  const n = features.count;
  const keepAttention = withAttention && math.spec.decoder.attention;
  const V = math.spec.vocabSize;
  const finished: Beam[][] = Array.from({ length: n }, () => []);
  let live: LiveBeam[][] = Array.from({ length: n }, (_, i) => [
    { tokens: [], logProb: 0, row: i, ...(keepAttention ? { attention: [] } : {}) },
  ]);
  let state = initialDecodeState(math, features);
  try {
    for (let t = 0; t < maxLength; t++) {
      const rows = live.flat();
      if (rows.length === 0) break;
      const tokens = Int32Array.from(rows, (b) =>
        b.tokens.length ? b.tokens[b.tokens.length - 1] : START_ID,
      );
      const step = stepLogProbs(math, state, tokens, t === 0, keepAttention);
      retireState(state, step.state);
      state = step.state;
      const alphas = await attentionRows(step.alpha);
      const logProbs = (await step.logProbs.data()) as Float32Array;
      step.logProbs.dispose();
      const parentRows: number[] = [];
      const nextLive: LiveBeam[][] = [];
      for (let i = 0; i < n; i++) {
        const candidates: Candidate[] = [];
        for (const beam of live[i]) {
          const banned = repeatedNgramBans(beam.tokens, noRepeatNgramSize);
          const allowed = topK(logProbs, beam.row * V, V, 2 * beamSize + banned.size)
            .filter((token) => !banned.has(token))
            .slice(0, 2 * beamSize);
          for (const token of allowed) {
            candidates.push({ parent: beam, token, logProb: beam.logProb + logProbs[beam.row * V + token] });
          }
        }
        // Stable sort: ties keep beam order, then token order, so results are deterministic.
        candidates.sort((a, b) => b.logProb - a.logProb);
        const kept: LiveBeam[] = [];
        for (const c of candidates) {
          if (kept.length === beamSize) break;
          if (c.token === END_ID) {
            const words = c.parent.tokens.length;
            finished[i].push({
              tokens: c.parent.tokens,
              logProb: c.logProb,
              score: beamScore(c.logProb, words, true, lengthPenalty),
              finished: true,
              ...(c.parent.attention ? { attention: c.parent.attention } : {}),
            });
          } else {
            kept.push({
              tokens: [...c.parent.tokens, c.token],
              logProb: c.logProb,
              row: c.parent.row,
              // The weights of this step, taken from the parent's row, belong to the word it adds.
              ...(c.parent.attention && alphas
                ? { attention: [...c.parent.attention, alphas[c.parent.row]] }
                : {}),
            });
          }
        }
        if (finished[i].length >= beamSize) {
          nextLive.push([]);
          continue;
        }
        if (t === maxLength - 1) {
          for (const b of kept) {
            finished[i].push({
              tokens: b.tokens,
              logProb: b.logProb,
              score: beamScore(b.logProb, b.tokens.length, false, lengthPenalty),
              finished: false,
              ...(b.attention ? { attention: b.attention } : {}),
            });
          }
          nextLive.push([]);
          continue;
        }
        nextLive.push(
          kept.map((b) => {
            parentRows.push(b.row);
            return { ...b, row: parentRows.length - 1 };
          }),
        );
      }
      live = nextLive;
      if (parentRows.length > 0) {
        const previous = state;
        state = tf.tidy(
          () =>
            math.gatherState(
              previous,
              tf.tensor1d(parentRows, 'int32'),
            ) as unknown as tf.TensorContainerObject,
        ) as unknown as typeof state;
        retireState(previous, state);
      }
    }
  } finally {
    disposeState(state);
  }
  return finished.map((beams) => beams.sort((a, b) => b.score - a.score).slice(0, beamSize));
}
