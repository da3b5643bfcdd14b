/**
 * Caption-aware horizontal flips: a mirrored image's captions must swap the words that name a side.
 *
 * Decision: a caption is swapped word for word with the pairs below (both directions). A caption whose
 * side words cannot all be swapped within the vocabulary (the counterpart is missing, so it would become
 * `<unk>`) is "unsafe": its image is then not flipped for it. Words that name a side without being in the
 * table (e.g. text in the image, "west") are not detected; turn `horizontalFlip` off for such data sets.
 * "left" as a verb ("the man left") is swapped too: rare in captions, and harmless next to a wrong side.
 */
export const SIDE_WORD_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['left', 'right'],
  ['leftmost', 'rightmost'],
  ['lefthand', 'righthand'],
  ['left-hand', 'right-hand'],
  ['clockwise', 'counterclockwise'],
];

const SWAP: ReadonlyMap<string, string> = new Map(
  SIDE_WORD_PAIRS.flatMap(([a, b]) => [
    [a, b],
    [b, a],
  ]),
);

/** The mirrored caption's words (lower-case tokens), or null when a side word has no counterpart allowed. */
export function swapSideWords(words: readonly string[], known: (word: string) => boolean = () => true) {
  const out: string[] = [];
  for (const word of words) {
    const other = SWAP.get(word);
    if (other === undefined) out.push(word);
    else if (known(other)) out.push(other);
    else return null;
  }
  return out;
}

/**
 * Token-level swap for a vocabulary (`words[id]`): a function from a caption's ids to the mirrored
 * caption's ids (a new array), or null when the caption cannot be mirrored safely.
 */
export function tokenSideSwap(words: readonly string[]): (ids: Int32Array) => Int32Array | null {
  const idOf = new Map(words.map((w, id) => [w, id]));
  // -1: a side word whose counterpart is not in the vocabulary.
  const swapped = new Int32Array(words.length).map((_, id) => id);
  words.forEach((word, id) => {
    const other = SWAP.get(word);
    if (other !== undefined) swapped[id] = idOf.get(other) ?? -1;
  });
  return (ids) => {
    const out = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const to = ids[i] >= 0 && ids[i] < swapped.length ? swapped[ids[i]] : ids[i];
      if (to < 0) return null;
      out[i] = to;
    }
    return out;
  };
}
