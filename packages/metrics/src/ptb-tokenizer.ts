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
  "''", "'", '``', '`', '-LRB-', '-RRB-', '-LCB-', '-RCB-', '.', '?', '!', ',', ':', '-', '--', '...', ';',
]);

/**
 * Java's lexer reads UTF-16 code units and matches no rule on a surrogate, so every character
 * outside the Basic Multilingual Plane (emoji) is deleted as "untokenizable", splitting the text
 * around it. Each surrogate unit is replaced by U+FFFF, which no positive rule matches either but
 * which negated classes (URLs, e-mail) match as they match a surrogate in Java.
 */
const SURROGATE = /[\uD800-\uDFFF]/g;
const UNTOKENIZABLE = '\uFFFF';

export function ptbTokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const token of lexPtb(text)) {
    const lower = token.toLowerCase();
    if (!COCO_PUNCTUATION.has(lower)) tokens.push(lower);
  }
  return tokens;
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

/** PTBLexer's tokens (before lowercasing and punctuation removal), original case. */
export function lexPtb(text: string): string[] {
  // ptbtokenizer.py replaces newlines inside a caption by spaces before the Java sees it.
  const original = text.replaceAll('\n', ' ');
  const s = original.replace(SURROGATE, UNTOKENIZABLE);
  const out: string[] = [];
  let p = 0;
  while (p < s.length) {
    const c = s.charCodeAt(p);
    // Fast path: a plain ASCII word followed by white space or the end can only be a {WORD}
    // (or an equal-text ABBREV4), since every longer rule needs some other character before the space.
    if (isAsciiLetter(c)) {
      let e = p + 1;
      while (e < s.length && isAsciiLetter(s.charCodeAt(e))) e++;
      const next = e < s.length ? s.charCodeAt(e) : -1;
      // The same holds before a sentence-final period, unless the word is an abbreviation.
      const periodEnd = next === 46 && (e + 1 === s.length || isBlank(s.charCodeAt(e + 1)));
      if (next === -1 || isBlank(next) || periodEnd) {
        const word = s.slice(p, e);
        if (!SPLIT_WORDS.has(word.toLowerCase()) && !(periodEnd && ABBREVIATION_WORD.test(word))) {
          out.push(americanize(word));
          p = e;
          continue;
        }
      }
    } else if (isBlank(c)) {
      p++;
      continue;
    } else if ((c === 44 /* , */ || c === 46) /* . */ && isSinglePunctuation(s, p)) {
      out.push(s[p]);
      p++;
      continue;
    } else if (c === 41 /* ) */ || (c === 40 /* ( */ && !(p + 1 < s.length && isDigit(s.charCodeAt(p + 1))))) {
      // Only a phone number like "(800) 555-1212" starts with "(" and is longer.
      out.push(c === 40 ? '-LRB-' : '-RRB-');
      p++;
      continue;
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
      return raw.replace('\u00BC', '1\\/4').replace('\u00BD', '1\\/2').replace('\u00BE', '3\\/4').replace('\u2153', '1\\/3');
    case 'currency':
      return raw.replace('\u00A2', 'cents').replace('\u00A3', '#').replace(/[\u0080\u00A4\u20A0\u20AC]/, '$');
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
