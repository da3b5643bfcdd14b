import { ptbTokenize } from '@captioner/metrics';
import { COLOR_NAMES, SHAPE_KINDS, SHAPE_SIZES } from './scene';
import type { ShapeColor, ShapeKind, ShapeSize } from './scene';
import { relationHolds } from './scene-record';
import type { Relation, Scene, SceneObject } from './scene-record';

/**
 * Checks generated captions against the scenes of the synthetic shapes data set. The parser reads the
 * vocabulary of the caption templates (`captions.ts`); the rules are written out in the package README
 * ("Grounding"), which this file must follow.
 */

/** An object named in a caption: `[size] [colour] kind`. */
export interface Mention {
  kind: ShapeKind;
  color?: ShapeColor;
  size?: ShapeSize;
  /** Token positions [start, end) in the tokenized caption. */
  start: number;
  end: number;
}

/** `subject relation object`, both as indexes into `mentions`. */
export interface StatedRelation {
  subject: number;
  relation: Relation;
  object: number;
}

export interface ParsedCaption {
  mentions: Mention[];
  relations: StatedRelation[];
  /** Numbers of shapes the caption states (`one red circle` → 1, `two shapes` → 2). */
  counts: number[];
}

/** What one caption gets right about its scene. */
export type CaptionGrounding = {
  objectsNamed: number;
  objectsRight: number;
  objectsAbsent: number;
  relationsStated: number;
  relationsRight: number;
  countsStated: number;
  countsRight: number;
};

// Type aliases, not interfaces: they are stored in a JSON column typed with an index signature.
/** Corpus totals and the figures derived from them (rates in [0, 1]; null when nothing was stated). */
export type GroundingFigures = CaptionGrounding & {
  images: number;
  /** Images whose caption names at least one object and every object it names right. */
  imagesAllObjectsRight: number;
  objectsRightRate: number | null;
  objectsAbsentRate: number | null;
  relationsRightRate: number | null;
  countsRightRate: number | null;
  imagesAllObjectsRightRate: number | null;
};

const KINDS: ReadonlySet<string> = new Set(SHAPE_KINDS);
const COLORS: ReadonlySet<string> = new Set(COLOR_NAMES);
const SIZES: ReadonlySet<string> = new Set(SHAPE_SIZES);
const ARTICLES: ReadonlySet<string> = new Set(['a', 'an', 'the', 'one']);
const NUMBERS: Readonly<Record<string, number>> = { one: 1, two: 2, three: 3 };

/** The relation phrase starting at token `i`, with its length, if any. `left`/`right` need `of`. */
function relationAt(tokens: readonly string[], i: number): { relation: Relation; length: number } | null {
  const word = tokens[i];
  if (word === 'above' || word === 'below') return { relation: word, length: 1 };
  if ((word === 'left' || word === 'right') && tokens[i + 1] === 'of')
    return { relation: word === 'left' ? 'left of' : 'right of', length: 2 };
  return null;
}

/** The mention starting at token `i` (`[size] [colour] kind`, in that order), if any. */
function mentionAt(tokens: readonly string[], i: number): Mention | null {
  let j = i;
  const size = SIZES.has(tokens[j]) ? (tokens[j++] as ShapeSize) : undefined;
  const color = COLORS.has(tokens[j]) ? (tokens[j++] as ShapeColor) : undefined;
  if (!KINDS.has(tokens[j])) return null;
  return { kind: tokens[j] as ShapeKind, color, size, start: i, end: j + 1 };
}

