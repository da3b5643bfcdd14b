import { describe, expect, it } from 'vitest';
import { ptbTokenize, ptbTokenizeToString } from './ptb-tokenizer';

/**
 * Input -> tokens, hand-derived from PTBLexer.flex's rules and coco-caption's punctuation list
 * (Java cannot run here; see README "Tokenizer"). Tokens are lowercased and `'' ' `` ` -LRB- -RRB-
 * -LCB- -RCB- . ? ! , : - -- ... ;` are removed by exact match.
 */
const CASES: ReadonlyArray<readonly [string, string]> = [
  ['A man riding a horse on a beach.', 'a man riding a horse on a beach'],
  ['  Two   dogs\tplaying  ', 'two dogs playing'],
  ['', ''],
  ['...', ''],
  // Contractions and possessives.
  ["The dog isn't happy.", "the dog is n't happy"],
  ["A dog's toy", "a dog 's toy"],
  ["Don't touch the cat's tail", "do n't touch the cat 's tail"],
  [
    "I'm sure they're here and we've gone, he'll see, she'd go",
    "i 'm sure they 're here and we 've gone he 'll see she 'd go",
  ],
  ['The dog’s bowl isn’t full', "the dog 's bowl is n't full"],
  ["Dogs' toys", 'dogs toys'],
  ["can't won't", "ca n't wo n't"],
  // Assimilations.
  ['A man cannot swim', 'a man can not swim'],
  ['Cannot', 'can not'],
  ["They're gonna eat, wanna play", "they 're gon na eat wan na play"],
  // Words with apostrophes kept whole.
  ["o'clock rock 'n' roll y'all", "o'clock rock 'n' roll y' all"],
  ["O'Neil's", "o'neil 's"],
  // Quotes become ` `` ' '' and are removed.
  ['A sign that says "stop"', 'a sign that says stop'],
  ["The 'best' pizza", 'the best pizza'],
  ['“Curly” and ‘single’ quotes', 'curly and single quotes'],
  // Brackets become -LRB- -RRB- -LCB- -RCB-; lowercased, they no longer match the removal list.
  ['A cat (black) on a mat', 'a cat -lrb- black -rrb- on a mat'],
  ['A cat [black] {white}', 'a cat -lrb- black -rrb- -lcb- white -rcb-'],
  // Something that looks like an SGML tag is one token.
  ['A <b>bold</b> dog', 'a <b> bold </b> dog'],
  // Punctuation: single marks removed, repeated ones kept.
  ['Wow!! Really?! Yes! No? Ok!!!', 'wow !! really ?! yes no ok !!!'],
  ['Bread, butter; jam: tea.', 'bread butter jam tea'],
  ['Wait... what. . . and…', 'wait what and'],
  // Hyphens and dashes.
  ['A well-known dog-friendly park', 'a well-known dog-friendly park'],
  ['A dog - a cat -- a bird --- a fish', 'a dog a cat a bird a fish'],
  ['Dogs—cats–birds', 'dogs cats birds'],
  ['An x-ray of a 3-year-old', 'an x-ray of a 3-year-old'],
  // Numbers.
  ['3.5 inches, 1,000 people at 12:30', '3.5 inches 1,000 people at 12:30'],
  ['Slice 1/2 of a ½ pie on 12/25/2014', 'slice 1\\/2 of a 1\\/2 pie on 12\\/25\\/2014'],
  ['Price: $5 or €3 or £2', 'price $ 5 or $ 3 or # 2'],
  ['Room 101 is -5 degrees', 'room 101 is -5 degrees'],
  // Abbreviations keep their period.
  ['Mr. Smith and Dr. Who at 5 p.m. in the U.S.', 'mr. smith and dr. who at 5 p.m. in the u.s.'],
  ['Dogs, cats, etc. and vitamin c.', 'dogs cats etc. and vitamin c.'],
  ['St. Louis', 'st. louis'],
  // British spelling Americanized on plain words (PTBLexer americanize).
  ['A grey cat of many colours', 'a gray cat of many colors'],
  ['The theatre centre', 'the theater center'],
  ['grey-haired man', 'grey-haired man'],
  // Ampersands, slashes, asterisks, symbols.
  ['Salt & pepper, AT&T', 'salt & pepper at&t'],
  ['Fish &amp; chips', 'fish & chips'],
  ['Salt/pepper and a * star', 'salt\\/pepper and a \\* star'],
  ['100% sure, 5 + 3 = 8', '100 % sure 5 + 3 = 8'],
  // Non-ASCII letters stay in words; characters outside the BMP (emoji) are deleted.
  ['Un café crème à Zürich', 'un café crème à zürich'],
  ['Crème brûlée naïve façade', 'crème brûlée naïve façade'],
  ['A dog 🐶 on a sofa 😀!', 'a dog on a sofa'],
  ['hot🔥dog', 'hot dog'],
  ['日本の猫', '日本の猫'],
  ['A ☺ face', 'a ☺ face'],
  // URLs, e-mail, hashtags.
  ['Visit www.example.com now', 'visit www.example.com now'],
  ['See http://example.org/a/b.', 'see http:\\/\\/example.org\\/a\\/b'],
  ['#sunset @friend', '#sunset @friend'],
  // Newlines inside a caption become spaces.
  ['A dog\non a couch', 'a dog on a couch'],
];

describe('ptbTokenize reproduces coco-caption tokenization', () => {
  for (const [input, expected] of CASES) {
    it(JSON.stringify(input), () => {
      expect(ptbTokenizeToString(input)).toBe(expected);
    });
  }

  it('keeps spaces inside phone numbers as U+00A0 (one token for ROUGE, split for BLEU)', () => {
    expect(ptbTokenize('Call (800) 555-1212 now')).toEqual(['call', '-lrb-800-rrb-\u00a0555-1212', 'now']);
  });

  it('returns an empty list for text with no tokens', () => {
    expect(ptbTokenize(' . , ; ')).toEqual([]);
  });
});
