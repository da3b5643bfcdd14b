import { describe, expect, it } from 'vitest';
import { captionDiversity } from './diversity';

describe('captionDiversity', () => {
  it('counts distinct captions, words and bigrams after PTB tokenization', () => {
    const d = captionDiversity(['A red circle.', 'a red circle', 'a blue square above a red circle']);
    expect(d.captions).toBe(3);
    // The first two are the same caption once tokenized (lower case, punctuation removed).
    expect(d.uniqueRate).toBeCloseTo(2 / 3, 12);
    // a, red, circle, blue, square, above
    expect(d.vocabularyUsed).toBe(6);
    expect(d.distinct1).toBeCloseTo(6 / 13, 12);
    // a red, red circle, a blue, blue square, square above, above a
    expect(d.distinct2).toBeCloseTo(6 / 10, 12);
    expect(d.meanLength).toBeCloseTo(13 / 3, 12);
    expect(d.novelRate).toBeNull();
  });

  it('counts a caption as novel only when no training caption equals it', () => {
    const d = captionDiversity(
      ['a red circle', 'a green circle', 'a red circle'],
      ['A red circle .', 'a square'],
    );
    expect(d.novelRate).toBeCloseTo(1 / 3, 12);
  });

  it('gives zeros, not NaN, for no captions', () => {
    expect(captionDiversity([], [])).toEqual({
      captions: 0,
      uniqueRate: 0,
      vocabularyUsed: 0,
      distinct1: 0,
      distinct2: 0,
      novelRate: 0,
      meanLength: 0,
    });
  });
});
