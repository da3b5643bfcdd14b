import { z } from 'zod';
import { COLOR_NAMES, GRID, SHAPE_KINDS, SHAPE_SIZES } from './scene';
import type { Shape, ShapeColor } from './scene';

/**
 * One shape of a synthetic scene as the manifest records it: what the captions may say about it. Pixels
 * (centre, radius) are left out: relations and positions are defined by grid cell, not by pixel.
 */
export const sceneObjectSchema = z.object({
  kind: z.enum(SHAPE_KINDS),
  color: z.enum(COLOR_NAMES as [ShapeColor, ...ShapeColor[]]),
  size: z.enum(SHAPE_SIZES),
  /** Grid cell: row 0 is the top, column 0 the left. */
  row: z
    .number()
    .int()
    .min(0)
    .max(GRID - 1),
  col: z
    .number()
    .int()
    .min(0)
    .max(GRID - 1),
});
export type SceneObject = z.infer<typeof sceneObjectSchema>;

/**
 * A synthetic image's scene. Relations (`left of`, `right of`, `above`, `below`) and the count are not
 * stored: they follow from the objects' cells (`relationHolds`, `objects.length`), so they cannot disagree.
 */
export const sceneSchema = z.object({ objects: z.array(sceneObjectSchema).min(1) });
export type Scene = z.infer<typeof sceneSchema>;

export const RELATIONS = ['left of', 'right of', 'above', 'below'] as const;
export type Relation = (typeof RELATIONS)[number];

/** Whether `a rel b` is true by grid cell, exactly as the caption templates state relations. */
export function relationHolds(a: SceneObject, relation: Relation, b: SceneObject): boolean {
  switch (relation) {
    case 'left of':
      return a.col < b.col;
    case 'right of':
      return a.col > b.col;
    case 'above':
      return a.row < b.row;
    case 'below':
      return a.row > b.row;
  }
}

export function sceneOf(shapes: readonly Shape[]): Scene {
  return { objects: shapes.map(({ kind, color, size, row, col }) => ({ kind, color, size, row, col })) };
}
