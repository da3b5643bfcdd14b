import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@captioner/core';
import { SeededRandom } from '@captioner/core/random';
import { initBackend } from '@captioner/tfjs-backend';
import { encoderConfigSchema } from '../config';
import { CELL_HEAD_LAYERS, cellPoolMatrix, gridPositionCells, setCellHeadClassifier } from './cell-head';
import { createEncoder, loadEncoder, saveEncoder } from './encoder-files';

beforeAll(async () => {
  await initBackend('cpu');
});

const TRUNK = { kind: 'small-resnet', imageSize: 64, width: 8 } as const;
const HEAD = { grid: 3, classes: 5 };

function images(n: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: n * 64 * 64 * 3 }, () => random.next() * 2 - 1);
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('cell head', () => {
  it('splits an 8x8 map into 3x3 cells by position centre (rows and columns of 3, 2, 3)', () => {
    const cells = gridPositionCells(8, 8, 3);
    expect(Array.from(cells.subarray(0, 8))).toEqual([0, 0, 0, 1, 1, 2, 2, 2]);
    expect(cells[3 * 8]).toBe(3);
    expect(cells[7 * 8 + 7]).toBe(8);
    const matrix = cellPoolMatrix(8, 8, 3);
    // Column 4 (the centre cell: 2x2 positions) averages 4 positions; every column sums to 1.
    for (let cell = 0; cell < 9; cell++) {
      let sum = 0;
      for (let p = 0; p < 64; p++) sum += matrix[p * 9 + cell];
      expect(sum).toBeCloseTo(1, 6);
    }
    expect(matrix[(3 * 8 + 3) * 9 + 4]).toBeCloseTo(0.25, 7);
    expect(() => cellPoolMatrix(2, 2, 3)).toThrow(/2x2 feature map cannot be split into 3x3 cells/);
  });

  it("gives each cell the softmax of the classifier applied to the trunk's features averaged over the cell", async () => {
    const trunk = await createEncoder(encoderConfigSchema.parse(TRUNK), 4);
    const headed = await createEncoder(encoderConfigSchema.parse({ ...TRUNK, cellHead: HEAD }), 4);
    const C = trunk.gridChannels;
    const random = new SeededRandom(8);
    const kernel = Float32Array.from({ length: C * HEAD.classes }, () => random.next() - 0.5);
    const bias = Float32Array.from({ length: HEAD.classes }, () => random.next() - 0.5);
    setCellHeadClassifier(headed.model, kernel, bias);
    expect([headed.gridPositions, headed.gridChannels, headed.pooledSize]).toEqual([9, 5, 5]);

    const n = 2;
    const input = images(n, 3);
    const features = await trunk.encode(input, n);
    const { grid, pooled } = await headed.encode(input, n);
    const cells = gridPositionCells(8, 8, 3);
    for (let i = 0; i < n; i++)
      for (let cell = 0; cell < 9; cell++) {
        const mean = new Float32Array(C);
        let count = 0;
        cells.forEach((c, p) => {
          if (c !== cell) return;
          count++;
          for (let k = 0; k < C; k++) mean[k] += features.grid[(i * 64 + p) * C + k];
        });
        const logits = Array.from({ length: HEAD.classes }, (_, j) => {
          let v = bias[j];
          for (let k = 0; k < C; k++) v += (mean[k] / count) * kernel[k * HEAD.classes + j];
          return v;
        });
        const exp = logits.map((v) => Math.exp(v - Math.max(...logits)));
        const total = exp.reduce((a, b) => a + b, 0);
        exp.forEach((e, j) => expect(grid[(i * 9 + cell) * HEAD.classes + j]).toBeCloseTo(e / total, 5));
      }
    // Pooled features are the mean of the cells' probabilities.
    for (let j = 0; j < HEAD.classes; j++) {
      let sum = 0;
      for (let cell = 0; cell < 9; cell++) sum += grid[cell * HEAD.classes + j];
      expect(pooled[j]).toBeCloseTo(sum / 9, 6);
    }
    trunk.dispose();
    headed.dispose();
  });

  it('saves and loads with the encoder, and loads as `weights` into an encoder built from its config', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-cell-head-'));
    const config = encoderConfigSchema.parse({ ...TRUNK, cellHead: HEAD });
    const encoder = await createEncoder(config, 4);
    const random = new SeededRandom(9);
    const C = encoder.model.getLayer(CELL_HEAD_LAYERS.classes).getWeights()[0].shape[0];
    setCellHeadClassifier(
      encoder.model,
      Float32Array.from({ length: C * HEAD.classes }, () => random.next() - 0.5),
      Float32Array.from({ length: HEAD.classes }, () => random.next() - 0.5),
    );
    await saveEncoder(encoder, dir);
    const input = images(1, 5);
    const expected = await encoder.encode(input, 1);
    const loaded = await loadEncoder(dir);
    const rebuilt = await createEncoder({ ...config, weights: dir }, 99);
    for (const other of [loaded, rebuilt]) {
      const actual = await other.encode(input, 1);
      expect(Array.from(actual.grid)).toEqual(Array.from(expected.grid));
      other.dispose();
    }
    // The pooling never trains, even when the encoder fine-tunes its last block.
    const tuned = await createEncoder({ ...config, weights: dir, trainable: true }, 1);
    const names = tuned.model.trainableWeights.map((w) => w.originalName);
    expect(names.length).toBeGreaterThan(0);
    expect(names.some((name) => name.startsWith('cell_head'))).toBe(false);
    tuned.dispose();
    encoder.dispose();
  });

  it('refuses a PyTorch state dict as the weights of an encoder with a cell head', async () => {
    const config = encoderConfigSchema.parse({
      kind: 'resnet18',
      imageSize: 96,
      cellHead: HEAD,
      weights: '/tmp/x.pth',
    });
    await expect(createEncoder(config, 1)).rejects.toThrow(ConfigError);
    await expect(createEncoder(config, 1)).rejects.toThrow(/holds no cell head/);
  });
});
