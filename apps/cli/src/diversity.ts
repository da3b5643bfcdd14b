import type { Diversity } from '@captioner/db';

/** The diversity figures as `eval show` prints them (see `captionDiversity` in packages/metrics). */
export const DIVERSITY_HEADERS = ['unique', 'words used', 'distinct-1', 'distinct-2', 'novel', 'mean length'];

const percent = (v: number | null | undefined) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '-');
const fixed = (v: number | null | undefined, digits: number) =>
  typeof v === 'number' ? v.toFixed(digits) : '-';

/** `uniqueRate` etc. as cells; `novel` is `-` when the training captions were not known. */
export function diversityCells(d: Diversity): string[] {
  return [
    percent(d.uniqueRate),
    fixed(d.vocabularyUsed, 0),
    fixed(d.distinct1, 3),
    fixed(d.distinct2, 3),
    percent(d.novelRate),
    fixed(d.meanLength, 2),
  ];
}
