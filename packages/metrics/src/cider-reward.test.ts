import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@captioner/core/random';
import { CiderDReward } from './cider-reward';
import { scoreCaptions } from './score-captions';

const WORDS = ['a', 'red', 'blue', 'circle', 'square', 'above', 'below', 'the', 'small', 'big'];

function sentence(random: SeededRandom): string[] {
  const length = 2 + Math.floor(random.next() * 8);
  return Array.from({ length }, () => WORDS[Math.floor(random.next() * WORDS.length)]);
}

describe('CiderDReward', () => {
  it("equals scoreCaptions' per-image CIDEr-D when the scored set is the reference corpus", () => {
    const random = new SeededRandom(3);
    const refs = Array.from({ length: 12 }, () => Array.from({ length: 5 }, () => sentence(random)));
    const cands = refs.map(() => sentence(random));
    const reward = new CiderDReward(refs);
    const expected = scoreCaptions(
      {
        refs: Object.fromEntries(refs.map((r, i) => [String(i), r.map((s) => s.join(' '))])),
        cands: Object.fromEntries(cands.map((c, i) => [String(i), c.join(' ')])),
      },
      { tokenize: false },
    );
    cands.forEach((c, i) => expect(reward.score(i, c)).toBeCloseTo(expected.perImage[String(i)].CIDEr, 10));
    // A reference itself scores high, a caption of unrelated words 0.
    expect(reward.score(0, refs[0][0])).toBeGreaterThan(reward.score(0, cands[0]));
    expect(reward.score(0, ['zebra', 'giraffe'])).toBe(0);
  });

  it('keeps its document frequencies when scoring any number of candidates', () => {
    const refs = [[['a', 'red', 'circle']], [['a', 'blue', 'square']], [['a', 'red', 'square']]];
    const reward = new CiderDReward(refs);
    const once = reward.score(0, ['a', 'red', 'circle']);
    for (let i = 0; i < 3; i++) reward.score(1, ['a', 'blue', 'square']);
    expect(reward.score(0, ['a', 'red', 'circle'])).toBe(once);
    expect(() => new CiderDReward([])).toThrow(/no reference images/);
    expect(() => reward.score(5, ['a'])).toThrow(/no image 5/);
  });
});
