import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/images';
import { benchPreprocess } from './bench-preprocess';

let workDir: string;
beforeAll(async () => {
  workDir = await makeTempDir('captioner-bench-');
});
afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

describe('benchPreprocess', () => {
  it('generates cached 500x375 JPEGs and times them in 1 and 2 forked processes', async () => {
    const fractions: number[] = [];
    const one = await benchPreprocess({
      images: 6,
      processes: 1,
      workDir,
      onProgress: (u) => fractions.push(u.fraction),
    });
    expect(one).toMatchObject({ processes: 1, images: 6 });
    expect(one.imagesPerSecond).toBeGreaterThan(0);
    expect(fractions.at(-1)).toBe(1);

    const files = (await fs.readdir(workDir)).sort();
    expect(files).toHaveLength(6);
    const before = await Promise.all(files.map(async (f) => (await fs.stat(`${workDir}/${f}`)).mtimeMs));

    const two = await benchPreprocess({ images: 6, processes: 2, workDir });
    expect(two).toMatchObject({ processes: 2, images: 6 });
    expect(two.imagesPerSecond).toBeGreaterThan(0);
    // The images were reused, not generated again.
    const after = await Promise.all(files.map(async (f) => (await fs.stat(`${workDir}/${f}`)).mtimeMs));
    expect(after).toEqual(before);
  });

  it('fails with the reason when a worker cannot prepare an image', async () => {
    const dir = await makeTempDir('captioner-bench-broken-');
    await benchPreprocess({ images: 2, workDir: dir });
    const [first] = (await fs.readdir(dir)).sort();
    await fs.writeFile(`${dir}/${first}`, 'not a jpeg');
    await expect(benchPreprocess({ images: 2, workDir: dir })).rejects.toThrow(/not an image/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses more processes than images', async () => {
    await expect(benchPreprocess({ images: 1, processes: 2, workDir })).rejects.toThrow(RangeError);
  });
});
