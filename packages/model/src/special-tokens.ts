/**
 * Token ids every vocabulary reserves (the vocabulary in @captioner/dataset writes them in this order).
 * The decoder relies on them: padding is masked out of the loss, decoding starts at `<start>` and stops at `<end>`.
 */
export const PAD_ID = 0;
export const START_ID = 1;
export const END_ID = 2;
export const UNK_ID = 3;

/** True for ids that never appear in a returned caption (decoding bans them all). */
export function isSpecialToken(id: number): boolean {
  return id === PAD_ID || id === START_ID || id === END_ID || id === UNK_ID;
}
