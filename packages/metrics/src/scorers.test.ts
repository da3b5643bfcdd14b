import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bleu } from './bleu';
import { encodeCorpus } from './corpus';
import { scoreCaptions } from './score-captions';

/** Vectors produced by pycocoevalcap's own bleu/rouge/cider code (see README, "Proving it matches"). */
interface VectorCase {
  name: string;
  refs: Record<string, string[]>;
  cands: Record<string, string>;
  expected: {
    corpus: Record<string, number>;
    perImage: Record<string, Record<string, number>>;
  };
}
const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/pycocoevalcap-scores.json', import.meta.url), 'utf8'),
) as { cases: VectorCase[] };

const TOLERANCE = 1e-6;

function expectClose(actual: number, expected: number, what: string): void {
  if (!(Math.abs(actual - expected) <= TOLERANCE)) {
    throw new Error(`${what}: ${actual} differs from pycocoevalcap's ${expected}`);
  }
}

describe('scores agree with pycocoevalcap to 1e-6 on pre-tokenized input', () => {
  for (const c of vectors.cases) {
    it(c.name, () => {
      const scores = scoreCaptions({ refs: c.refs, cands: c.cands }, { tokenize: false });
      for (const [metric, value] of Object.entries(c.expected.corpus)) {
        expectClose(scores.corpus[metric as keyof typeof scores.corpus], value, `corpus ${metric}`);
      }
      const ids = Object.keys(c.refs);
      const perImageBleu = bleu(
        encodeCorpus({
          imageIds: ids,
          refs: ids.map((id) => c.refs[id]),
          cands: ids.map((id) => c.cands[id]),
        }),
      ).perImage;
      ids.forEach((id, i) => {
        const expected = c.expected.perImage[id];
        expectClose(scores.perImage[id].Bleu_4, expected.Bleu_4, `${id} Bleu_4`);
        expectClose(scores.perImage[id].ROUGE_L, expected.ROUGE_L, `${id} ROUGE_L`);
        expectClose(scores.perImage[id].CIDEr, expected.CIDEr, `${id} CIDEr`);
        for (let k = 0; k < 4; k++)
          expectClose(perImageBleu[k][i], expected[`Bleu_${k + 1}`], `${id} Bleu_${k + 1}`);
      });
    });
  }

  it('covers the hand-checked and generated cases', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(16);
  });
});
