import type { SeededRandom } from '@captioner/core';

export const SHAPE_KINDS = ['circle', 'square', 'triangle'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/** Colour names and their RGB values: saturated and far apart, so each is unmistakable at 96 px. */
export const SHAPE_COLORS = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 80, 220],
  yellow: [235, 200, 30],
  purple: [140, 60, 180],
} as const satisfies Record<string, readonly [number, number, number]>;
export type ShapeColor = keyof typeof SHAPE_COLORS;
export const COLOR_NAMES = Object.keys(SHAPE_COLORS) as ShapeColor[];

export const SHAPE_SIZES = ['small', 'large'] as const;
export type ShapeSize = (typeof SHAPE_SIZES)[number];

/** The image is a 3×3 grid; each shape sits in its own cell, so relations between cells are visibly true. */
export const GRID = 3;

export interface Shape {
  kind: ShapeKind;
  color: ShapeColor;
  size: ShapeSize;
  /** Grid cell: row 0 is the top, column 0 the left. */
  row: number;
  col: number;
  /** Centre and radius in pixels. */
  cx: number;
  cy: number;
  radius: number;
}

/** Radius as a fraction of a cell's side; large shapes are about twice as big as small ones. */
const RADIUS_FRACTION: Record<ShapeSize, number> = { small: 0.22, large: 0.44 };

/**
 * Draws 1–3 shapes with distinct (colour, kind) pairs in distinct cells, so that every caption can name
 * each shape without ambiguity. Centres are jittered inside their cells but shapes never leave them.
 */
export function randomScene(rng: SeededRandom, imageSize: number): Shape[] {
  const count = 1 + rng.int(3);
  const cells = rng.shuffle(Array.from({ length: GRID * GRID }, (_, i) => i)).slice(0, count);
  const cell = imageSize / GRID;
  const used = new Set<string>();
  const shapes: Shape[] = [];
  for (const index of cells) {
    let kind: ShapeKind;
    let color: ShapeColor;
    do {
      kind = rng.pick(SHAPE_KINDS);
      color = rng.pick(COLOR_NAMES);
    } while (used.has(`${color} ${kind}`));
    used.add(`${color} ${kind}`);
    const size = rng.pick(SHAPE_SIZES);
    const radius = Math.max(2, Math.floor(cell * RADIUS_FRACTION[size]));
    const row = Math.floor(index / GRID);
    const col = index % GRID;
    const slack = Math.max(0, Math.floor(cell / 2 - radius - 1));
    const cx = Math.floor(col * cell + cell / 2) + rng.int(2 * slack + 1) - slack;
    const cy = Math.floor(row * cell + cell / 2) + rng.int(2 * slack + 1) - slack;
    shapes.push({ kind, color, size, row, col, cx, cy, radius });
  }
  return shapes;
}
