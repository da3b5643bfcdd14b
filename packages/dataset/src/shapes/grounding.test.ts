import { SeededRandom } from '@captioner/core';
import { describe, expect, it } from 'vitest';
import { captionScene } from './captions';
import { distinctObjectsNamedRight, groundCaption, groundCaptions, parseShapesCaption } from './grounding';
import { randomScene } from './scene';
import { sceneOf } from './scene-record';
import type { Scene } from './scene-record';

/** A red circle top-left (large), a blue square bottom-right (small). */
const TWO: Scene = {
  objects: [
    { kind: 'circle', color: 'red', size: 'large', row: 0, col: 0 },
    { kind: 'square', color: 'blue', size: 'small', row: 2, col: 2 },
  ],
};
/** A green triangle alone in the middle. */
const ONE: Scene = { objects: [{ kind: 'triangle', color: 'green', size: 'small', row: 1, col: 1 }] };

const nothing = {
  objectsNamed: 0,
  objectsRight: 0,
  objectsAbsent: 0,
  relationsStated: 0,
  relationsRight: 0,
  countsStated: 0,
  countsRight: 0,
};

describe('parseShapesCaption', () => {
  it('reads mentions, relations and counts in the templates vocabulary', () => {
    expect(parseShapesCaption('three shapes with a small red circle left of a large blue square')).toEqual({
      mentions: [
        { kind: 'circle', color: 'red', size: 'small', start: 4, end: 7 },
        { kind: 'square', color: 'blue', size: 'large', start: 10, end: 13 },
      ],
      relations: [{ subject: 0, relation: 'left of', object: 1 }],
      counts: [3],
    });
  });

  it('does not take a position phrase or a dangling colour for a relation or an object', () => {
    const parsed = parseShapesCaption('a red circle on the right and a blue');
    expect(parsed.mentions).toHaveLength(1);
    expect(parsed.relations).toEqual([]);
    expect(parsed.counts).toEqual([]);
  });

  it('states a relation only between adjacent phrases: `X above above Y` states none', () => {
    expect(parseShapesCaption('a red circle above above a blue square').relations).toEqual([]);
  });
});

describe('groundCaption', () => {
  it('counts a true two-object caption with a relation as all right', () => {
    expect(groundCaption('a large red circle above a small blue square', TWO)).toEqual({
      ...nothing,
      objectsNamed: 2,
      objectsRight: 2,
      relationsStated: 1,
      relationsRight: 1,
    });
  });

  it('a wrong colour: the object is absent and the relation through it wrong', () => {
    expect(groundCaption('a green circle left of a blue square', TWO)).toEqual({
      ...nothing,
      objectsNamed: 2,
      objectsRight: 1,
      objectsAbsent: 1,
      relationsStated: 1,
      relationsRight: 0,
    });
  });

  it('a wrong size: named wrong but present', () => {
    expect(groundCaption('a small red circle', TWO)).toEqual({ ...nothing, objectsNamed: 1 });
  });

  it('a swapped relation: both objects right, the relation wrong', () => {
    expect(groundCaption('a blue square left of a red circle', TWO)).toEqual({
      ...nothing,
      objectsNamed: 2,
      objectsRight: 2,
      relationsStated: 1,
      relationsRight: 0,
    });
  });

  it('an extra object: counted named and absent', () => {
    expect(groundCaption('a red circle with a blue square and a yellow triangle', TWO)).toEqual({
      ...nothing,
      objectsNamed: 3,
      objectsRight: 2,
      objectsAbsent: 1,
    });
  });

  it('a mention without a colour is never right, and absent only if no object has its kind', () => {
    expect(groundCaption('a circle and a triangle', TWO)).toEqual({
      ...nothing,
      objectsNamed: 2,
      objectsAbsent: 1,
    });
  });

  it('counts: `one X` and `N shapes` are checked against the number of objects', () => {
    expect(groundCaption('one green triangle', ONE)).toEqual({
      ...nothing,
      objectsNamed: 1,
      objectsRight: 1,
      countsStated: 1,
      countsRight: 1,
    });
    expect(groundCaption('three shapes with a red circle and a blue square', TWO)).toEqual({
      ...nothing,
      objectsNamed: 2,
      objectsRight: 2,
      countsStated: 1,
    });
  });

  it('an empty caption states nothing', () => {
    expect(groundCaption('', TWO)).toEqual(nothing);
  });
});

describe('groundCaptions', () => {
  it('sums per image and divides by what was stated; rates are null for nothing stated', () => {
    const scenes = new Map([
      ['a', TWO],
      ['b', ONE],
      ['c', TWO],
    ]);
    const figures = groundCaptions(
      { a: 'a red circle above a blue square', b: 'a green triangle below a red square', c: '' },
      scenes,
    );
    expect(figures).toEqual({
      images: 3,
      objectsNamed: 4,
      objectsRight: 3,
      objectsAbsent: 1,
      relationsStated: 2,
      relationsRight: 1,
      countsStated: 0,
      countsRight: 0,
      imagesAllObjectsRight: 1,
      objectsRightRate: 0.75,
      objectsAbsentRate: 0.25,
      relationsRightRate: 0.5,
      countsRightRate: null,
      imagesAllObjectsRightRate: 1 / 3,
    });
  });

  it('grounds every caption the synthesizer writes perfectly (the parser reads the whole grammar)', () => {
    const rng = new SeededRandom(3);
    const cands: Record<string, string> = {};
    const scenes = new Map<string, Scene>();
    for (let i = 0; i < 400; i++) {
      const shapes = randomScene(rng, 96);
      captionScene(rng, shapes).forEach((caption, k) => {
        cands[`${i}-${k}`] = caption;
        scenes.set(`${i}-${k}`, sceneOf(shapes));
      });
    }
    const figures = groundCaptions(cands, scenes);
    expect(figures.imagesAllObjectsRight).toBe(2000);
    expect(figures.objectsRight).toBe(figures.objectsNamed);
    expect(figures.objectsAbsent).toBe(0);
    expect(figures.relationsRight).toBe(figures.relationsStated);
    expect(figures.countsRight).toBe(figures.countsStated);
    // The grammar states relations and counts often enough for this to test their parsing.
    expect(figures.relationsStated).toBeGreaterThan(300);
    expect(figures.countsStated).toBeGreaterThan(300);
  });
});

describe('distinctObjectsNamedRight', () => {
  it('counts each scene object named right once, however often it is named', () => {
    expect(distinctObjectsNamedRight('a red circle and a blue square', TWO)).toBe(2);
    expect(distinctObjectsNamedRight('a red circle and a red circle and a large red circle', TWO)).toBe(1);
    // Wrong and absent mentions name nothing.
    expect(distinctObjectsNamedRight('a small red circle and a green circle', TWO)).toBe(0);
    expect(groundCaption('a red circle and a red circle', TWO).objectsRight).toBe(2);
  });
});
