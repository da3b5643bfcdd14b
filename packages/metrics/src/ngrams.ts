/**
 * Numeric ids for words and n-grams, so that the scorers count with typed arrays instead of
 * string-keyed maps. An n-gram id is found from its prefix's id and its last word's id, so every
 * n-gram of a sentence costs one integer-keyed map look-up.
 */

/** Longest n-gram the scorers use (BLEU-4, CIDEr-D n = 1..4). */
export const MAX_N = 4;

/**
 * Python's `str.split()` with no argument splits on these characters (`str.isspace()`), which is
 * what `bleu_scorer.py` and `cider_scorer.py` do; JavaScript's `\s` differs (it has U+FEFF and
 * lacks U+001C–U+001F and U+0085).
 */
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** `s.split()` as Python computes it: runs of whitespace separate words, no empty words. */
export function splitPythonWhitespace(s: string): string[] {
  const parts = s.split(PYTHON_WHITESPACE);
  let start = 0;
  let end = parts.length;
  if (end > 0 && parts[0] === '') start = 1;
  if (end > start && parts[end - 1] === '') end -= 1;
  return start === 0 && end === parts.length ? parts : parts.slice(start, end);
}

/** Word ids: one per distinct string, dense from 0. */
export class Vocabulary {
  private readonly ids = new Map<string, number>();

  idOf(word: string): number {
    let id = this.ids.get(word);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(word, id);
    }
    return id;
  }

  encode(words: readonly string[]): Int32Array {
    const out = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = this.idOf(words[i]);
    return out;
  }

  get size(): number {
    return this.ids.size;
  }
}

/** Key space reserved for a word id inside an n-gram key; `prefix * WORD_SPAN + word` stays below 2^53. */
const WORD_SPAN = 2 ** 22;

/** The n-grams of one sentence: `byOrder[k]` holds the ids of its (k+1)-grams in sentence order. */
export interface SentenceNgrams {
  readonly length: number;
  readonly byOrder: Int32Array[];
}

/** Dense ids for n-grams of every order; unigram ids are allocated alongside longer ones. */
export class NgramIndex {
  private readonly keys = new Map<number, number>();
  private count = 0;

  /** Number of distinct n-grams seen so far: the size scratch arrays need. */
  get size(): number {
    return this.count;
  }

  sentence(words: Int32Array): SentenceNgrams {
    for (let i = 0; i < words.length; i++) {
      if (words[i] >= WORD_SPAN) throw new RangeError(`vocabulary larger than ${WORD_SPAN} words`);
    }
    const byOrder: Int32Array[] = [];
    // Order 1: the key is the word id itself, offset so it cannot collide with longer n-grams' keys.
    let previous = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) previous[i] = this.idFor(-1 - words[i]);
    byOrder.push(previous);
    for (let k = 2; k <= MAX_N; k++) {
      const n = Math.max(0, words.length - k + 1);
      const current = new Int32Array(n);
      for (let i = 0; i < n; i++) current[i] = this.idFor(previous[i] * WORD_SPAN + words[i + k - 1]);
      byOrder.push(current);
      previous = current;
    }
    return { length: words.length, byOrder };
  }

  private idFor(key: number): number {
    let id = this.keys.get(key);
    if (id === undefined) {
      id = this.count++;
      this.keys.set(key, id);
    }
    return id;
  }
}
