import { ptbTokenize } from '@captioner/metrics';
import { parseShapesCaption } from './grounding';
import { GRID } from './scene';
import type { Scene } from './scene-record';

/**
 * Where each word of a shapes caption looks: the scene cell (row * GRID + column) of the object the word is
 * about, or -1. It is the target of supervised attention (`training.attentionSupervision`): the synthesizer
 * knows every scene, so each word can be tied to the cell that shows what it says. Rules (package README,
 * "Attention cells"):
 * - a mention (`[size] [colour] kind`) and the article right before it: the mentioned object's cell;
 * - a relation phrase (`left of`, `above`…): the cell of the object it relates the subject to, the mention
 *   that follows; so the decoder chooses the object when it states the relation;
 * - a position phrase after a mention (`on the left`, `at the top`, `in the middle`): the mention's cell;
 * - every other word (`two shapes with`, `and`, `with`), and any mention the scene does not hold: -1.
 */
export function captionWordCells(caption: string, scene: Scene): Int8Array {
  const tokens = ptbTokenize(caption);
  const cells = new Int8Array(tokens.length).fill(-1);
  const parsed = parseShapesCaption(caption);
  const cellOf = parsed.mentions.map((m) => {
    const matches = scene.objects.filter(
      (o) => o.kind === m.kind && (!m.color || o.color === m.color) && (!m.size || o.size === m.size),
    );
    return matches.length === 1 ? matches[0].row * GRID + matches[0].col : -1;
  });
  parsed.mentions.forEach((m, k) => {
    const from = m.start > 0 && ARTICLES.has(tokens[m.start - 1]) ? m.start - 1 : m.start;
    cells.fill(cellOf[k], from, m.end);
    for (let i = m.end; i < tokens.length && POSITION_WORDS.has(tokens[i]); i++) cells[i] = cellOf[k];
  });
  for (const r of parsed.relations) {
    const subject = parsed.mentions[r.subject];
    const object = parsed.mentions[r.object];
    const articleOfObject = ARTICLES.has(tokens[object.start - 1]) ? 1 : 0;
    cells.fill(cellOf[r.object], subject.end, object.start - articleOfObject);
  }
  return cells;
}

const ARTICLES: ReadonlySet<string> = new Set(['a', 'an', 'the', 'one']);
/** Words of the position phrases of `captions.ts` (`on the left`, `at the bottom`, `in the middle`). */
const POSITION_WORDS: ReadonlySet<string> = new Set([
  'on',
  'at',
  'in',
  'the',
  'left',
  'right',
  'top',
  'bottom',
  'middle',
]);

/**
 * The word cells of encoded captions, [captions, length] aligned with `Vocabulary.encodeBatch` (`<start>`
 * at position 0, words from 1, clipped to length - 2): -1 at `<start>`, `<end>` and padding.
 */
export function encodeAttentionCells(
  captions: readonly string[],
  scenes: readonly Scene[],
  length: number,
): Int8Array {
  const out = new Int8Array(captions.length * length).fill(-1);
  captions.forEach((caption, row) => {
    const words = captionWordCells(caption, scenes[row]).subarray(0, length - 2);
    out.set(words, row * length + 1);
  });
  return out;
}
