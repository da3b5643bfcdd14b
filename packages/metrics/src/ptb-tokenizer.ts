import { americanize } from './americanize';
import { ABBREVIATION_WORD, PTB_RULES } from './ptb-rules';
import type { RuleAction } from './ptb-rules';

/**
 * coco-caption's tokenization of one caption: CoreNLP 3.4.1's PTBTokenizer run with
 * `-preserveLines -lowerCase`, then removal of the tokens in `COCO_PUNCTUATION` (exact match, after
 * lowercasing, so `-lrb-`/`-rrb-` stay). See README "Tokenizer" for the rules and their source.
 */

/** `ptbtokenizer.py`'s PUNCTUATIONS, compared with the lowercased tokens as the Python does. */
export const COCO_PUNCTUATION: ReadonlySet<string> = new Set([
  "''",
  "'",
  '``',
  '`',
  '-LRB-',
  '-RRB-',
  '-LCB-',
  '-RCB-',
  '.',
  '?',
  '!',
  ',',
  ':',
  '-',
  '--',
  '...',
  ';',
]);

/**
 * Java's lexer reads UTF-16 code units and matches no rule on a surrogate, so every character
 * outside the Basic Multilingual Plane (emoji) is deleted as "untokenizable", splitting the text
 * around it. Each surrogate unit is replaced by U+FFFF, which no positive rule matches either but
 * which negated classes (URLs, e-mail) match as they match a surrogate in Java.
 */
const SURROGATE = /[\uD800-\uDFFF]/g;
const UNTOKENIZABLE = '\uFFFF';

/** Number of captions that needed the rule scan: the scorers' check for tokens with white space. */
let ruleScans = 0;

export function ptbTokenize(text: string): string[] {
  const tokens = lexPtb(text);
  let n = 0;
  for (let i = 0; i < tokens.length; i++) {
    const lower = tokens[i].toLowerCase();
    if (!COCO_PUNCTUATION.has(lower)) tokens[n++] = lower;
  }
  tokens.length = n;
  return tokens;
}

/**
 * `ptbTokenize` for the scorers: the tokens, and whether they are known to be plain words (none
 * empty or holding white space), which holds when the fast paths made all of them.
 */
export function ptbTokenizeChecked(text: string): { tokens: string[]; plain: boolean } {
  const before = ruleScans;
  const tokens = ptbTokenize(text);
  return { tokens, plain: ruleScans === before };
}

/** The tokens joined by single spaces: what pycocoevalcap hands to the scorers for one caption. */
export function ptbTokenizeToString(text: string): string {
  return ptbTokenize(text).join(' ');
}

/** Words that PTBLexer splits in two; the fast path leaves them to the rules. */
const SPLIT_WORDS = new Set(['cannot', 'gonna', 'gotta', 'lemme', 'gimme', 'wanna']);

const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 10;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Position `i` ends a chunk: the end of the text or a space/tab (newlines are spaces by then). */
const endsChunk = (s: string, i: number): boolean => i >= s.length || isBlank(s.charCodeAt(i));

/**
 * PTBLexer's tokens (before lowercasing and punctuation removal), original case. With `fast`
 * (the default), common shapes — plain ASCII words, possessives and `n't`, ASCII numbers, single
 * punctuation marks, `!`/`?` runs, `...`, `"` — are recognized directly where no other rule could
 * take a longer (or an equally long, earlier) match; everything else goes through the full rule
 * scan. `fast = false` runs the rule scan everywhere: the reference the fast paths are tested against.
 */
export function lexPtb(text: string, fast = true): string[] {
  // The fast paths treat "\n" as a space and a surrogate as any other non-ASCII character, so the
  // text the rules need is only made when they first run.
  let original = text;
  let s = text;
  let rulesReady = false;
  const out: string[] = [];
  const length = s.length;
  let p = 0;
  while (p < length) {
    if (fast) {
      const q = fastToken(s, p, out);
      if (q > p) {
        p = q;
        continue;
      }
    }
    if (!rulesReady) {
      // ptbtokenizer.py replaces newlines inside a caption by spaces before the Java sees it.
      original = text.includes('\n') ? text.replaceAll('\n', ' ') : text;
      s = SURROGATE_TEST.test(original) ? original.replace(SURROGATE, UNTOKENIZABLE) : original;
      rulesReady = true;
      ruleScans++;
    }
    const match = longestMatch(s, p);
    if (match === undefined) {
      p++; // untokenizable: deleted, as with the default "firstDelete"
      continue;
    }
    const raw = original.slice(p, p + match.tokenLength);
    if (match.action === 'cannot' || match.action === 'assimilation') {
      const keep = match.action === 'cannot' ? 3 : raw.length - 2;
      out.push(raw.slice(0, keep));
      p += keep;
      continue;
    }
    const token = applyAction(match.action, raw);
    if (token !== undefined) out.push(token);
    p += match.tokenLength;
  }
  return out;
}

