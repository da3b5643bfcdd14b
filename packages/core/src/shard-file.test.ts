import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptArtifactError } from './errors';
import { isValidShardFile, readShardFile, writeShardFile } from './shard-file';

describe('shard files', () => {
  it('round-trips tensors, ids and meta', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shard-'));
    const file = path.join(dir, 'a.bin');
    await writeShardFile(file, {
      kind: 'features',
      ids: ['x', 'y'],
      meta: { size: 4 },
      tensors: {
        pixels: { dtype: 'uint8', shape: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) },
        pooled: { dtype: 'float32', shape: [2, 2], data: Float32Array.from([0.5, -1, 2, 3.25]) },
      },
    });
    const shard = await readShardFile(file);
    expect(shard.ids).toEqual(['x', 'y']);
    expect(shard.meta).toEqual({ size: 4 });
    expect(Array.from(shard.tensors.pixels.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(shard.tensors.pooled.data)).toEqual([0.5, -1, 2, 3.25]);
    expect(shard.tensors.pooled.shape).toEqual([2, 2]);
  });

  it('detects a flipped byte and a truncated file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shard-'));
    const file = path.join(dir, 'a.bin');
    await writeShardFile(file, {
      kind: 'images',
      ids: ['a'],
      meta: {},
      tensors: { pixels: { dtype: 'uint8', shape: [8], data: new Uint8Array(8).fill(7) } },
    });
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await fs.writeFile(file, bytes);
    await expect(readShardFile(file)).rejects.toThrow(CorruptArtifactError);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 3));
    await expect(readShardFile(file)).rejects.toThrow(/payload/);
    expect(await isValidShardFile(file)).toBe(false);
  });
});
