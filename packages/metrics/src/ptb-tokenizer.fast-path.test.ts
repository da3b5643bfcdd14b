import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@captioner/core';
import { lexPtb, ptbTokenize } from './ptb-tokenizer';

/**
 * Differential test: the tokenizer's fast paths (`lexPtb(text)`) against the full PTBLexer rule
 * scan at every position (`lexPtb(text, false)`), on generated captions that put words, numbers,
 * contractions, punctuation, quotes, brackets, non-ASCII text and white space next to one another.
 */

/** mulberry32, so that a failure can be reproduced from its seed. */
const generator = mulberry32;

const WORDS = [
  'a',
  'A',
  'man',
  'Man',
  'MAN',
  'dog',
  'dogs',
  'the',
  'is',
  'isn',
  'can',
  'don',
  'won',
  'ca',
  'he',
  'we',
  'they',
  'you',
  'I',
  'grey',
  'Grey',
  'colours',
  'colour',
  'theatre',
  'centre',
  'haematology',
  'programme',
  'glamour',
  'neighbour',
  'favourite',
  'cannot',
  'Cannot',
  'gonna',
  'Gotta',
  'wanna',
  'lemme',
  'gimme',
  'dunno',
  'tis',
  'twas',
  'Mr',
  'mr',
  'Mrs',
  'Dr',
  'St',
  'etc',
  'al',
  'vs',
  'Jan',
  'Sept',
  'Inc',
  'Co',
  'No',
  'ft',
  'sq',
  'Calif',
  'Mass',
  'Wash',
  'p',
  'm',
  'U',
  'S',
  'a',
  'k',
  'Ph',
  'D',
  'Jr',
  'Alex',
  'cf',
  'Mfg',
  'http',
  'https',
  'www',
  'example',
  'com',
  'org',
  'net',
  'edu',
  'cont',
  'd',
  'Dunkin',
  'somethin',
  'ol',
  'nor',
  'easter',
  'c',
  'mon',
  'y',
  'all',
  'Jr',
  'Bros',
  'Rd',
  'Esq',
  'Sr',
  'Blvd',
  'o',
  'clock',
  'O',
  'Neil',
  'rock',
  'n',
  'em',
  'til',
  'cause',
  'Cap',
  'est',
  'pro',
  'anti',
  'AT',
  'T',
  'amp',
  'quot',
  'apos',
  'x',
  'ray',
  'e',
  'well',
  'known',
  'nbsp',
  'lt',
  'gt',
  'mdash',
  'US',
  'LRB',
  'RRB',
];
const NUMBERS = [
  '1/2',
  '3\\/4',
  '2',
  '5',
  '12',
  '100',
  '1999',
  '0',
  '3',
  '555',
  '1212',
  '800',
  '07',
  '0x7f',
  '25',
  '2014',
  '30',
];
const PUNCT = [
  ',',
  '.',
  '..',
  '...',
  '....',
  '......',
  ';',
  ':',
  '!',
  '?',
  '!!',
  '?!',
  '"',
  "'",
  "''",
  '`',
  '``',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '-',
  '--',
  '---',
  '_',
  '/',
  '\\',
  '\\/',
  '$',
  '+',
  '@',
  '&',
  '#',
  '%',
  '*',
  '~',
  '=',
  '<',
  '>',
  '|',
  '^',
  '&amp;',
  '&quot;',
  "'s",
  "'S",
  "'m",
  "'d",
  "'ll",
  "'LL",
  "'re",
  "'ve",
  "'t",
  "n't",
  "N'T",
  "'n'",
  "'em",
  "'90s",
  "'99",
  '. .',
  '. . .',
];
const OTHER = [
  'é',
  'café',
  'Zürich',
  '’',
  '‘',
  '“',
  '”',
  '«',
  '»',
  '\u00A0',
  '\u2009',
  '\u3000',
  '½',
  '€',
  '£',
  '¢',
  '日本',
  '🐶',
  '\u00AD',
  '٣',
  '٣/٤',
  '٣/4',
  '…',
  '—',
  '–',
  '\u2028',
  '\r',
  '\f',
  '\v',
  '\u0085',
  '\u200B',
  '\uFEFF',
  '©',
  '°',
  '¿',
  '¡',
  'ß',
  'Ω',
  'ñ',
];
const SEPARATORS = [' ', ' ', ' ', ' ', '', '', '  ', '\t', '\n', '\u00A0'];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)];
}

/** A caption of 1-14 pieces with random separators (often none, so that pieces run together). */
function caption(random: () => number): string {
  const pieces = 1 + Math.floor(random() * 14);
  let out = '';
  for (let i = 0; i < pieces; i++) {
    const r = random();
    const list = r < 0.5 ? WORDS : r < 0.62 ? NUMBERS : r < 0.9 ? PUNCT : OTHER;
    out += pick(random, list) + pick(random, SEPARATORS);
  }
  return out;
}

/** Random characters from a small alphabet that is dense in the characters the rules look at. */
const ALPHABET = [
  ...'aAbnNsStTlLdDmMoOyYeErRvVxXhpw0123456789 .,;:!?"\'`()[]{}-_/\\$+@&#%*~=<>|^\t\n',
].concat(['é', '’', '\u00A0', '½', '٣', '\u00AD', '🐶']);
function characters(random: () => number): string {
  const n = 1 + Math.floor(random() * 16);
  let out = '';
  for (let i = 0; i < n; i++) out += pick(random, ALPHABET);
  return out;
}

function expectSameTokens(generate: (random: () => number) => string, seed: number, count: number): void {
  const random = generator(seed);
  for (let i = 0; i < count; i++) {
    const text = generate(random);
    const fast = lexPtb(text);
    const slow = lexPtb(text, false);
    if (fast.length !== slow.length || fast.some((t, j) => t !== slow[j])) {
      // toEqual shows the difference; the input is in the message.
      expect({ text, tokens: fast }).toEqual({ text, tokens: slow });
    }
  }
}

describe('tokenizer fast paths agree with the full rule scan', () => {
  it('on generated captions (words, numbers, contractions, punctuation, non-ASCII, white space)', () => {
    expectSameTokens(caption, 1, 6000);
  });

  it('on random strings of rule-relevant characters', () => {
    expectSameTokens(characters, 2, 8000);
  });

  it('on the benchmark captions', async () => {
    const { syntheticCaptionSet } = await import('./bench');
    const set = syntheticCaptionSet(300, 5, 11);
    for (const text of [...Object.values(set.cands), ...Object.values(set.refs).flat()]) {
      expect(lexPtb(text)).toEqual(lexPtb(text, false));
    }
  });

  it('keeps the period of every ABBREV1 word, Jr. and Rd. included (the fast path once dropped it)', () => {
    expect(ptbTokenize('Smith Jr. and Main Rd. here, Bros.')).toEqual([
      'smith',
      'jr.',
      'and',
      'main',
      'rd.',
      'here',
      'bros.',
    ]);
  });
});