const SURROGATE_TEST = /[\uD800-\uDFFF]/;

/**
 * The fast paths: pushes the token(s) at `p` and returns the position after them, or returns `p`
 * when the full rule scan must decide. Each case below says why no other rule can win there; the
 * randomized differential test in `ptb-tokenizer.test.ts` compares this with the rule scan.
 */
function fastToken(s: string, p: number, out: string[]): number {
  const length = s.length;
  const c = s.charCodeAt(p);
  if (isAsciiLetter(c)) {
    let e = p + 1;
    while (e < length && isAsciiLetter(s.charCodeAt(e))) e++;
    const next = e < length ? s.charCodeAt(e) : -1;
    // Every rule that is longer than {WORD} on a plain ASCII word needs, right after it, a letter
    // outside ASCII, a digit, an apostrophe, or one of & . - _ / \\ $ + @ : # % * ~ (URLs, e-mail,
    // hyphenated and slashed things, S&P, US$, abbreviations), or, for ABBREV4/SPACE, a space
    // (equal text then). E-mail and HTHING also run through , ; ! ? but not past a space.
    let ok: boolean;
    if (next === -1 || isBlank(next)) ok = true;
    else if (next === 34 /* " */ || next === 40 /* ( */ || next === 41 /* ) */) ok = true;
    else if (next === 44 /* , */ || next === 59 /* ; */ || next === 33 /* ! */ || next === 63 /* ? */)
      ok = endsChunk(s, e + 1);
    else if (next === 46 /* . */) {
      // Before a sentence-final period, unless an abbreviation rule takes the word with its period.
      // Before "..", likewise, unless HTHING ("word...-x") or EMAIL ("word..@x") runs on.
      ok =
        (endsChunk(s, e + 1) || (s.charCodeAt(e + 1) === 46 && !hthingOrEmailAhead(s, e))) &&
        !ABBREVIATION_WORD.test(s.slice(p, e));
    } else if (next === 39 /* ' */ && e - p >= 2) {
      return apostropheWord(s, p, e, out);
    } else ok = false;
    if (!ok) return p;
    const word = s.slice(p, e);
    // "cannot", "gonna", ...: the earlier rules tie with {WORD} and split them.
    if (e - p >= 5 && e - p <= 6 && SPLIT_WORDS.has(word.toLowerCase())) return p;
    out.push(americanize(word));
    return e;
  }
  if (isBlank(c)) {
    let e = p + 1;
    while (e < length && isBlank(s.charCodeAt(e))) e++;
    return e;
  }
  if (isDigit(c)) {
    let e = p + 1;
    while (e < length && isDigit(s.charCodeAt(e))) e++;
    const next = e < length ? s.charCodeAt(e) : -1;
    // {NUMBER} (THING ties later). Longer rules need a letter, a digit elsewhere, - / \\ . , : @ ...
    // right after the digits, or, for FRAC and PHONE, a single space and then a digit.
    let ok: boolean;
    if (next === -1 || next === 9) ok = true;
    else if (next === 32)
      ok = !(e + 1 < length && (isDigit(s.charCodeAt(e + 1)) || s.charCodeAt(e + 1) > 127));
    else if (next === 34 || next === 40 || next === 41) ok = true;
    else if (next === 44 || next === 46 || next === 59 || next === 33 || next === 63)
      ok = endsChunk(s, e + 1);
    else ok = false;
    if (!ok) return p;
    out.push(s.slice(p, e));
    return e;
  }
  switch (c) {
    case 44: // ,
    case 46: // .
      if (isSinglePunctuation(s, p)) {
        out.push(c === 44 ? ',' : '.');
        return p + 1;
      }
      if (c === 46 && p + 2 < length && s.charCodeAt(p + 1) === 46 && s.charCodeAt(p + 2) === 46) {
        // LDOTS \.{3,5}: nothing else starting with "." gets past the second one.
        let e = p + 3;
        while (e < length && e < p + 5 && s.charCodeAt(e) === 46) e++;
        out.push('...');
        return e;
      }
      return p;
    case 33: // !
    case 63: {
      // ? — [?!]+ is the only rule starting with either.
      let e = p + 1;
      while (e < length && (s.charCodeAt(e) === 33 || s.charCodeAt(e) === 63)) e++;
      out.push(s.slice(p, e));
      return e;
    }
    case 34: {
      // " — DBLQUOT, a left quote before [A-Za-z0-9$], a right quote otherwise.
      const next = p + 1 < length ? s.charCodeAt(p + 1) : -1;
      out.push(isAsciiLetter(next) || isDigit(next) || next === 36 ? '``' : "''");
      return p + 1;
    }
    case 40: // ( — only a phone number like "(800) 555-1212" starts with "(" and is longer.
      if (p + 1 < length && isDigit(s.charCodeAt(p + 1))) return p;
      out.push('-LRB-');
      return p + 1;
    case 41:
      out.push('-RRB-');
      return p + 1;
    case 59: // ;
      out.push(';');
      return p + 1;
  }
  return p;
}

