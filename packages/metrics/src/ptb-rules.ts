/**
 * The rules of Stanford CoreNLP's PTBLexer (the JFlex specification `PTBLexer.flex`) as they stood
 * in the CoreNLP 3.x line that coco-caption runs (3.4.1), with its default "ptb3Escaping" options:
 * americanize, LaTeX quotes, `...` ellipses, `--` dashes, -LRB-/-RRB- brackets, escaped `/` and
 * `*`, currency and fraction normalization, untokenizable characters deleted.
 *
 * Each rule is a list of alternatives (JavaScript regular expressions anchored at the current
 * position); the lexer takes the longest match over all of them, the earlier rule on a tie — JFlex's
 * rule. A rule with trailing context (`r1/r2` in JFlex) captures its token part as group 1; the
 * trailing context counts towards the match length, as in JFlex, but is not consumed.
 *
 * JFlex's `%caseless` makes literal text match either case but leaves character classes as written,
 * so literals go through `ci()` and classes stay case-sensitive.
 */

/** A literal matched in either case (JFlex `%caseless`), regex-escaped. */
function ci(literal: string): string {
  let out = '';
  for (const ch of literal) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (lower !== upper && /[a-z]/i.test(ch)) out += `[${lower}${upper}]`;
    else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}
/** Alternation of caseless literals. */
const words = (...list: string[]): string => `(?:${list.map(ci).join('|')})`;

