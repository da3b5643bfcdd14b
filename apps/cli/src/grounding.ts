import type { Grounding } from '@captioner/db';

/**
 * The grounding figures of a shapes evaluation as printed by `eval show` and the demo: each rate as a
 * percentage with its numerator and denominator (see packages/dataset/README.md, "Grounding").
 */
const FIGURES = [
  { header: 'objects right', rate: 'objectsRightRate', part: 'objectsRight', whole: 'objectsNamed' },
  { header: 'absent', rate: 'objectsAbsentRate', part: 'objectsAbsent', whole: 'objectsNamed' },
  { header: 'relations right', rate: 'relationsRightRate', part: 'relationsRight', whole: 'relationsStated' },
  {
    header: 'images all right',
    rate: 'imagesAllObjectsRightRate',
    part: 'imagesAllObjectsRight',
    whole: 'images',
  },
  { header: 'counts right', rate: 'countsRightRate', part: 'countsRight', whole: 'countsStated' },
] as const;

export const GROUNDING_HEADERS: string[] = FIGURES.map((f) => f.header);

/** `68.0% (340/500)`, or `-` when nothing of that kind was stated. */
export function groundingCells(grounding: Grounding): string[] {
  return FIGURES.map((f) => {
    const rate = grounding[f.rate];
    if (rate === null || rate === undefined) return '-';
    return `${(rate * 100).toFixed(1)}% (${grounding[f.part] ?? 0}/${grounding[f.whole] ?? 0})`;
  });
}
