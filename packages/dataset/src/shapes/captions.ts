import type { Prng } from '../prng';
import type { Shape } from './scene';
import { GRID } from './scene';

/** Captions per image, as in COCO and Flickr. */
export const CAPTIONS_PER_IMAGE = 5;

/** `a red circle` or `a large red circle`. No colour or size starts with a vowel, so `a` always fits. */
function describe(shape: Shape, withSize: boolean): string {
  return withSize ? `a ${shape.size} ${shape.color} ${shape.kind}` : `a ${shape.color} ${shape.kind}`;
}

/** Where a shape sits in the whole image; only phrases that are true for its grid cell. */
function positions(shape: Shape): string[] {
  const out: string[] = [];
  if (shape.col === 0) out.push('on the left');
  if (shape.col === GRID - 1) out.push('on the right');
  if (shape.row === 0) out.push('at the top');
  if (shape.row === GRID - 1) out.push('at the bottom');
  if (shape.row === 1 && shape.col === 1) out.push('in the middle');
  return out;
}

/** Relations of `a` to `b` that hold by grid cell (shapes never leave their cells, so they are visible). */
function relations(a: Shape, b: Shape): string[] {
  const out: string[] = [];
  if (a.col < b.col) out.push('left of');
  if (a.col > b.col) out.push('right of');
  if (a.row < b.row) out.push('above');
  if (a.row > b.row) out.push('below');
  return out;
}

/** Every pair statement `X rel Y`, with and without sizes (or only without, to stay within 12 words), prefixed. */
function pairStatements(shapes: readonly Shape[], prefix: string, sizes: boolean): string[] {
  const out: string[] = [];
  for (const x of shapes) {
    for (const y of shapes) {
      if (x === y) continue;
      for (const rel of relations(x, y)) {
        if (sizes) out.push(`${prefix}${describe(x, true)} ${rel} ${describe(y, true)}`);
        out.push(`${prefix}${describe(x, false)} ${rel} ${describe(y, false)}`);
      }
    }
  }
  return out;
}

/**
 * Candidate captions grouped by template. Every one is true of the scene: it names only shapes that are
 * there, with their colour, kind and size, and relations that hold between their cells. At most 12 words.
 */
function candidateGroups(shapes: readonly Shape[]): string[][] {
  if (shapes.length === 1) {
    const [s] = shapes;
    const placed = positions(s);
    return [
      [describe(s, true), describe(s, false)],
      [`one ${s.size} ${s.color} ${s.kind}`, `one ${s.color} ${s.kind}`],
      placed.map((p) => `${describe(s, false)} ${p}`),
      placed.map((p) => `${describe(s, true)} ${p}`),
    ];
  }
  if (shapes.length === 2) {
    const [a, b] = shapes;
    return [
      pairStatements(shapes, '', true),
      [`${describe(a, false)} and ${describe(b, false)}`, `${describe(b, true)} and ${describe(a, true)}`],
      [
        `two shapes with ${describe(a, true)} and ${describe(b, true)}`,
        `two shapes with ${describe(b, false)} and ${describe(a, false)}`,
      ],
      [
        ...positions(a).map((p) => `${describe(a, false)} ${p}`),
        ...positions(b).map((p) => `${describe(b, false)} ${p}`),
      ],
    ];
  }
  const [a, b, c] = shapes;
  return [
    pairStatements(shapes, '', true),
    pairStatements(shapes, 'three shapes with ', false),
    [
      `${describe(a, false)} with ${describe(b, false)} and ${describe(c, false)}`,
      `${describe(c, false)} with ${describe(a, false)} and ${describe(b, false)}`,
    ],
  ];
}

/**
 * Five varied captions: templates are visited round-robin in a random order, a random caption from each,
 * so an image gets different sentence forms before it gets a second one of the same form.
 */
export function captionScene(rng: Prng, shapes: readonly Shape[]): string[] {
  const groups = rng.shuffle(
    candidateGroups(shapes)
      .filter((g) => g.length > 0)
      .map((g) => rng.shuffle([...new Set(g)])),
  );
  const captions: string[] = [];
  const seen = new Set<string>();
  for (let round = 0; captions.length < CAPTIONS_PER_IMAGE; round++) {
    let added = false;
    for (const group of groups) {
      if (captions.length === CAPTIONS_PER_IMAGE) break;
      const caption = group[round];
      if (caption === undefined || seen.has(caption)) continue;
      seen.add(caption);
      captions.push(caption);
      added = true;
    }
    // Fewer distinct candidates than captions: repeat some, as human annotators sometimes do.
    if (!added) captions.push(groups[0][captions.length % groups[0].length]);
  }
  return captions;
}