/**
 * Whether HTHING (`[A-Za-z0-9.,\u00AD]*` then "-") or EMAIL (no `[ \t\n\f\r"<>|()\u00A0]`
 * before an "@") could continue a word from position `e`.
 */
function hthingOrEmailAhead(s: string, e: number): boolean {
  let i = e;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(isAsciiLetter(c) || isDigit(c) || c === 46 || c === 44 || c === 0xad)) break;
  }
  if (i < s.length && s.charCodeAt(i) === 45) return true;
  for (i = e; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 64) return true;
    if (
      c === 32 ||
      c === 9 ||
      c === 10 ||
      c === 12 ||
      c === 13 ||
      c === 34 ||
      c === 60 ||
      c === 62 ||
      c === 124 ||
      c === 40 ||
      c === 41 ||
      c === 0xa0
    ) {
      return false;
    }
  }
  return false;
}

/**
 * An ASCII word (two letters or more) followed by an apostrophe: `'s 'm 'd 'll 're 've` or, for a
 * word ending in "n", `n't`, then a space or the end. WORD/REDAUX (resp. SWORD/SREDAUX) is the
 * longest match; APOWORD's "vowel ' letter" form can only tie with it, later in the rule order.
 */
function apostropheWord(s: string, p: number, e: number, out: string[]): number {
  const length = s.length;
  const a = e + 1 < length ? s.charCodeAt(e + 1) | 32 : -1;
  const b = e + 2 < length ? s.charCodeAt(e + 2) | 32 : -1;
  let suffix = 0;
  if ((a === 115 /* s */ || a === 109 /* m */ || a === 100) /* d */ && endsChunk(s, e + 2)) suffix = 1;
  else if (
    ((a === 108 && b === 108) || (a === 114 && b === 101) || (a === 118 && b === 101)) &&
    e + 3 < length &&
    isBlank(s.charCodeAt(e + 3))
  ) {
    // 'll 're 've before a space (at the very end, "'/letter" ties with REDAUX and comes first).
    suffix = 2;
  }
  if (suffix > 0) {
    const word = s.slice(p, e);
    if (SPLIT_WORDS.has(word.toLowerCase())) return p;
    out.push(americanize(word), s.slice(e, e + 1 + suffix));
    return e + 1 + suffix;
  }
  const n = s.charCodeAt(e - 1) | 32;
  if (
    a === 116 /* t */ &&
    n === 110 /* n */ &&
    (s.charCodeAt(e - 2) | 32) !== 110 &&
    e - p >= 3 &&
    endsChunk(s, e + 2)
  ) {
    // SWORD/SREDAUX: the word without its "n" (soft hyphens only, no americanize), then SREDAUX "n't".
    out.push(s.slice(p, e - 1), s.slice(e - 1, e + 2));
    return e + 2;
  }
  return p;
}

/**
 * A "," or "." that can only be itself: not the start of a number (",5", ".5"), nor of an
 * ellipsis ("..", ". . .").
 */
