import { describe, expect, it } from 'vitest';
import { readScores } from './views';

describe('readScores', () => {
  it('hands out the metric numbers, the grounding and the diversity figures separately', () => {
    const column = {
      Bleu_4: 0.5,
      CIDEr: 1.25,
      grounding: { images: 3, objectPrecision: null },
      diversity: { captions: 3, uniqueRate: 1, novelRate: null },
    };
    expect(readScores(column)).toEqual({
      scores: { Bleu_4: 0.5, CIDEr: 1.25 },
      grounding: { images: 3, objectPrecision: null },
      diversity: { captions: 3, uniqueRate: 1, novelRate: null },
    });
  });

  it('reads older rows, stored before grounding and diversity were measured', () => {
    expect(readScores({ CIDEr: 2 })).toEqual({
      scores: { CIDEr: 2 },
      grounding: null,
      diversity: null,
    });
    expect(readScores(null)).toEqual({ scores: null, grounding: null, diversity: null });
  });
});
