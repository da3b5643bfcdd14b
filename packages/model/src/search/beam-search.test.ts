import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/tfjs-backend';
import { END_ID, PAD_ID, START_ID, UNK_ID } from '@captioner/core/special-tokens';
import { decodeBeamSearch } from './beam-search';
import { randomCaptionModel, randomFeatures } from './test-model';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('decoding', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    for (const attention of [true, false]) {
      it(`beam size 1 equals greedy (${cell}, attention ${attention})`, async () => {
        const model = randomCaptionModel(7, { cell, attention });
        const features = randomFeatures(6, 1);
        const before = tf.memory().numTensors;
        const greedy = await model.decodeBeams(features, { beamSize: 1, maxLength: 12 });
        // CaptionModel routes beam size 1 to greedy decoding; call the beam search itself with one beam.
        const beam1 = await decodeBeamSearch(model.math, features, 1, 12, 0);
        expect(tf.memory().numTensors).toBe(before);
        expect(beam1.map((b) => b[0].tokens)).toEqual(greedy.map((b) => b[0].tokens));
        beam1.forEach((b, i) => expect(b[0].logProb).toBeCloseTo(greedy[i][0].logProb, 4));
        model.dispose();
      });
    }
  }

  it('returns beams ordered by score, never empty, without special tokens', async () => {
    const model = randomCaptionModel(3);
    const features = randomFeatures(5, 2);
    const before = tf.memory().numTensors;
    const beams = await model.decodeBeams(features, { beamSize: 4, maxLength: 10, lengthPenalty: 0.7 });
    expect(tf.memory().numTensors).toBe(before);
    expect(beams).toHaveLength(5);
    for (const image of beams) {
      expect(image).toHaveLength(4);
      for (let i = 1; i < image.length; i++)
        expect(image[i - 1].score).toBeGreaterThanOrEqual(image[i].score);
      for (const beam of image) {
        expect(beam.tokens.length).toBeGreaterThan(0);
        expect(beam.tokens.length).toBeLessThanOrEqual(10);
        expect(beam.tokens.some((t) => t === PAD_ID || t === START_ID || t === END_ID)).toBe(false);
      }
      // Distinct hypotheses.
      expect(new Set(image.map((b) => b.tokens.join(' '))).size).toBe(image.length);
    }
    model.dispose();
  });

  it('finds a caption at least as likely as greedy', async () => {
    const model = randomCaptionModel(11);
    const features = randomFeatures(8, 3);
    const greedy = await model.decodeBeams(features, { beamSize: 1, maxLength: 8 });
    const beam = await model.decodeBeams(features, { beamSize: 5, maxLength: 8 });
    // With no length penalty the score is the log-probability; the best beam should not be worse than greedy
    // when greedy's caption finished (beam search can only lose it by pruning, which k=5 makes unlikely).
    const better = beam.filter((b, i) => b[0].logProb >= greedy[i][0].logProb - 1e-4).length;
    expect(better).toBeGreaterThanOrEqual(7);
    model.dispose();
  });

  it('returns the best unfinished caption when the model never produces <end>', async () => {
    const model = randomCaptionModel(5);
    tf.tidy(() => {
      const bias = model.math.params['output/bias'];
      const values = bias.dataSync().slice();
      values[END_ID] = -1e4;
      bias.assign(tf.tensor1d(values));
    });
    const features = randomFeatures(3, 4);
    for (const beamSize of [1, 3]) {
      const beams = await model.decodeBeams(features, { beamSize, maxLength: 6 });
      for (const image of beams) {
        expect(image).toHaveLength(beamSize);
        for (const b of image) {
          expect(b.finished).toBe(false);
          expect(b.tokens).toHaveLength(6);
        }
      }
      const captions = await model.decode(features, { beamSize, maxLength: 6 });
      expect(captions.every((c) => c.length === 6)).toBe(true);
    }
    model.dispose();
  });

  it('never produces <unk> (nor <pad>/<start>), so a caption of words is never empty', async () => {
    // A model that prefers <unk> above every word, then <end>: the shape of an undertrained model on a
    // vocabulary with many rare words. Words are what the vocabulary decodes: ids from 4 up.
    const model = randomCaptionModel(9);
    tf.tidy(() => {
      const bias = model.math.params['output/bias'];
      const values = bias.dataSync().slice();
      values[UNK_ID] = 1e4;
      values[END_ID] = 5e3;
      bias.assign(tf.tensor1d(values));
    });
    const features = randomFeatures(4, 5);
    for (const beamSize of [1, 3]) {
      const captions = await model.decode(features, { beamSize, maxLength: 6 });
      for (const caption of captions) {
        const words = caption.filter((id) => id > UNK_ID);
        expect(words.length).toBeGreaterThan(0);
        expect(words).toEqual(caption);
      }
    }
    model.dispose();
  });

  it('decodes large batches in chunks with the same results as small ones', async () => {
    const model = randomCaptionModel(13);
    const features = randomFeatures(300, 6);
    const before = tf.memory().numTensors;
    const all = await model.decode(features, { beamSize: 2, maxLength: 5 });
    expect(all).toHaveLength(300);
    const tail = await model.decode(
      { pooled: features.pooled.subarray(290 * 12), grid: features.grid!.subarray(290 * 24), count: 10 },
      { beamSize: 2, maxLength: 5 },
    );
    expect(all.slice(290)).toEqual(tail);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects bad options and mismatched features with clear errors', async () => {
    const model = randomCaptionModel(1);
    await expect(model.decode(randomFeatures(2, 1), { beamSize: 0 })).rejects.toThrow(/beam size/);
    await expect(model.decode({ pooled: new Float32Array(5), count: 1 })).rejects.toThrow(/pooled features/);
    expect(await model.decode({ pooled: new Float32Array(0), count: 0 })).toEqual([]);
    model.dispose();
  });
});

describe('attention weights', () => {
  for (const beamSize of [1, 3]) {
    it(`come back per word when asked for, without changing the captions (beam ${beamSize})`, async () => {
      const model = randomCaptionModel(5);
      const features = randomFeatures(4, 9);
      const plain = await model.decodeBeams(features, { beamSize, maxLength: 9 });
      const before = tf.memory().numTensors;
      const withMaps = await model.decodeBeams(features, { beamSize, maxLength: 9, attention: true });
      expect(tf.memory().numTensors).toBe(before);
      expect(withMaps.map((b) => b.map((x) => x.tokens))).toEqual(plain.map((b) => b.map((x) => x.tokens)));
      for (const beam of withMaps.flat()) {
        expect(beam.attention).toHaveLength(beam.tokens.length);
        for (const weights of beam.attention!) {
          expect(weights).toHaveLength(4); // the test model's grid positions
          expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        }
      }
      // Different words look at different places: the maps are not all the same.
      const maps = withMaps.flat().flatMap((b) => b.attention!.map((w) => w.map((v) => v.toFixed(3)).join()));
      expect(new Set(maps).size).toBeGreaterThan(1);
      for (const beam of plain.flat()) expect(beam.attention).toBeUndefined();
      model.dispose();
    });
  }

  it('are absent for a model without attention', async () => {
    const model = randomCaptionModel(5, { attention: false });
    const beams = await model.decodeBeams(randomFeatures(2, 9), {
      beamSize: 2,
      maxLength: 6,
      attention: true,
    });
    for (const beam of beams.flat()) expect(beam.attention).toBeUndefined();
    model.dispose();
  });
});
