import { describe, expect, it } from 'vitest';
import { captionWordCells, encodeAttentionCells } from './attention-cells';
import type { Scene } from './scene-record';

const scene: Scene = {
  objects: [
    { kind: 'circle', color: 'red', size: 'large', row: 0, col: 2 }, // cell 2
    { kind: 'square', color: 'blue', size: 'small', row: 2, col: 0 }, // cell 6
  ],
};

describe('captionWordCells', () => {
  it('ties a relation to the object it relates the subject to, mentions to their objects', () => {
    expect([...captionWordCells('a large red circle right of a small blue square', scene)]).toEqual([
      2, 2, 2, 2, 6, 6, 6, 6, 6, 6,
    ]);
    expect([...captionWordCells('a blue square below a red circle', scene)]).toEqual([6, 6, 6, 2, 2, 2, 2]);
  });

  it('ties a position phrase to its mention and leaves connectives free', () => {
    expect([...captionWordCells('a red circle at the top', scene)]).toEqual([2, 2, 2, 2, 2, 2]);
    expect([...captionWordCells('two shapes with a blue square and a red circle', scene)]).toEqual([
      -1, -1, -1, 6, 6, 6, -1, 2, 2, 2,
    ]);
  });

  it('leaves a mention the scene does not hold without a cell', () => {
    expect([...captionWordCells('a green triangle above a red circle', scene)]).toEqual([
      -1, -1, -1, 2, 2, 2, 2,
    ]);
  });
});

describe('encodeAttentionCells', () => {
  it('aligns with the vocabulary encoding: <start> first, clipped, -1 after the words', () => {
    const cells = encodeAttentionCells(
      ['a red circle', 'a blue square below a red circle'],
      [scene, scene],
      6,
    );
    expect([...cells]).toEqual([-1, 2, 2, 2, -1, -1, -1, 6, 6, 6, 2, -1]);
  });
});
