import { describe, expect, it } from 'vitest';
import { rankSweepRuns } from './sweep-ranking';

const run = (id: string, lr: number, cider: number | null, status = 'succeeded') => ({
  id,
  status,
  prunedAtEpoch: null,
  config: { training: { learningRate: lr, epochs: 1 } },
  evaluations:
    cider === null
      ? []
      : [{ isFinal: true, status: 'succeeded', scores: { CIDEr: cider, Bleu_4: 1 - cider } }],
});

describe('rankSweepRuns', () => {
  it('ranks scored runs best first by the chosen metric and leaves the rest unranked', () => {
    const ranked = rankSweepRuns(
      [run('a', 0.1, 0.5), run('b', 0.2, 0.9), run('c', 0.3, null, 'failed'), run('d', 0.4, 0.7)],
      'CIDEr',
      ['training.learningRate'],
    );
    expect(ranked.map((r) => [r.runId, r.rank])).toEqual([
      ['b', 1],
      ['d', 2],
      ['a', 3],
      ['c', null],
    ]);
    expect(ranked[0].settings).toEqual({ 'training.learningRate': 0.2 });
    expect(rankSweepRuns([run('a', 0.1, 0.5), run('b', 0.2, 0.9)], 'Bleu_4', [])[0].runId).toBe('a');
  });
});
