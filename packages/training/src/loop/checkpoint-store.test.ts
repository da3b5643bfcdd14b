import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCheckpointDir, writeCheckpointDir } from '@captioner/model';
import {
  checkpointDirName,
  listCheckpoints,
  pruneCheckpoints,
  removePartialCheckpoints,
} from './checkpoint-store.js';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-store-'));
  for (const step of [1, 2, 3, 4])
    await writeCheckpointDir(
      path.join(root, checkpointDirName(step)),
      { modelConfig: {}, featureShape: [1], vocabSize: 2, step, epoch: 0, training: {} } as never,
      { w: { shape: [2], data: new Float32Array([step, step]) } },
    );
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

describe('pruneCheckpoints', () => {
  it('tells the caller before deleting, while the checkpoint is still whole, and keeps the best', async () => {
    const wholeWhenTold: boolean[] = [];
    const removed = await pruneCheckpoints(root, 1, path.join(root, checkpointDirName(2)), async (dir) => {
      wholeWhenTold.push(await isCheckpointDir(dir));
    });
    expect(removed.map((d) => path.basename(d))).toEqual([checkpointDirName(1), checkpointDirName(3)]);
    expect(wholeWhenTold).toEqual([true, true]);
    expect((await listCheckpoints(root)).map((c) => c.step)).toEqual([2, 4]);
    expect(await fs.readdir(root)).toHaveLength(2);
  });

  it('a failure before deletion (a killed process) leaves the checkpoint on disk, whole', async () => {
    await expect(
      pruneCheckpoints(root, 3, undefined, () => Promise.reject(new Error('database down'))),
    ).rejects.toThrow('database down');
    expect((await listCheckpoints(root)).map((c) => c.step)).toEqual([1, 2, 3, 4]);
  });

  it('a deletion interrupted after the rename leaves only a leftover that removePartialCheckpoints deletes', async () => {
    await fs.rename(
      path.join(root, checkpointDirName(1)),
      path.join(root, `.${checkpointDirName(1)}.old-1-2`),
    );
    expect((await listCheckpoints(root)).map((c) => c.step)).toEqual([2, 3, 4]);
    await removePartialCheckpoints(root);
    expect(await fs.readdir(root)).toHaveLength(3);
  });
});