function isSinglePunctuation(s: string, p: number): boolean {
  if (p + 1 === s.length) return true;
  const next = s.charCodeAt(p + 1);
  if (isDigit(next) || next === 46 || next > 127) return false;
  if (s.charCodeAt(p) === 44) return true;
  return !(isBlank(next) || next === 0xa0) || !(p + 2 < s.length && s.charCodeAt(p + 2) === 46);
}

interface Match {
  action: RuleAction;
  tokenLength: number;
}

/** JFlex's choice: the longest match (trailing context included), the earliest rule on a tie. */
function longestMatch(s: string, p: number): Match | undefined {
  let bestLength = 0;
  let best: Match | undefined;
  for (const rule of PTB_RULES) {
    for (const re of rule.patterns) {
      re.lastIndex = p;
      const m = re.exec(s);
      if (m === null || m[0].length <= bestLength) continue;
      bestLength = m[0].length;
      best = { action: rule.action, tokenLength: m[1] !== undefined ? m[1].length : m[0].length };
    }
  }
  return best;
}

function applyAction(action: RuleAction, raw: string): string | undefined {
  switch (action) {
    case 'skip':
      return undefined;
    case 'token':
    case 'cannot':
    case 'assimilation':
      return raw;
    case 'word':
      return americanize(removeSoftHyphens(raw));
    case 'softHyphens':
      return removeSoftHyphens(raw);
    case 'quoteLeft':
      return latexQuotes(raw, true);
    case 'quoteRight':
      return latexQuotes(raw, false);
    case 'escapeSlash':
      return escapeWithBackslash(raw, '/');
    case 'escapeSlashAsterisk':
      return escapeWithBackslash(escapeWithBackslash(raw, '/'), '*');
    case 'escapeAsterisk':
      return escapeWithBackslash(raw, '*');
    case 'fraction':
      return escapeWithBackslash(raw, '/').replaceAll(' ', '\u00A0');
    case 'fractionChar':
      // PTBLexer maps U+2153 twice (the second was meant for U+2154), so ⅔ and the rest stay as they are.
      return raw
        .replace('\u00BC', '1\\/4')
        .replace('\u00BD', '1\\/2')
        .replace('\u00BE', '3\\/4')
        .replace('\u2153', '1\\/3');
    case 'currency':
      return raw
        .replace('\u00A2', 'cents')
        .replace('\u00A3', '#')
        .replace(/[\u0080\u00A4\u20A0\u20AC]/, '$');
    case 'amp':
      return raw.replace(/&amp;/gi, '&');
    case 'dash':
      return '--';
    case 'hyphens':
      return raw.length >= 3 && raw.length <= 4 ? '--' : raw;
    case 'ellipsis':
      return '...';
    case 'phone':
      return raw.replaceAll(' ', '\u00A0').replaceAll('(', '-LRB-').replaceAll(')', '-RRB-');
    case 'nbsp':
      return raw.replaceAll(' ', '\u00A0');
    case 'lrb':
      return '-LRB-';
    case 'rrb':
      return '-RRB-';
    case 'lcb':
      return '-LCB-';
    case 'rcb':
      return '-RCB-';
  }
}

/** Soft hyphens (U+00AD) are line-breaking hints, not text; a token of only soft hyphens becomes "-". */
function removeSoftHyphens(s: string): string {
  if (!s.includes('\u00AD')) return s;
  const out = s.replaceAll('\u00AD', '');
  return out.length === 0 ? '-' : out;
}

/** PTBLexer's `delimit`: a backslash before each `c` not already preceded by one. */
function escapeWithBackslash(s: string, c: string): string {
  if (!s.includes(c)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === c && (i === 0 || s[i - 1] !== '\\')) out += '\\';
    out += s[i];
  }
  return out;
}

/** PTBLexer's `latexQuotes`: ASCII quotes by their guessed side, curly quotes by their own. */
function latexQuotes(s: string, probablyLeft: boolean): string {
  let out = probablyLeft
    ? s.replace(/&apos;|'/g, '`').replace(/"|&quot;/g, '``')
    : s.replace(/&apos;|'/g, "'").replace(/"|&quot;/g, "''");
  out = out.replace(/[\u0091\u2018\u201B\u2039]/g, '`').replace(/[\u0092\u2019\u203A]/g, "'");
  return out.replace(/[\u0093\u201C\u00AB]/g, '``').replace(/[\u0094\u201D\u00BB]/g, "''");
}
