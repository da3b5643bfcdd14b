import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readImageSet, writeImageShard } from './image-shard';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'captioner-image-set-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A shard of 2x2 images whose pixels all equal the image's index in `values`. */
async function shard(
  name: string,
  ids: string[],
  values: number[],
  size = 2,
  mean: [number, number, number] = [0, 0, 0],
  std: [number, number, number] = [1, 1, 1],
) {
  const file = path.join(dir, name);
  const pixels = new Uint8Array(ids.length * size * size * 3);
  values.forEach((v, i) => pixels.fill(v, i * size * size * 3, (i + 1) * size * size * 3));
  await writeImageShard(file, { ids, size, pixels, mean, std });
  return file;
}

describe('readImageSet', () => {
  it('reads the wanted ids in shard order, normalised with each shard’s statistics', async () => {
    const a = await shard('a.bin', ['x', 'y'], [0, 255]);
    const b = await shard('b.bin', ['z', 'w'], [51, 102], 2, [0.1, 0.1, 0.1], [0.5, 0.5, 0.5]);
    const set = await readImageSet([a, b], new Set(['w', 'y', 'z']));
    expect(set.ids).toEqual(['y', 'z', 'w']);
    expect(set.size).toBe(2);
    expect(set.images.length).toBe(3 * 2 * 2 * 3);
    expect(set.images[0]).toBeCloseTo(1);
    expect(set.images[12]).toBeCloseTo((0.2 - 0.1) / 0.5);
    expect(set.images[24]).toBeCloseTo((0.4 - 0.1) / 0.5);
  });

  it('refuses shards of different image sizes, naming the file', async () => {
    const a = await shard('a.bin', ['x'], [1], 2);
    const b = await shard('b.bin', ['y'], [1], 4);
    await expect(readImageSet([a, b])).rejects.toThrow(/b\.bin: images are 4 px, the first shard's 2 px/);
  });
});
