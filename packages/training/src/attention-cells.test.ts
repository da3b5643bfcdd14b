import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidInputError } from '@captioner/core';
import { modelConfigSchema } from '@captioner/model';
import type { Scene } from '@captioner/dataset';
import { trainingConfigSchema } from './loop/config';
import { gatherAttentionCells, runAttentionCells } from './attention-cells';

const scenes = new Map<string, Scene>([
  ['a', { objects: [{ kind: 'circle', color: 'red', size: 'small', row: 0, col: 0 }] }],
  [
    'b',
    {
      objects: [
        { kind: 'square', color: 'blue', size: 'large', row: 2, col: 2 },
        { kind: 'circle', color: 'green', size: 'small', row: 0, col: 1 },
      ],
    },
  ],
]);
const captions = new Map([
  ['a', ['a red circle', 'one small red circle']],
  ['b', ['a blue square below a green circle']],
]);
const base = {
  trainingConfig: trainingConfigSchema.parse({ attentionSupervision: 1 }),
  modelConfig: modelConfigSchema.parse({ decoder: { attention: true } }),
  horizontalFlip: false,
  ids: ['a', 'b'],
  captionsOf: (id: string) => captions.get(id),
  sceneOf: (id: string) => scenes.get(id),
  captionLength: 10,
  manifestPath: 'data/manifest.json',
};

describe('runAttentionCells', () => {
  it("gives each caption row its words' cells, in the order of the split's caption rows", () => {
    const all = runAttentionCells(base)!;
    expect(all.grid).toBe(3);
    expect(all.cells.length).toBe(3 * 10);
    expect([...all.cells.subarray(0, 5)]).toEqual([-1, 0, 0, 0, -1]);
    expect([...all.cells.subarray(20, 29)]).toEqual([-1, 8, 8, 8, 1, 1, 1, 1, -1]);
    const batch = gatherAttentionCells(all, [2, 0], 10);
    expect([...batch.cells.subarray(0, 10)]).toEqual([...all.cells.subarray(20, 30)]);
    expect([...batch.cells.subarray(10, 20)]).toEqual([...all.cells.subarray(0, 10)]);
  });

  it('is off at weight 0 and refuses what it cannot supervise, naming why', () => {
    expect(runAttentionCells({ ...base, trainingConfig: trainingConfigSchema.parse({}) })).toBeUndefined();
    expect(() =>
      runAttentionCells({ ...base, modelConfig: modelConfigSchema.parse({ decoder: { attention: false } }) }),
    ).toThrow(ConfigError);
    expect(() => runAttentionCells({ ...base, horizontalFlip: true })).toThrow(/horizontalFlip/);
    expect(() => runAttentionCells({ ...base, sceneOf: () => undefined })).toThrow(InvalidInputError);
    expect(() => runAttentionCells({ ...base, sceneOf: () => undefined })).toThrow(
      /data\/manifest\.json: image a has no scene/,
    );
  });
});