// ---- Macros (names as in PTBLexer.flex) ----
const SGML = String.raw`<\/?[A-Za-z!?][^>\r\n]*>`;
const SPMDASH = String.raw`&${words('MD', 'mdash', 'ndash')};|[\u0096\u0097\u2013\u2014\u2015]`;
const SPAMP = ci('&amp;');
const SPPUNC = String.raw`&(?:${words('HT', 'TL', 'UR', 'LR', 'QC', 'QL', 'QR', 'odq', 'cdq')}|#[0-9]+);`;
const SPLET = String.raw`&[aeiouAEIOU]${words('acute', 'grave', 'uml')};`;
const SPACE = String.raw`[ \t\u00A0\u2000-\u200A\u3000]`;
const SPACES = `${SPACE}+`;
const NEWLINE = String.raw`(?:\r?\n|\r|\u2028|\u2029|\u000B|\u000C|\u0085)`;
const SPACENL = `(?:${SPACE}|${NEWLINE})`;
const DIGIT = String.raw`[\p{Nd}\u07C0-\u07C9]`;
const LETTER = String.raw`\p{L}`;
const LETTER_OR_DIGIT = String.raw`[\p{L}\p{Nd}\u07C0-\u07C9]`;
const DATE = String.raw`${DIGIT}{1,2}[\-\/]${DIGIT}{1,2}[\-\/]${DIGIT}{2,4}`;
// Alternatives ordered so that JavaScript's first match is the longest one.
const NUM = String.raw`(?:${DIGIT}*(?:[.:,\u00AD\u066B\u066C]${DIGIT}+)+|${DIGIT}+)`;
const NUMBER = String.raw`[\-+]?${NUM}`;
const SUBSUPNUM = String.raw`[\u207A\u207B\u208A\u208B]?(?:[\u2070\u00B9\u00B2\u00B3\u2074-\u2079]+|[\u2080-\u2089]+)`;
const FRAC = String.raw`(?:${DIGIT}{1,4}[- \u00A0])?${DIGIT}{1,4}(?:\\?\/|\u2044)${DIGIT}{1,4}`;
const FRAC2 = String.raw`[\u00BC\u00BD\u00BE\u2153-\u215E]`;
const DOLSIGN = String.raw`(?:[A-Z]*\$|#)`;
const DOLSIGN2 = String.raw`[\u00A2\u00A3\u00A4\u00A5\u0080\u20A0\u20AC\u060B\u0E3F\u20A4\uFFE0\uFFE1\uFFE5\uFFE6]`;
const WORD_EXTRA = String.raw`\u00AD\u0237-\u024F\u02C2-\u02C5\u02D2-\u02DF\u02E5-\u02FF\u0300-\u036F\u0370-\u037D\u0384\u0385\u03CF\u03F6\u03FC-\u03FF\u0483-\u0487\u04CF\u04F6-\u04FF\u0510-\u0525\u055A-\u055F\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u0615-\u061A\u063B-\u063F\u064B-\u065E\u0670\u06D6-\u06EF\u06FA-\u06FF\u070F\u0711\u0730-\u074F\u0750-\u077F\u07A6-\u07B1\u07CA-\u07F5\u07FA\u0900-\u0903\u093C\u093E-\u094E\u0951-\u0955\u0962-\u0963\u0981-\u0983\u09BC-\u09C4\u09C7\u09C8\u09CB-\u09CD\u09D7\u09E2\u09E3\u0A01-\u0A03\u0A3C\u0A3E-\u0A4F\u0A81-\u0A83\u0ABC-\u0ACF\u0B82\u0BBE-\u0BC2\u0BC6-\u0BC8\u0BCA-\u0BCD\u0C01-\u0C03\u0C3E-\u0C56\u0D3E-\u0D44\u0D46-\u0D48\u0E30-\u0E3A\u0E47-\u0E4E\u0EB1-\u0EBC\u0EC8-\u0ECD`;
const WORD = String.raw`(?:[\p{L}${WORD_EXTRA}]|${SPLET})+`;
const APOS = String.raw`(?:['\u0092\u2019]|${ci('&apos;')})`;
const APOSETCETERA = String.raw`(?:${APOS}|[\u0091\u2018\u201B])`;
const HYPHEN = String.raw`[-_\u058A\u2010\u2011]`;
const THING_PART = String.raw`(?:[dDoOlL]${APOSETCETERA}${LETTER_OR_DIGIT})?${LETTER_OR_DIGIT}+`;
const THING = String.raw`${THING_PART}(?:${HYPHEN}${THING_PART})*`;
const THINGA = String.raw`[A-Z]+(?:(?:[+&]|${SPAMP})[A-Z]+)+`;
const THING3 = String.raw`[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\?\/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}`;
const ACRO = String.raw`(?:[A-Za-z](?:\.[A-Za-z])+|${words('Canada', 'Sino', 'Korean', 'EU', 'Japan', 'non')}-${ci('U.S')}|${ci('U.S.-')}(?:${ci('U.K')}|${ci('U.S.S.R')}))`;
const HTHING = String.raw`[A-Za-z0-9][A-Za-z0-9.,\u00AD]*(?:-(?:${ACRO}\.|[A-Za-z0-9\u00AD]+))+`;
const REDAUX = String.raw`${APOS}(?:[msdMSD]|${words('re', 've', 'll')})`;
const SWORD = String.raw`[A-Za-z\u00AD]*[A-MO-Za-mo-z]\u00AD*`;
const SREDAUX = String.raw`${ci('n')}${APOSETCETERA}${ci('t')}`;
const APOWORD = [
  String.raw`${APOS}${ci('n')}${APOS}?`,
  String.raw`[lLdDjJ]${APOS}`,
  String.raw`${ci('Dunkin')}${APOS}`,
  String.raw`${ci('somethin')}${APOS}`,
  String.raw`${ci('ol')}${APOS}`,
  String.raw`${APOS}${ci('em')}`,
  String.raw`[A-HJ-XZn]${APOSETCETERA}${LETTER}{2}${LETTER}*`,
  String.raw`${APOS}[2-9]0${ci('s')}`,
  String.raw`${APOS}${ci('til')}${ci('l')}?`,
  String.raw`${LETTER}+[aeiouyAEIOUY]${APOSETCETERA}[aeiouA-Z]${LETTER}*`,
  String.raw`${APOS}${ci('cause')}`,
  String.raw`${ci("cont'd")}\.?`,
  ...["'twas", "nor'easter", "c'mon", "e'er", "s'mores", "ev'ry", "li'l", "nat'l"].map(ci),
];
const APOWORD2 = String.raw`${ci('y')}${APOS}`;
const FULLURL = String.raw`${ci('http')}${ci('s')}?:\/\/[^ \t\n\f\r"<>|()]+[^ \t\n\f\r"<>|.!?(){},-]`;
const URL_PATH = String.raw`(?:\/[^ \t\n\f\r"<>|()]+[^ \t\n\f\r"<>|.!?(){},-])?`;
// JFlex reads `,-_` in the class below as a range (U+002C..U+005F); so does JavaScript.
const LIKELYURL = [
  String.raw`${ci('www.')}(?:[^ \t\n\f\r"<>|.!?(){},]+\.)+[a-zA-Z]{2,4}${URL_PATH}`,
  String.raw`(?:[^ \t\n\f\r"\u0060'<>|.!?(){},-_$]+\.)+${words('com', 'net', 'org', 'edu')}${URL_PATH}`,
];
const EMAIL = String.raw`[a-zA-Z0-9][^ \t\n\f\r"<>|()\u00A0]*@(?:[^ \t\n\f\r"<>|().\u00A0]+\.)*[^ \t\n\f\r"<>|().\u00A0]+`;
const TWITTER = String.raw`@[a-zA-Z_][a-zA-Z_0-9]*|#${WORD}`;
const ABMONTH = words('Jan', 'Feb', 'Mar', 'Apr', 'Jun', 'Jul', 'Aug', 'Sep', 'Sept', 'Oct', 'Nov', 'Dec');
const ABDAYS = words('Mon', 'Tue', 'Tues', 'Wed', 'Thu', 'Thurs', 'Fri');
// `[A]rk`, `[I]ll`, `[M]ass`, `[M]iss`, `[O]re`, `[W]ash`: capital first letter only (character classes).
const ABSTATE = String.raw`(?:${words('Ala', 'Ariz')}|A${ci('rk')}|${words('Calif', 'Colo', 'Conn', 'Dak', 'Del', 'Fla', 'Ga')}|I${ci('ll')}|${words('Ind', 'Kans', 'Kan', 'Ky', 'La')}|M${ci('ass')}|${words('Md', 'Mich', 'Minn')}|M${ci('iss')}|${words('Mo', 'Mont', 'Neb', 'Nev', 'Okla')}|O${ci('re')}|${words('Pa', 'Penn', 'Tenn', 'Tex', 'Va', 'Vt')}|W${ci('ash')}|${words('Wisc', 'Wis', 'Wyo')})`;
const ABTITLE = String.raw`(?:${words('Mr', 'Mrs', 'Ms')}|M${ci('iss')}|${words('Dr', 'Drs', 'Prof', 'Profs', 'Sen', 'Sens', 'Rep', 'Reps', 'Atty', 'Attys', 'Lt', 'Col', 'Gen', 'Messrs', 'Gov', 'Govs', 'Adm', 'Rev', 'Maj', 'Sgt', 'Cpl', 'Pvt', 'Mt', 'Capt', 'St', 'Ste', 'Ave', 'Pres', 'Lieut', 'Hon', 'Brig', 'Cmdr', 'Comdr', 'Pfc', 'Spc', 'Supt', 'Supts', 'Det')})`;
const ABPTIT = String.raw`(?:${words('Jr', 'Sr', 'Bros', 'Blvd', 'Rd', 'Esq')}|${words('Ed', 'Ph')}\.${ci('D')})`;
const ABCOMP = words(
  'Inc',
  'Co',
  'Cos',
  'Corp',
  'Pty',
  'Ptys',
  'Ppty',
  'Pptys',
  'Ltd',
  'Plc',
  'Bancorp',
  'Dept',
  'Bhd',
  'Assn',
  'Univ',
  'Intl',
  'Sys',
);
const ABCOMP2 = words('Invt', 'Elec', 'Natl', 'Mfg', 'Mtg');
const ABNUM = words('No', 'Nos', 'Prop', 'Ph', 'tel', 'est', 'ext', 'sq', 'ft');
const ABBREV1 = String.raw`(?:${ABMONTH}|${ABDAYS}|${ABSTATE}|${ABCOMP}|${ABNUM}|${ABPTIT}|${words('etc', 'al', 'seq')})\.`;
const ABBREV4 = [
  ACRO,
  ci('a.k.a'),
  ABTITLE,
  words('vs', 'Alex', 'Wm', 'Jos', 'Cie', 'cf', 'TREAS'),
  ABCOMP2,
  '[A-Za-z]',
];
const PHONE = [
  String.raw`(?:\([0-9]{2,3}\)[ \u00A0]?|(?:\+\+?)?(?:[0-9]{2,4}[\- \u00A0])?[0-9]{2,4}[\- \u00A0])[0-9]{3,4}[\- \u00A0]?[0-9]{3,5}`,
  String.raw`(?:(?:\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}`,
];
const OPBRAC = String.raw`[<\[]|${ci('&lt;')}`;
const CLBRAC = String.raw`[>\]]|${ci('&gt;')}`;
const LDOTS = String.raw`\.{3,5}|(?:\.[ \u00A0]){2,4}\.|[\u0085\u2026]`;
const FNMARKS = String.raw`@+|#+|_+`;
const ASTS = String.raw`\*+|(?:\\\*){1,3}`;
const INSENTP = String.raw`[,;:\u3001]`;
const QUOTES = String.raw`${APOS}|''|[\u0060\u2018\u2019\u201A\u201B\u201C\u201D\u0091\u0092\u0093\u0094\u201E\u201F\u2039\u203A\u00AB\u00BB]{1,2}`;
const DBLQUOT = String.raw`"|${ci('&quot;')}`;
const TBSPEC = String.raw`-(?:${words('RRB', 'LRB', 'RCB', 'LCB', 'RSB', 'LSB')})-|${ci('C.D.s')}|${ci('pro-')}|${ci('anti-')}|${ci('S')}(?:&|${SPAMP})${ci('P-500')}|${ci('S')}(?:&|${SPAMP})${ci('Ls')}|${ci('Cap')}${APOS}${ci('n')}|${ci('c')}${APOS}${ci('est')}`;
const TBSPEC2 = String.raw`${APOS}[0-9][0-9]`;
const MISCSYMBOL = String.raw`[+%&~\^|\\\u00A6\u00A7\u00A8\u00A9\u00AC\u00AE\u00AF\u00B0-\u00B3\u00B4-\u00BA\u00D7\u00F7\u0387\u05BE\u05C0\u05C3\u05C6\u05F3\u05F4\u0600-\u0603\u0606-\u060A\u060C\u0614\u061B\u061E\u066A\u066D\u0703-\u070D\u07F6\u07F7\u07F8\u0964\u0965\u0E4F\u1FBD\u2016\u2017\u2020-\u2023\u2030-\u2038\u203B\u203E-\u2042\u2044\u207A-\u207F\u208A-\u208E\u2100-\u214F\u2190-\u21FF\u2200-\u2BFF\u3012\u30FB\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65]`;

