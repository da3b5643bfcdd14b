/**
 * CoreNLP's `Americanize` as PTBLexer applied it to plain-letter words (`{WORD}` tokens) when
 * `americanize` was on, which it was by default under the old ptb3Escaping defaults that
 * coco-caption's CoreNLP 3.4.1 ran with: "grey" -> "gray", "colour" -> "color", and so on.
 * Case-sensitive, like the Java: "Colour" is left alone. Month and day names were capitalized
 * too, which `-lowerCase` undoes, so that part is left out.
 */

const WORD_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['anaesthetic', 'anesthetic'],
  ['analogue', 'analog'],
  ['analogues', 'analogs'],
  ['analyse', 'analyze'],
  ['analysed', 'analyzed'],
  ['analysing', 'analyzing'],
  ['armoured', 'armored'],
  ['cancelled', 'canceled'],
  ['cancelling', 'canceling'],
  ['candour', 'candor'],
  ['capitalise', 'capitalize'],
  ['capitalised', 'capitalized'],
  ['capitalisation', 'capitalization'],
  ['centre', 'center'],
  ['chimaeric', 'chimeric'],
  ['clamour', 'clamor'],
  ['coloured', 'colored'],
  ['colouring', 'coloring'],
  ['defence', 'defense'],
  ['detour', 'detour'],
  ['discolour', 'discolor'],
  ['discolours', 'discolors'],
  ['discoloured', 'discolored'],
  ['discolouring', 'discoloring'],
  ['encyclopaedia', 'encyclopedia'],
  ['endeavour', 'endeavor'],
  ['endeavours', 'endeavors'],
  ['endeavoured', 'endeavored'],
  ['endeavouring', 'endeavoring'],
  ['fervour', 'fervor'],
  ['favour', 'favor'],
  ['favours', 'favors'],
  ['favoured', 'favored'],
  ['favouring', 'favoring'],
  ['favourite', 'favorite'],
  ['favourites', 'favorites'],
  ['fibre', 'fiber'],
  ['fibres', 'fibers'],
  ['finalise', 'finalize'],
  ['finalised', 'finalized'],
  ['finalising', 'finalizing'],
  ['flavour', 'flavor'],
  ['flavours', 'flavors'],
  ['flavoured', 'flavored'],
  ['flavouring', 'flavoring'],
  ['glamour', 'glamour'],
  ['grey', 'gray'],
  ['harbour', 'harbor'],
  ['harbours', 'harbors'],
  ['homologue', 'homolog'],
  ['homologues', 'homologs'],
  ['honour', 'honor'],
  ['honours', 'honors'],
  ['honoured', 'honored'],
  ['honouring', 'honoring'],
  ['honourable', 'honorable'],
  ['humour', 'humor'],
  ['humours', 'humors'],
  ['humoured', 'humored'],
  ['humouring', 'humoring'],
  ['kerb', 'curb'],
  ['labelled', 'labeled'],
  ['labelling', 'labeling'],
  ['labour', 'labor'],
  ['labours', 'labors'],
  ['laboured', 'labored'],
  ['labouring', 'laboring'],
  ['leant', 'leaned'],
  ['learnt', 'learned'],
  ['localise', 'localize'],
  ['localised', 'localized'],
  ['manoeuvre', 'maneuver'],
  ['manoeuvres', 'maneuvers'],
  ['maximise', 'maximize'],
  ['maximised', 'maximized'],
  ['maximising', 'maximizing'],
  ['meagre', 'meager'],
  ['minimise', 'minimize'],
  ['minimised', 'minimized'],
  ['minimising', 'minimizing'],
  ['modernise', 'modernize'],
  ['modernised', 'modernized'],
  ['modernising', 'modernizing'],
  ['misdemeanour', 'misdemeanor'],
  ['misdemeanours', 'misdemeanors'],
  ['neighbour', 'neighbor'],
  ['neighbours', 'neighbors'],
  ['neighbourhood', 'neighborhood'],
  ['neighbourhoods', 'neighborhoods'],
  ['oestrogen', 'estrogen'],
  ['oestrogens', 'estrogens'],
  ['organisation', 'organization'],
  ['organisations', 'organizations'],
  ['penalise', 'penalize'],
  ['penalised', 'penalized'],
  ['popularise', 'popularize'],
  ['popularised', 'popularized'],
  ['popularises', 'popularizes'],
  ['popularising', 'popularizing'],
  ['practise', 'practice'],
  ['practised', 'practiced'],
  ['pressurise', 'pressurize'],
  ['pressurised', 'pressurized'],
  ['pressurises', 'pressurizes'],
  ['pressurising', 'pressurizing'],
  ['realise', 'realize'],
  ['realised', 'realized'],
  ['realising', 'realizing'],
  ['realises', 'realizes'],
  ['recognise', 'recognize'],
  ['recognised', 'recognized'],
  ['recognising', 'recognizing'],
  ['recognises', 'recognizes'],
  ['rumoured', 'rumored'],
  ['rumouring', 'rumoring'],
  ['savour', 'savor'],
  ['savours', 'savors'],
  ['savoured', 'savored'],
  ['savouring', 'savoring'],
  ['splendour', 'splendor'],
  ['splendours', 'splendors'],
  ['theatre', 'theater'],
  ['theatres', 'theaters'],
  ['titre', 'titer'],
  ['titres', 'titers'],
  ['travelled', 'traveled'],
  ['travelling', 'traveling'],
];
const WORDS = new Map<string, string>(WORD_PAIRS);

/** Tried in order when the word is not in the list; the first that is found rewrites every match. */
const PATTERNS: ReadonlyArray<{ find: RegExp; replace: string; unless?: RegExp }> = [
  { find: /haem(at)?o/g, replace: 'hem$1o' },
  { find: /aemia$/g, replace: 'emia' },
  { find: /([lL]euk)aem/g, replace: '$1em' },
  { find: /programme(s?)$/g, replace: 'program$1' },
  // Java's find() on the exception: any word containing these keeps its "our".
  { find: /^([a-z]{3,})our(s?)$/g, replace: '$1or$2', unless: /glamour|de[tv]our/ },
];

/** Shorter words are in no list and match no pattern ("grey" and "kerb" are the shortest). */
const SHORTEST = 4;

export function americanize(word: string): string {
  if (word.length < SHORTEST) return word;
  const mapped = WORDS.get(word);
  if (mapped !== undefined) return mapped;
  // Every pattern needs "ae", "mme" or "our": most words skip the regular expressions.
  if (!word.includes('ae') && !word.includes('mme') && !word.includes('our')) return word;
  for (const p of PATTERNS) {
    if (p.unless?.test(word)) continue;
    p.find.lastIndex = 0;
    if (p.find.test(word)) {
      p.find.lastIndex = 0;
      return word.replace(p.find, p.replace);
    }
  }
  return word;
}
