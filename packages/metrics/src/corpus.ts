import { NgramIndex, Vocabulary, blockSize, splitPythonWhitespace } from './ngrams';

/**
 * One scored set, already tokenized (space-joined strings, as pycocoevalcap hands them to its
 * scorers), turned into numeric form once and shared by BLEU, ROUGE-L and CIDEr-D. Everything is
 * in flat typed arrays indexed by sentence: image i's sentences are its candidate,
 * `firstSentence[i]`, then its references, up to `firstSentence[i + 1]`.
 */
export interface EncodedCorpus {
  /** Image ids, in the order of `refs`' keys (pycocoevalcap's `gts.keys()` order). */
  readonly imageIds: string[];
  /** Per image (and one past the last): index of its first sentence, the candidate. */
  readonly firstSentence: Int32Array;
  /** Per sentence: number of words (split on any whitespace, as `str.split()`). */
  readonly wordCount: Int32Array;
  /** Per sentence: where its n-gram ids start in `grams` (1-grams, then 2-, 3-, 4-grams; see `orderOffset`). */
  readonly gramStart: Int32Array;
  readonly grams: Int32Array;
  /** Per sentence: its tokens split on single spaces (ROUGE-L's `split(" ")`), `tokens[tokenStart ..]`. */
  readonly tokenStart: Int32Array;
  readonly tokenCount: Int32Array;
  readonly tokens: Int32Array;
  /** Number of distinct n-grams: the size of the scorers' scratch arrays. */
  readonly ngramCount: number;
}

/**
 * Pairs of (references, candidate) per image, in scoring order. A caption is the space-joined
 * string pycocoevalcap's scorers receive, or the list of tokens that joins to it.
 */
export interface TokenizedSet {
  readonly imageIds: string[];
  readonly refs: ReadonlyArray<ReadonlyArray<string | readonly string[]>>;
  readonly cands: ReadonlyArray<string | readonly string[]>;
}

/**
 * Tokens that are words as they stand: non-empty and free of white space, so that joining them
 * with spaces and splitting with `split(" ")` or `str.split()` gives them back.
 */
function plainTokens(list: readonly string[]): boolean {
  if (list.length === 0) return false;
  for (const t of list) {
    if (t.length === 0) return false;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (
        c <= 32 ||
        (c >= 0x85 &&
          (c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && OTHER_WHITESPACE.test(t[i]))))
      ) {
        return false;
      }
    }
  }
  return true;
}

/** Python white space other than " ": where `str.split()` and `split(" ")` can differ. */
// eslint-disable-next-line no-control-regex -- U+001C..U+001F are white space to Python, on purpose
const OTHER_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

function grow(a: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed <= a.length) return a;
  const out = new Int32Array(Math.max(needed, a.length * 2));
  out.set(a);
  return out;
}

/**
 * Encodes the set. With `prepare` (the tokenizer), each string caption is tokenized just before
 * it is encoded, so that its tokens are garbage as soon as they are counted; `plain` says that
 * they need no check for white space or empty tokens.
 */
export function encodeCorpus(
  set: TokenizedSet,
  prepare?: (caption: string) => { tokens: readonly string[]; plain: boolean },
): EncodedCorpus {
  const vocabulary = new Vocabulary();
  const index = new NgramIndex();
  const images = set.imageIds.length;
  let sentences = images;
  for (const refs of set.refs) sentences += refs.length;
  const firstSentence = new Int32Array(images + 1);
  const wordCount = new Int32Array(sentences);
  const gramStart = new Int32Array(sentences + 1);
  const tokenStart = new Int32Array(sentences);
  const tokenCount = new Int32Array(sentences);
  let tokens = new Int32Array(sentences * 12);
  let grams = new Int32Array(sentences * 40);
  let tokenEnd = 0;
  let gramEnd = 0;
  let sentence = 0;

  const add = (input: string | readonly string[]): void => {
    let caption = input;
    let plain = false;
    if (prepare !== undefined && typeof input === 'string') {
      const prepared = prepare(input);
      caption = prepared.tokens;
      plain = prepared.plain && prepared.tokens.length > 0;
    }
    let spaceSplit: readonly string[];
    let words: readonly string[];
    let sameSplit: boolean;
    if (typeof caption !== 'string' && (plain || plainTokens(caption))) {
      spaceSplit = caption;
      words = caption;
      sameSplit = true;
    } else {
      const text = typeof caption === 'string' ? caption : caption.join(' ');
      spaceSplit = text.split(' ');
      sameSplit = !OTHER_WHITESPACE.test(text) && !spaceSplit.includes('');
      words = sameSplit ? spaceSplit : splitPythonWhitespace(text);
    }
    // Words, then (when split(" ") differs) the ROUGE-L tokens, ids from the same vocabulary.
    tokens = grow(tokens, tokenEnd + words.length + (sameSplit ? 0 : spaceSplit.length));
    const wordStart = tokenEnd;
    for (const w of words) tokens[tokenEnd++] = vocabulary.idOf(w);
    if (sameSplit) {
      tokenStart[sentence] = wordStart;
    } else {
      tokenStart[sentence] = tokenEnd;
      for (const t of spaceSplit) tokens[tokenEnd++] = vocabulary.idOf(t);
    }
    tokenCount[sentence] = spaceSplit.length;
    wordCount[sentence] = words.length;
    gramStart[sentence] = gramEnd;
    grams = grow(grams, gramEnd + blockSize(words.length));
    gramEnd = index.encodeInto(tokens, wordStart, words.length, grams, gramEnd);
    sentence++;
  };

  for (let i = 0; i < images; i++) {
    firstSentence[i] = sentence;
    add(set.cands[i]);
    for (const r of set.refs[i]) add(r);
  }
  firstSentence[images] = sentence;
  gramStart[sentence] = gramEnd;
  return {
    imageIds: set.imageIds,
    firstSentence,
    wordCount,
    gramStart,
    grams,
    tokenStart,
    tokenCount,
    tokens,
    ngramCount: index.size,
  };
}
