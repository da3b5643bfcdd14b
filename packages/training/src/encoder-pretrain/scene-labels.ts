import { COLOR_NAMES, SCENE_GRID as GRID, SHAPE_KINDS, SHAPE_SIZES } from '@captioner/dataset';
import type { Scene } from '@captioner/dataset';
import { gridPositionCells as positionCells } from '@captioner/model';
import type { CellHeadShape } from '@captioner/model';

/** Class 0 is "no shape"; the others are one per (colour, kind, size). */
export const SCENE_CELL_CLASSES = 1 + COLOR_NAMES.length * SHAPE_KINDS.length * SHAPE_SIZES.length;

/** Scene cells per image (the synthesizer's GRID x GRID). */
export const SCENE_CELLS = GRID * GRID;

/** The cell head (model.encoder.cellHead) that says which shape is in each scene cell. */
export const SCENE_CELL_HEAD: CellHeadShape = { grid: GRID, classes: SCENE_CELL_CLASSES };

/** The class of one shape: 1 + its (colour, kind, size) index. */
function objectClass(object: Scene['objects'][number]): number {
  const color = COLOR_NAMES.indexOf(object.color);
  const kind = SHAPE_KINDS.indexOf(object.kind);
  const size = SHAPE_SIZES.indexOf(object.size);
  return 1 + (color * SHAPE_KINDS.length + kind) * SHAPE_SIZES.length + size;
}

/**
 * The class of every scene cell, row-major (0 where the cell is empty). Scene cells are what the captions
 * talk about ("left of" is by cell), so features that tell each cell's shape are what the decoder needs
 * to say what is where.
 */
export function sceneCellLabels(scene: Scene): Int32Array {
  const labels = new Int32Array(SCENE_CELLS);
  for (const object of scene.objects) labels[object.row * GRID + object.col] = objectClass(object);
  return labels;
}

/** The scene cell of each position of an h x w feature grid, row-major: the cell holding the position's centre. */
export function gridPositionCells(h: number, w: number): Int32Array {
  return positionCells(h, w, GRID);
}