/** Parses a caption into the objects, relations and counts it states (see the README's rules). */
export function parseShapesCaption(caption: string): ParsedCaption {
  const tokens = ptbTokenize(caption);
  const mentions: Mention[] = [];
  const counts: number[] = [];
  for (let i = 0; i < tokens.length; ) {
    const mention = mentionAt(tokens, i);
    if (mention) {
      if (tokens[i - 1] === 'one') counts.push(1);
      mentions.push(mention);
      i = mention.end;
      continue;
    }
    const number = NUMBERS[tokens[i]];
    if (number !== undefined && tokens[i + 1] === 'shapes') counts.push(number);
    i++;
  }
  const relations: StatedRelation[] = [];
  mentions.forEach((subject, index) => {
    const phrase = relationAt(tokens, subject.end);
    if (!phrase) return;
    let j = subject.end + phrase.length;
    while (ARTICLES.has(tokens[j])) j++;
    const object = mentions.findIndex((m) => m.start === j);
    if (object >= 0) relations.push({ subject: index, relation: phrase.relation, object });
  });
  return { mentions, relations, counts };
}

/** The scene object a mention names right: same colour and kind, and size where said; colour is required. */
function objectNamedBy(mention: Mention, scene: Scene): SceneObject | undefined {
  if (!mention.color) return undefined;
  return scene.objects.find(
    (o) => o.kind === mention.kind && o.color === mention.color && (!mention.size || o.size === mention.size),
  );
}

/** Absent: no object of the scene has the mention's kind and (where said) colour, whatever its size. */
function isAbsent(mention: Mention, scene: Scene): boolean {
  return !scene.objects.some((o) => o.kind === mention.kind && (!mention.color || o.color === mention.color));
}

/** Counts what a caption gets right about its scene. */
export function groundCaption(caption: string, scene: Scene): CaptionGrounding {
  const parsed = parseShapesCaption(caption);
  const named = parsed.mentions.map((m) => objectNamedBy(m, scene));
  return {
    objectsNamed: parsed.mentions.length,
    objectsRight: named.filter(Boolean).length,
    objectsAbsent: parsed.mentions.filter((m) => isAbsent(m, scene)).length,
    relationsStated: parsed.relations.length,
    relationsRight: parsed.relations.filter((r) => {
      const [a, b] = [named[r.subject], named[r.object]];
      return a !== undefined && b !== undefined && relationHolds(a, r.relation, b);
    }).length,
    countsStated: parsed.counts.length,
    countsRight: parsed.counts.filter((n) => n === scene.objects.length).length,
  };
}

/**
 * How many objects of the scene the caption names right, each counted once however often it is named
 * (`a red circle and a red circle` names one): what a reward counts, so that repeating a mention earns
 * nothing.
 */
export function distinctObjectsNamedRight(caption: string, scene: Scene): number {
  const named = parseShapesCaption(caption).mentions.map((m) => objectNamedBy(m, scene));
  return new Set(named.filter(Boolean)).size;
}

function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/**
 * Corpus figures for one caption per image. Images without a scene are left out (`images` counts those
 * scored); a caption missing for an image with a scene counts as an empty caption.
 */
export function groundCaptions(
  cands: Readonly<Record<string, string>>,
  scenes: ReadonlyMap<string, Scene>,
): GroundingFigures {
  const total: CaptionGrounding = {
    objectsNamed: 0,
    objectsRight: 0,
    objectsAbsent: 0,
    relationsStated: 0,
    relationsRight: 0,
    countsStated: 0,
    countsRight: 0,
  };
  let images = 0;
  let imagesAllObjectsRight = 0;
  for (const [id, scene] of scenes) {
    const g = groundCaption(cands[id] ?? '', scene);
    images++;
    if (g.objectsNamed > 0 && g.objectsRight === g.objectsNamed) imagesAllObjectsRight++;
    for (const key of Object.keys(total) as Array<keyof CaptionGrounding>) total[key] += g[key];
  }
  return {
    images,
    ...total,
    imagesAllObjectsRight,
    objectsRightRate: rate(total.objectsRight, total.objectsNamed),
    objectsAbsentRate: rate(total.objectsAbsent, total.objectsNamed),
    relationsRightRate: rate(total.relationsRight, total.relationsStated),
    countsRightRate: rate(total.countsRight, total.countsStated),
    imagesAllObjectsRightRate: rate(imagesAllObjectsRight, images),
  };
}
