import { InvalidInputError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { scoreCaptions } from './score-captions';

describe('scoreCaptions', () => {
  const refs = {
    a: ['A man riding a horse.', 'A person on a brown horse!'],
    b: ['Two dogs playing in the grass.', 'Dogs run across a field.'],
  };

  it('tokenizes like coco-caption by default: case and punctuation do not matter', () => {
    const raw = scoreCaptions({ refs, cands: { a: 'A MAN riding a horse!!!', b: 'Two dogs, playing in the grass' } });
    const clean = scoreCaptions(
      {
        refs: { a: ['a man riding a horse', 'a person on a brown horse'], b: ['two dogs playing in the grass', 'dogs run across a field'] },
        cands: { a: 'a man riding a horse !!!', b: 'two dogs playing in the grass' },
      },
      { tokenize: false },
    );
    expect(raw).toEqual(clean);
    expect(raw.perImage.b.Bleu_4).toBeCloseTo(1, 6);
    expect(raw.perImage.b.ROUGE_L).toBeCloseTo(1, 6);
  });

  it('gives every image its scores and corpus means', () => {
    const s = scoreCaptions({ refs, cands: { a: 'a man riding a horse', b: 'a cat' } });
    expect(Object.keys(s.perImage)).toEqual(['a', 'b']);
    expect(s.corpus.CIDEr).toBeCloseTo((s.perImage.a.CIDEr + s.perImage.b.CIDEr) / 2, 12);
    expect(s.corpus.ROUGE_L).toBeCloseTo((s.perImage.a.ROUGE_L + s.perImage.b.ROUGE_L) / 2, 12);
    expect(s.perImage.a.CIDEr).toBeGreaterThan(s.perImage.b.CIDEr);
  });

  it('rejects an image with no references', () => {
    expect(() => scoreCaptions({ refs: { a: [] }, cands: { a: 'x' } })).toThrow(InvalidInputError);
    expect(() => scoreCaptions({ refs: { a: [] }, cands: { a: 'x' } })).toThrow(/"a" has no references/);
  });

  it('rejects a candidate for an unknown id', () => {
    expect(() => scoreCaptions({ refs: { a: ['x'] }, cands: { a: 'x', z: 'y' } })).toThrow(/unknown image id "z"/);
  });

  it('rejects a reference id with no candidate', () => {
    expect(() => scoreCaptions({ refs: { a: ['x'], b: ['y'] }, cands: { a: 'x' } })).toThrow(/"b" has no candidate/);
  });
});
