import { describe, expect, it } from 'vitest';
import { scoreCaptions } from '@captioner/metrics';
import { bestConstantCaption } from './constant-caption';

const training = [
  { id: 'a', captions: ['a red circle', 'a large red circle', 'one red circle'] },
  { id: 'b', captions: ['a red circle', 'a blue square above a red circle'] },
  { id: 'c', captions: ['a blue square', 'a red circle', 'a small blue square'] },
  { id: 'd', captions: ['a green triangle', 'one green triangle'] },
];

describe('bestConstantCaption', () => {
  it('picks the frequent training caption with the best CIDEr-D on the training captions', () => {
    const chosen = bestConstantCaption(training);
    const refs = Object.fromEntries(training.map((t) => [t.id, t.captions]));
    const cider = (caption: string) =>
      scoreCaptions({ refs, cands: Object.fromEntries(training.map((t) => [t.id, caption])) }).corpus.CIDEr;
    for (const caption of new Set(training.flatMap((t) => t.captions)))
      expect(cider(chosen), caption).toBeGreaterThanOrEqual(cider(caption));
    expect(chosen).toBe('a red circle');
  });

  it('does not depend on the order of the items, and is empty without captions', () => {
    expect(bestConstantCaption([...training].reverse())).toBe(bestConstantCaption(training));
    expect(bestConstantCaption([])).toBe('');
  });
});
