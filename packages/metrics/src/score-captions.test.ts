import { InvalidInputError } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { ptbTokenizeToString } from './ptb-tokenizer';
import { scoreCaptions } from './score-captions';

describe('scoreCaptions', () => {
  const refs = {
    a: ['A man riding a horse.', 'A person on a brown horse!'],
    b: ['Two dogs playing in the grass.', 'Dogs run across a field.'],
  };

  it('tokenizes like coco-caption by default: case and punctuation do not matter', () => {
    const raw = scoreCaptions({
      refs,
      cands: { a: 'A MAN riding a horse!!!', b: 'Two dogs, playing in the grass' },
    });
    const clean = scoreCaptions(
      {
        refs: {
          a: ['a man riding a horse', 'a person on a brown horse'],
          b: ['two dogs playing in the grass', 'dogs run across a field'],
        },
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
    expect(() => scoreCaptions({ refs: { a: ['x'] }, cands: { a: 'x', z: 'y' } })).toThrow(
      /unknown image id "z"/,
    );
  });

  it('rejects a reference id with no candidate', () => {
    expect(() => scoreCaptions({ refs: { a: ['x'], b: ['y'] }, cands: { a: 'x' } })).toThrow(
      /"b" has no candidate/,
    );
  });

  it('scores tokenized captions exactly as their tokenized strings (token lists skip join and split)', () => {
    // Tokens with U+00A0 (phone numbers, fractions) and tabs (SGML), captions with no tokens left,
    // and plain ones: the encoder takes token lists where it can and strings otherwise.
    const set = {
      refs: {
        p: ['Call (800) 555-1212 now', 'a phone number 555-1212', '2 1/2 cups of flour'],
        q: ['A <b\tx> tag on a sign', '...', 'A dog, a cat and a bird.'],
        r: ["The dog's bowl isn't full", 'A grey cat on a mat.', 'two dogs'],
      },
      cands: { p: 'call 800 555-1212', q: '!', r: "a dog's grey bowl" },
    };
    const tokenizedStrings = {
      refs: Object.fromEntries(Object.entries(set.refs).map(([id, rs]) => [id, rs.map(ptbTokenizeToString)])),
      cands: Object.fromEntries(Object.entries(set.cands).map(([id, c]) => [id, ptbTokenizeToString(c)])),
    };
    expect(scoreCaptions(set)).toEqual(scoreCaptions(tokenizedStrings, { tokenize: false }));
  });
});
