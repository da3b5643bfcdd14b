/**
 * The tokens every vocabulary starts with, in this order, and their ids. The vocabulary
 * (@captioner/dataset) writes them; the model relies on them: padding is masked out of the loss,
 * decoding starts at `<start>`, stops at `<end>` and never produces any of the four.
 * Free of Node modules: the browser entry of @captioner/model uses it.
 */
export const SPECIAL_TOKENS = ['<pad>', '<start>', '<end>', '<unk>'] as const;
export const PAD_ID = 0;
export const START_ID = 1;
export const END_ID = 2;
export const UNK_ID = 3;

/** True for ids that never appear in a returned caption (decoding bans them all). */
export function isSpecialToken(id: number): boolean {
  return id === PAD_ID || id === START_ID || id === END_ID || id === UNK_ID;
}