/**
 * A plain word that some abbreviation rule could take together with a following period
 * (ABBREV1/ABBREV2): the tokenizer's fast path leaves these to the full rules.
 */
export const ABBREVIATION_WORD = new RegExp(
  `^(?:${[ABMONTH, ABDAYS, ABSTATE, ABCOMP, ABNUM, ABPTIT, words('etc', 'al', 'seq'), ...ABBREV4.slice(2)].join('|')})$`,
  'u',
);

/** What a rule does with the text it matched. */
export type RuleAction =
  | 'token' // the matched text as it is
  | 'word' // a {WORD}: soft hyphens removed, British spelling Americanized
  | 'softHyphens' // soft hyphens removed
  | 'cannot' // "cannot": return "can" and rescan from "not"
  | 'assimilation' // "gonna" -> "gon" + "na": all but the last two characters, then rescan
  | 'quoteLeft' // LaTeX quotes, opening
  | 'quoteRight' // LaTeX quotes, closing
  | 'escapeSlash' // `/` -> `\/` (and `*` -> `\*` for URLs)
  | 'escapeSlashAsterisk'
  | 'fraction' // `/` escaped, spaces -> U+00A0
  | 'fractionChar' // ½ -> 1\/2 ...
  | 'currency' // ¢ -> cents, £ -> #, € -> $
  | 'amp' // &amp; -> &
  | 'dash' // -> --
  | 'hyphens' // 3 or 4 hyphens -> --
  | 'ellipsis' // -> ...
  | 'phone' // spaces -> U+00A0, ( ) -> -LRB- -RRB-
  | 'nbsp' // spaces -> U+00A0
  | 'escapeAsterisk'
  | 'lrb'
  | 'rrb'
  | 'lcb'
  | 'rcb'
  | 'skip'; // no token

