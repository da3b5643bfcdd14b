import { describe, expect, it } from 'vitest';
import type { Scene } from '@captioner/dataset';
import { CiderDReward } from '@captioner/metrics';
import { groundingScore, groundingValidationScorer, selfCriticalReward } from './scst-reward';

/** A red circle top-left, a blue square bottom-right. */
const TWO: Scene = {
  objects: [
    { kind: 'circle', color: 'red', size: 'large', row: 0, col: 0 },
    { kind: 'square', color: 'blue', size: 'small', row: 2, col: 2 },
  ],
};
const ONE: Scene = { objects: [{ kind: 'triangle', color: 'green', size: 'small', row: 1, col: 1 }] };
const words = (caption: string) => caption.split(' ');

describe('groundingScore', () => {
  it('gives 1 per scene object for a caption that names every object right', () => {
    expect(groundingScore(words('a red circle and a blue square'), TWO)).toBe(1);
    expect(groundingScore(words('a small green triangle'), ONE)).toBe(1);
  });

  it('adds right relations and counts, and costs 2 for each wrong statement', () => {
    // 2 objects + 1 relation right, over 2 objects.
    expect(groundingScore(words('a red circle left of a blue square'), TWO)).toBe(1.5);
    // The relation is false: (2 − 2) / 2.
    expect(groundingScore(words('a red circle right of a blue square'), TWO)).toBe(0);
    // Colours swapped between the shapes (a binding error): both objects wrong, (0 − 4) / 2.
    expect(groundingScore(words('a blue circle and a red square'), TWO)).toBe(-2);
    // Half the scene named right beats a guess at all of it.
    expect(groundingScore(words('a red circle'), TWO)).toBe(0.5);
    expect(groundingScore(words('three shapes with a red circle'), TWO)).toBe(-0.5);
    expect(groundingScore(words('something'), TWO)).toBe(0);
  });

  it('counts an object once: naming it again is a wrong statement', () => {
    // 1 object right, 1 repeat wrong: (1 − 2) / 2.
    expect(groundingScore(words('a red circle and a red circle'), TWO)).toBe(-0.5);
    // A repeat with its size said is still the same object.
    expect(groundingScore(words('a red circle and a large red circle'), TWO)).toBe(-0.5);
    expect(groundingScore(words('a red circle and a blue square and a red circle'), TWO)).toBe(0);
  });
});

describe('selfCriticalReward', () => {
  const refs = [[words('a red circle and a blue square')], [words('a green triangle')]];

  it('is CIDEr-D alone for reward CIDEr, plus the weighted grounding score for CIDEr+grounding', () => {
    const cider = new CiderDReward(refs);
    const caption = words('a blue circle and a red square');
    expect(
      selfCriticalReward({ reward: 'CIDEr', groundingWeight: 1 }, refs, undefined).score(0, caption),
    ).toBe(cider.score(0, caption));
    const grounded = selfCriticalReward({ reward: 'CIDEr+grounding', groundingWeight: 3 }, refs, [TWO, ONE]);
    expect(grounded.score(0, caption)).toBeCloseTo(cider.score(0, caption) - 6, 12);
    expect(grounded.score(1, words('a green triangle'))).toBeCloseTo(
      cider.score(1, words('a green triangle')) + 3,
      12,
    );
  });

  it('refuses CIDEr+grounding without a scene for every training image, naming the image', () => {
    const config = { reward: 'CIDEr+grounding', groundingWeight: 1 } as const;
    expect(() => selfCriticalReward(config, refs, undefined)).toThrow(
      /needs a scene .* this data set has none/,
    );
    expect(() => selfCriticalReward(config, refs, [TWO, undefined])).toThrow(/training image 1 has none/);
  });
});

describe('groundingValidationScorer', () => {
  it("adds the mean grounding score of the captions, by image id, to coco-caption's scores", () => {
    const scorer = groundingValidationScorer(
      new Map([
        ['two', TWO],
        ['one', ONE],
      ]),
    );
    const input = {
      refs: { two: ['a red circle and a blue square'], one: ['a small green triangle'] },
      cands: { two: 'a blue circle and a red square', one: 'a small green triangle' },
    };
    const { corpus } = scorer(input, { tokenize: false });
    // (−2 + 1) / 2 images.
    expect(corpus.grounding).toBe(-0.5);
    expect(corpus.CIDEr).toBeGreaterThan(0);
    expect(() => scorer({ refs: { x: ['a'] }, cands: { x: 'a' } })).toThrow(/image x has none/);
  });
});
