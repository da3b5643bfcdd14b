/**
 * Numeric ids for words and n-grams, so that the scorers count with typed arrays instead of
 * string-keyed maps. An n-gram id is found from its prefix's id and its last word's id, so every
 * n-gram of a sentence costs one integer-keyed map look-up.
 */

/** Longest n-gram the scorers use (BLEU-4, CIDEr-D n = 1..4). */
export const MAX_N = 4;

/** Number of n-gram ids (orders 1..MAX_N) of a sentence of `length` words. */
export function blockSize(length: number): number {
  let n = 0;
  for (let k = 0; k < MAX_N; k++) if (length > k) n += length - k;
  return n;
}

/** Offset of order k+1's ids (k = 0..MAX_N-1) in the block of a sentence of `length` words. */
export function orderOffset(length: number, k: number): number {
  let n = 0;
  for (let j = 0; j < k; j++) if (length > j) n += length - j;
  return n;
}

/**
 * Python's `str.split()` with no argument splits on these characters (`str.isspace()`), which is
 * what `bleu_scorer.py` and `cider_scorer.py` do; JavaScript's `\s` differs (it has U+FEFF and
 * lacks U+001C–U+001F and U+0085).
 */
// eslint-disable-next-line no-control-regex -- U+001C..U+001F are white space to Python, on purpose
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

/**
 * Dense ids for n-grams of every order. An n-gram is the pair (id of its prefix, id of its last
 * word), unigrams having prefix -1; pairs are kept in an open-addressing hash table of typed arrays,
 * which is several times faster than a Map with (non-small-integer) number keys.
 */
export class NgramIndex {
  private prefixes = new Int32Array(1 << 16);
  private words = new Int32Array(1 << 16);
  /** Id + 1 per slot; 0 marks an empty slot. */
  private slots = new Int32Array(1 << 16);
  private count = 0;

  /** Number of distinct n-grams seen so far: the size scratch arrays need. */
  get size(): number {
    return this.count;
  }

  /**
   * Writes the n-gram ids of the sentence `words[from .. from + length)` to `out` from `at`: its
   * 1-grams, then 2-grams, 3-grams and 4-grams (`blockSize(length)` ids in all); returns `at` + that.
   */
  encodeInto(words: Int32Array, from: number, length: number, out: Int32Array, at: number): number {
    // Order k's ids follow order k-1's, so the prefix of the i-th k-gram is at `previous + i`.
    let previous = at;
    for (let i = 0; i < length; i++) out[at++] = this.idFor(-1, words[from + i]);
    for (let k = 2; k <= MAX_N; k++) {
      const n = length - k + 1;
      const start = at;
      for (let i = 0; i < n; i++) out[at++] = this.idFor(out[previous + i], words[from + i + k - 1]);
      previous = start;
    }
    return at;
  }

  private idFor(prefix: number, word: number): number {
    const mask = this.slots.length - 1;
    let slot = (Math.imul(prefix, 0x9e3779b1) ^ Math.imul(word, 0x85ebca77)) & mask;
    for (;;) {
      const stored = this.slots[slot];
      if (stored === 0) break;
      if (this.prefixes[slot] === prefix && this.words[slot] === word) return stored - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.count++;
    this.slots[slot] = id + 1;
    this.prefixes[slot] = prefix;
    this.words[slot] = word;
    if (this.count * 2 > this.slots.length) this.grow();
    return id;
  }

  private grow(): void {
    const { prefixes, words, slots } = this;
    const capacity = slots.length * 2;
    this.prefixes = new Int32Array(capacity);
    this.words = new Int32Array(capacity);
    this.slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === 0) continue;
      let slot = (Math.imul(prefixes[i], 0x9e3779b1) ^ Math.imul(words[i], 0x85ebca77)) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = slots[i];
      this.prefixes[slot] = prefixes[i];
      this.words[slot] = words[i];
    }
  }
}
