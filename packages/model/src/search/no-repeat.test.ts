import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/tfjs-backend';
import { repeatedNgramBans } from './common';
import { randomCaptionModel, randomFeatures } from './test-model';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Whether some n-gram of `n` words occurs twice in `tokens`. */
function repeatsNgram(tokens: number[], n: number): boolean {
  const seen = new Set<string>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

describe('repeatedNgramBans', () => {
  it('bans the words that followed earlier occurrences of the last n - 1 words', () => {
    // "5 6 7 5 6": after "5 6" came 7 before, so 7 would repeat the trigram "5 6 7".
    expect([...repeatedNgramBans([5, 6, 7, 5, 6], 3)]).toEqual([7]);
    // Bigrams: the last word 6 was followed by 7.
    expect([...repeatedNgramBans([5, 6, 7, 5, 6], 2)]).toEqual([7]);
    // Unigrams: every word used.
    expect([...repeatedNgramBans([5, 6, 7], 1)].sort()).toEqual([5, 6, 7]);
    expect(repeatedNgramBans([5, 6, 7, 5, 6], 0).size).toBe(0);
    expect(repeatedNgramBans([5], 3).size).toBe(0);
  });
});

describe('decoding with noRepeatNgramSize', () => {
  it('never repeats an n-gram (greedy and beam search) and changes nothing when 0', async () => {
    // Long captions from a random model repeat words; bans of bigrams must remove every repeat.
    const model = randomCaptionModel(5, { attention: false });
    const features = randomFeatures(8, 4);
    const before = tf.memory().numTensors;
    for (const beamSize of [1, 3]) {
      const free = await model.decodeBeams(features, { beamSize, maxLength: 20 });
      expect(free.some((b) => repeatsNgram(b[0].tokens, 2))).toBe(true);
      const banned = await model.decodeBeams(features, { beamSize, maxLength: 20, noRepeatNgramSize: 2 });
      for (const image of banned) for (const beam of image) expect(repeatsNgram(beam.tokens, 2)).toBe(false);
      const zero = await model.decodeBeams(features, { beamSize, maxLength: 20, noRepeatNgramSize: 0 });
      expect(zero).toEqual(free);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a negative or fractional size', async () => {
    const model = randomCaptionModel(5);
    await expect(model.decodeBeams(randomFeatures(1, 1), { noRepeatNgramSize: -1 })).rejects.toThrow(
      /noRepeatNgramSize must be a non-negative integer/,
    );
    await expect(model.decodeBeams(randomFeatures(1, 1), { lengthPenalty: -1 })).rejects.toThrow(
      /lengthPenalty must be a non-negative number/,
    );
    model.dispose();
  });
});
