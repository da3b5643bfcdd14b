import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@captioner/core';
import { normalizeImages, randomScene, rasterizeShapes, sceneOf } from '@captioner/dataset';
import type { Scene } from '@captioner/dataset';
import { encoderConfigSchema, initBackend } from '@captioner/model';
import type { ImageEncoder } from '@captioner/model';
import { pretrainEncoder, scoreCellLabels } from './pretrain-encoder';
import { SCENE_CELL_CLASSES, SCENE_CELL_HEAD, gridPositionCells, sceneCellLabels } from './scene-labels';

const SIZE = 48;

/** `n` synthetic scenes and their normalised pixels, drawn as the shapes data set draws them. */
function scenes(seed: number, n: number): { images: Float32Array; scenes: Scene[] } {
  const rng = new SeededRandom(seed);
  const pixels = new Uint8Array(n * SIZE * SIZE * 3);
  const out: Scene[] = [];
  for (let i = 0; i < n; i++) {
    const shapes = randomScene(rng, SIZE);
    pixels.set(rasterizeShapes(shapes, SIZE), i * SIZE * SIZE * 3);
    out.push(sceneOf(shapes));
  }
  return { images: normalizeImages(pixels), scenes: out };
}

describe('scene cell labels', () => {
  it('label each cell with the class of its shape and map grid positions to the cell holding their centre', () => {
    const scene: Scene = {
      objects: [
        { kind: 'circle', color: 'red', size: 'small', row: 0, col: 2 },
        { kind: 'triangle', color: 'purple', size: 'large', row: 2, col: 0 },
      ],
    };
    const labels = sceneCellLabels(scene);
    expect(labels[2]).toBeGreaterThan(0);
    expect(labels[6]).toBe(SCENE_CELL_CLASSES - 1); // purple (last colour) triangle (last kind), large
    expect(labels[2]).not.toBe(labels[6]);
    expect(Array.from(labels).filter((l) => l !== 0)).toHaveLength(2);
    const cells = gridPositionCells(6, 6);
    const at = (i: number, j: number) => cells[i * 6 + j];
    expect([at(0, 0), at(1, 1), at(0, 5), at(5, 0), at(2, 2), at(3, 3), at(5, 5)]).toEqual([
      0, 0, 2, 6, 4, 4, 8,
    ]);
  });
});

/** Share of cells (and of occupied cells) whose most probable class, in the encoder's features, is right. */
async function argmaxAccuracy(encoder: ImageEncoder, data: { images: Float32Array; scenes: Scene[] }) {
  const { grid } = await encoder.encode(data.images, data.scenes.length);
  const K = SCENE_CELL_CLASSES;
  let [cells, right, objects, objectsRight] = [0, 0, 0, 0];
  data.scenes.forEach((scene, i) =>
    sceneCellLabels(scene).forEach((label, cell) => {
      const probabilities = Array.from(grid.subarray((i * 9 + cell) * K, (i * 9 + cell + 1) * K));
      const hit = probabilities.indexOf(Math.max(...probabilities)) === label;
      cells++;
      right += hit ? 1 : 0;
      if (label !== 0) [objects, objectsRight] = [objects + 1, objectsRight + (hit ? 1 : 0)];
    }),
  );
  return { cells: right / cells, objects: objectsRight / objects };
}

describe('pretrainEncoder', () => {
  const config = encoderConfigSchema.parse({ imageSize: SIZE, width: 8 });
  const train = scenes(1, 256);
  const test = scenes(2, 64);
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('learns which shape is in which cell, and its head says so: held-out accuracy far above chance, unlike no training', async () => {
    const untrained = await pretrainEncoder({ config, seed: 3, ...train, epochs: 0 });
    const before = await scoreCellLabels(untrained.encoder, untrained.head, test.images, test.scenes);
    untrained.encoder.dispose();
    const trained = await pretrainEncoder({ config, seed: 3, ...train, epochs: 4, withHead: true });
    // With its head the encoder's features are each cell's class probabilities: read their argmax.
    expect(trained.encoder.config.cellHead).toEqual(SCENE_CELL_HEAD);
    expect([trained.encoder.gridPositions, trained.encoder.gridChannels]).toEqual([9, SCENE_CELL_CLASSES]);
    const after = await argmaxAccuracy(trained.encoder, test);
    trained.encoder.dispose();
    // Chance on an occupied cell is 1 in 30.
    expect(before.objects).toBeLessThan(0.15);
    expect(after.objects).toBeGreaterThan(0.4);
    expect(after.cells).toBeGreaterThan(0.8);
  }, 300_000);

  it('refuses images that do not match the scenes', async () => {
    await expect(
      pretrainEncoder({ config, seed: 3, images: new Float32Array(10), scenes: train.scenes, epochs: 1 }),
    ).rejects.toThrow(/pretrainEncoder: expected 256x48x48x3/);
  });
});