export interface LexerRule {
  readonly name: string;
  /** Sticky regular expressions; group 1, when present, is the token and the rest trailing context. */
  readonly patterns: RegExp[];
  readonly action: RuleAction;
}

function rule(name: string, action: RuleAction, ...sources: string[]): LexerRule {
  return { name, action, patterns: sources.map((s) => new RegExp(s, 'uy')) };
}
/** `head/trail`: the match length includes the trailing context, the token does not. */
const withTrail = (head: string, trail: string): string => `(${head})(?:${trail})`;

/** PTBLexer's rules in their order (the order breaks ties between equally long matches). */
export const PTB_RULES: readonly LexerRule[] = [
  rule('cannot', 'cannot', ci('cannot')),
  // PTB splits these assimilations ("gonna" -> "gon na"), as coco-caption's tokenized captions show.
  rule(
    'ASSIMILATIONS2',
    'assimilation',
    `${APOS}${ci('tis')}`,
    words('gonna', 'gotta', 'lemme', 'gimme', 'wanna'),
  ),
  rule('SGML', 'nbsp', SGML),
  rule('SPMDASH', 'dash', SPMDASH),
  rule('SPAMP', 'amp', SPAMP),
  rule('SPPUNC', 'token', SPPUNC),
  rule('WORD/REDAUX', 'word', withTrail(WORD, REDAUX)),
  rule('SWORD/SREDAUX', 'softHyphens', withTrail(SWORD, SREDAUX)),
  rule('WORD', 'word', WORD),
  rule('APOWORD', 'token', ...APOWORD),
  rule('APOWORD2/letter', 'token', withTrail(APOWORD2, LETTER)),
  rule('FULLURL', 'escapeSlashAsterisk', FULLURL),
  rule('LIKELYURL', 'escapeSlashAsterisk', ...LIKELYURL),
  rule('EMAIL', 'token', EMAIL),
  rule('TWITTER', 'token', TWITTER),
  rule('REDAUX/non-letter', 'quoteRight', withTrail(REDAUX, '[^A-Za-z]')),
  rule('SREDAUX', 'quoteRight', SREDAUX),
  rule('DATE', 'escapeSlash', DATE),
  rule('NUMBER', 'softHyphens', NUMBER),
  rule('SUBSUPNUM', 'token', SUBSUPNUM),
  rule('FRAC', 'fraction', FRAC),
  rule('FRAC2', 'fractionChar', FRAC2),
  rule('TBSPEC', 'amp', TBSPEC),
  rule('THING3', 'escapeSlash', THING3),
  rule('DOLSIGN', 'token', DOLSIGN),
  rule('DOLSIGN2', 'currency', DOLSIGN2),
  // PTBLexer also has `{ACRONYM}/({SPACES})(About|…){SPACE}` and `{ABBREV1}/{SENTEND}`: they give the
  // same token as ABBREV2/ABBREV1 plus a duplicated "." that coco-caption removes, and nothing else
  // they could outmatch spans white space, so they are left out.
  rule('ABBREV1', 'token', ABBREV1),
  rule('ABBREV2', 'token', ...ABBREV4.map((a) => `(?:${a})\\.`)),
  rule('ABBREV4/SPACE', 'token', ...ABBREV4.map((a) => withTrail(a, SPACE))),
  rule('ACRO/SPACENL', 'token', withTrail(ACRO, SPACENL)),
  rule('TBSPEC2/SPACENL', 'token', withTrail(TBSPEC2, SPACENL)),
  rule('WORD./INSENTP', 'softHyphens', withTrail(`${WORD}\\.`, INSENTP)),
  rule('PHONE', 'phone', ...PHONE),
  rule('DBLQUOT/alnum', 'quoteLeft', withTrail(DBLQUOT, '[A-Za-z0-9$]')),
  rule('DBLQUOT', 'quoteRight', DBLQUOT),
  // JFlex reads `0x7f` as the four literal characters, so this rule deletes the text "0x7f".
  rule('0x7f', 'skip', ci('0x7f')),
  rule('OPBRAC', 'lrb', OPBRAC),
  rule('CLBRAC', 'rrb', CLBRAC),
  rule('{', 'lcb', '\\{'),
  rule('}', 'rcb', '\\}'),
  rule('(', 'lrb', '\\('),
  rule(')', 'rrb', '\\)'),
  rule('HYPHENS', 'hyphens', '-+'),
  rule('LDOTS', 'ellipsis', LDOTS),
  rule('FNMARKS', 'token', FNMARKS),
  rule('ASTS', 'escapeAsterisk', ASTS),
  rule('INSENTP', 'token', INSENTP),
  rule('[?!]+', 'token', '[?!]+'),
  rule('sentence punctuation', 'token', '[.\u00A1\u00BF\u037E\u0589\u061F\u06D4\u0700-\u0702\u07FA\u3002]'),
  rule('=', 'token', '='),
  rule('/', 'escapeSlash', '\\/'),
  rule('HTHING./INSENTP', 'softHyphens', withTrail(`${HTHING}\\.`, INSENTP)),
  rule('HTHING', 'softHyphens', HTHING),
  rule('THING./INSENTP', 'token', withTrail(`${THING}\\.`, INSENTP)),
  rule('THING', 'token', THING),
  rule('THINGA./INSENTP', 'amp', withTrail(`${THINGA}\\.`, INSENTP)),
  rule('THINGA', 'amp', THINGA),
  rule("'/letter", 'quoteLeft', withTrail("'", '[A-Za-z][^ \\t\\n\\r\\u00A0]')),
  rule('REDAUX', 'quoteRight', REDAUX),
  rule('QUOTES', 'quoteRight', QUOTES),
  rule('FAKEDUCKFEET', 'token', '<<|>>'),
  rule('MISCSYMBOL', 'token', MISCSYMBOL),
  rule('spaces', 'skip', `\\u0000|${SPACES}|[\\u200B\\u200E-\\u200F\\uFEFF]`),
  // A line break inside one caption: coco-caption replaces "\n" by a space before tokenizing; the
  // others end a line in Java (and shift later captions there); here they separate tokens.
  rule('NEWLINE', 'skip', NEWLINE),
  rule('&nbsp;', 'skip', ci('&nbsp;')),
];
